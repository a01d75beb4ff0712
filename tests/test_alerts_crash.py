"""A process killed between queueing and delivery, and one killed halfway through
delivering: the outbox survives, every entry is delivered, none twice."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from pytest_httpserver import HTTPServer

from alerts_support import WATCHLISTS, alert_settings, received, run_delivery, webhook_alert
from sourcewatch.alerts.fanout import LEASE
from sourcewatch.config import Settings
from sourcewatch.records import utcnow
from sourcewatch.store.tables import ALERT_OUTBOX, TRIAGE
from sourcewatch.workspace import Workspace

WORKER = Path(__file__).parent / "alerts_crash_worker.py"
POSTS = [[str(i), f"PMC Wagner column {i} sighted near Gao"] for i in range(5)]


def run_worker(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(WORKER), *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=Path(__file__).parent,
    )


@pytest.mark.slow
def test_killed_processes_lose_no_alert_and_repeat_none(
    settings: Settings, httpserver: HTTPServer
) -> None:
    httpserver.expect_request("/hooks/webhook").respond_with_data("ok")
    alert = webhook_alert(httpserver)
    config = json.dumps(
        {
            "data_dir": str(settings.data_dir),
            "database_url": settings.resolved_database_url,
            "watchlists_dir": str(WATCHLISTS),
            "alert": alert.model_dump(),
            "posts": POSTS,
        }
    )

    queued = run_worker("ingest", config)
    assert queued.returncode == -signal.SIGKILL, queued.stderr

    ws = Workspace.open(alert_settings(settings, alert))
    try:
        with ws.engine.connect() as conn:
            assert conn.execute(sa.select(sa.func.count()).select_from(TRIAGE)).scalar() == 5
            assert conn.execute(sa.select(sa.func.count()).select_from(ALERT_OUTBOX)).scalar() == 5
        assert received(httpserver) == []

        halfway = run_worker("deliver", config, "3")  # dies before its third message
        assert halfway.returncode == -signal.SIGKILL, halfway.stderr
        assert len(received(httpserver)) == 2

        now = utcnow()
        blocked = run_delivery(ws, now)  # the dead replica's lease still holds the channel
        assert blocked.channels[0].busy and len(received(httpserver)) == 2
        run_delivery(ws, now + LEASE + timedelta(seconds=1))
        run_delivery(ws, now + LEASE + timedelta(minutes=2))
    finally:
        ws.close()

    alerts = [line for m in received(httpserver) for line in m["message"].splitlines()]
    delivered = sorted(line for line in alerts if line.startswith("Alert: webhook / item"))
    assert len(delivered) == 5 and len(set(delivered)) == 5
