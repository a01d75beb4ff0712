"""A restarted replica takes back its own dead leases at once (issue 19: after a SIGKILL
the restarted daemon waited 120-126 s, the default lease, even on SQLite alone)."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from daemon_support import FeedServer, daemon_settings, write_watch_list
from sourcewatch.config import Settings
from sourcewatch.daemon.identity import ReplicaIdentity, lock_path, take_identity
from sourcewatch.daemon.lockfile import DaemonAlreadyRunning
from sourcewatch.daemon.runner import run_daemon
from sourcewatch.records import utcnow
from sourcewatch.store.tables import SOURCE
from sourcewatch.workspace import Workspace


@pytest.fixture(autouse=True)
def _in_tmp_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)


def lease(settings: Settings, owner: str) -> None:
    """As a SIGKILLed run leaves it: a lease an hour from expiry, the source due."""
    now = utcnow()
    with Workspace.open(settings) as ws, ws.engine.begin() as conn:
        conn.execute(
            sa.update(SOURCE).values(
                lease_owner=owner,
                lease_expires_at=now + timedelta(hours=1),
                next_poll_at=now - timedelta(seconds=1),
            )
        )


def test_a_restarted_replica_reclaims_its_own_leases_at_once(
    settings: Settings, tmp_path: Path
) -> None:
    with FeedServer() as feeds:
        feeds.items.update(alpha=2)
        watch = write_watch_list(tmp_path / "sources.toml", {"alpha": feeds.url("/feed/alpha")})
        config = daemon_settings(settings, watch, replica_name="node-a")
        assert run_daemon(config, once=True).polled == 1
        lease(config, "node-a")  # its previous life was killed while polling
        assert run_daemon(config, once=True).polled == 1  # not 120 s later: now
        lease(config, "node-b")  # another replica's live lease is left alone
        assert run_daemon(config, once=True).polled == 0
        assert len(feeds.hits_for("/feed/alpha")) == 2


def test_two_replicas_cannot_share_a_name_on_one_host(tmp_path: Path) -> None:
    with ReplicaIdentity(tmp_path, "node-a"):
        with pytest.raises(DaemonAlreadyRunning, match="replica_name"):
            ReplicaIdentity(tmp_path, "node-a").__enter__()
        with ReplicaIdentity(tmp_path, "node-b"):
            pass
    with ReplicaIdentity(tmp_path, "node-a"):  # released when its holder ends
        pass


def test_replicas_without_a_name_take_the_first_free_host_slot(tmp_path: Path) -> None:
    first = take_identity(tmp_path, None)
    second = take_identity(tmp_path, None)
    try:
        assert second.name == f"{first.name}#2"
        assert lock_path(tmp_path, second.name).read_text().strip() == str(os.getpid())
    finally:
        first.__exit__(None, None, None)
    again = take_identity(tmp_path, None)  # the freed slot: its leases are dead ones
    try:
        assert again.name == first.name
    finally:
        again.__exit__(None, None, None)
        second.__exit__(None, None, None)
