"""Run by test_alerts_crash in a subprocess that kills itself (SIGKILL, no cleanup):

``ingest CONFIG``: ingest the posts, then die before any delivery;
``deliver CONFIG N``: deliver, dying just before sending the N-th message.
CONFIG is JSON: data_dir, database_url, watchlists_dir, alert (AlertSettings fields), posts.
"""

from __future__ import annotations

import json
import os
import signal
import sys

from alerts_support import poll
from sourcewatch.alerts.delivery import deliver
from sourcewatch.alerts.message import Message
from sourcewatch.alerts.send import send_apprise
from sourcewatch.config import AlertSettings, load_settings
from sourcewatch.records import utcnow
from sourcewatch.workspace import Workspace


def main() -> None:
    action, config = sys.argv[1], json.loads(sys.argv[2])
    alert = AlertSettings(**config["alert"])
    settings = load_settings(
        data_dir=config["data_dir"],
        database_url=config["database_url"],
        watchlists_dir=config["watchlists_dir"],
        alerts=[alert],
    )
    ws = Workspace.open(settings)
    if action == "ingest":
        poll(ws, "crash-page", *[tuple(post) for post in config["posts"]])
        os.kill(os.getpid(), signal.SIGKILL)
    die_at = int(sys.argv[3])
    calls = {"n": 0}

    def send_then_die(channel: AlertSettings, message: Message) -> None:
        calls["n"] += 1
        if calls["n"] == die_at:
            os.kill(os.getpid(), signal.SIGKILL)
        send_apprise(channel, message)

    deliver(ws.engine, [alert], utcnow(), owner="doomed-replica", send=send_then_die)
    raise SystemExit("delivery finished without being killed")


if __name__ == "__main__":
    main()
