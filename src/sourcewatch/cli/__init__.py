"""Command-line interface: thin modules that parse, call a service, render.

Each module registers its commands on ``app``; importing them here wires the CLI.
"""

from __future__ import annotations

import sourcewatch.cli.alerts  # (alerts, alerts test, alerts replay, alerts deliver)
import sourcewatch.cli.citations  # (snapshot, cite, recheck)
import sourcewatch.cli.core  # (init, verify, import, sources, poll, rescan)
import sourcewatch.cli.daemon  # (run, health, stats)
import sourcewatch.cli.evidence  # (evidence bundle, evidence verify)
import sourcewatch.cli.matching  # (match, watchlists check)
import sourcewatch.cli.quarantine  # (quarantine, quarantine show/retry/drop)
import sourcewatch.cli.search  # (search, searches, reindex)
import sourcewatch.cli.telegram  # (telegram login)
import sourcewatch.cli.translate  # (translate)
import sourcewatch.cli.triage  # (queue, show, mark, history, triage, export)
import sourcewatch.cli.web  # (serve, users)
import sourcewatch.cli.workspace  # noqa: F401  (where)
from sourcewatch.cli.app import app
from sourcewatch.cli.common import storage_errors


def main() -> None:
    with storage_errors():
        app()
