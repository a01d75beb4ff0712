"""Daemon commands: run, health, stats."""

from __future__ import annotations

from typing import Annotated

import typer

from sourcewatch.cli.app import app
from sourcewatch.cli.common import (
    EXIT_OK,
    EXIT_PROBLEM,
    EXIT_USAGE,
    ConfigOption,
    JsonOption,
    cli_errors,
    console,
    err_console,
    fail,
    open_existing,
    print_json,
    safe,
    settings_for,
)
from sourcewatch.config import Settings
from sourcewatch.errors import SourcewatchError

# The scheduler, the database layer and the matcher are imported inside each command,
# so that other commands start fast.


@app.command()
def run(
    once: Annotated[
        bool,
        typer.Option("--once", help="Poll every due source once, then exit (cron, first run)."),
    ] = False,
    metrics_port: Annotated[
        int | None,
        typer.Option(
            "--metrics-port",
            min=1,
            max=65535,
            help="Serve Prometheus metrics on this port at /metrics (default: off, or "
            "[scheduler] metrics_port).",
        ),
    ] = None,
    config: ConfigOption = None,
    json: JsonOption = False,
) -> None:
    """Run the daemon: poll each source on its schedule until SIGTERM or SIGINT.

    Logs go to stderr (JSON lines unless stderr is a terminal). SIGHUP reloads the
    watch list and the watchlists. With PostgreSQL, several replicas share the work.
    Exit 0 after a clean stop; with --once, exit 1 if any source failed; 2 on bad
    config or when another daemon already runs on the same SQLite data dir.
    """
    from sourcewatch.daemon.lockfile import DaemonAlreadyRunning
    from sourcewatch.daemon.logs import setup_logging
    from sourcewatch.daemon.runner import run_daemon
    from sourcewatch.matching import WatchlistError

    settings = settings_for(config)
    setup_logging(settings.log_level)
    with cli_errors():
        _warn_if_useless(settings)
        try:
            summary = run_daemon(settings, once=once, metrics_port=metrics_port)
        except (DaemonAlreadyRunning, WatchlistError) as exc:
            fail(str(exc), EXIT_USAGE)
    if once:
        if json:
            print_json({"polled": summary.polled, "failed": summary.failed, "ok": summary.ok})
        else:
            failed = f"; failed: {', '.join(safe(n) for n in summary.failed)}"
            console.print(
                f"{summary.polled} source(s) polled{failed if summary.failed else ''}",
                markup=False,
            )
        raise typer.Exit(EXIT_OK if summary.ok else EXIT_PROBLEM)


def _warn_if_useless(settings: Settings) -> None:
    """Loudly, on stderr, before the daemon starts: no sources or no watchlists. In bold
    red on a terminal; as a warning record in the daemon's log otherwise, so that a log
    of JSON lines stays JSON lines."""
    import logging

    from sourcewatch.sources.config import load_watch_list
    from sourcewatch.workspace import readiness_warnings

    explicit = settings.sources_file != Settings.model_fields["sources_file"].default
    sources = load_watch_list(settings.sources_file, required=explicit)
    for warning in readiness_warnings(settings, len(sources)):
        if err_console.is_terminal:
            err_console.print(f"WARNING: {warning}", style="bold red", markup=False)
        else:
            logging.getLogger("sourcewatch.daemon").warning(warning)


@app.command()
def health(
    any_host: Annotated[
        bool,
        typer.Option("--any-host", help="Accept a fresh heartbeat from a daemon on any host."),
    ] = False,
    config: ConfigOption = None,
    json: JsonOption = False,
) -> None:
    """Exit 0 if the database answers and a daemon on this host beat recently; else 1.

    Used by the container HEALTHCHECK. Staleness: [scheduler] heartbeat_stale_seconds.
    """
    import sqlalchemy as sa

    from sourcewatch.daemon.stats import Health, check_health
    from sourcewatch.records import utcnow
    from sourcewatch.store import db

    settings = settings_for(config)
    try:
        with open_existing(settings) as ws:
            if db.current_revision(ws.engine) != db.head_revision():
                result = Health(False, "database schema is not up to date (sourcewatch init)", [])
            else:
                result = check_health(
                    ws.engine,
                    utcnow(),
                    settings.scheduler.heartbeat_stale_seconds,
                    any_host=any_host,
                )
    except sa.exc.SQLAlchemyError as exc:
        reason = f"database does not answer: {str(getattr(exc, 'orig', exc)).strip()[:300]}"
        result = Health(False, reason, [])
    except SourcewatchError as exc:  # no database yet, or the postgres extra missing
        result = Health(False, str(exc), [])
    if json:
        print_json({"ok": result.ok, "reason": result.reason})
    elif result.ok:
        console.print(f"healthy: {safe(result.reason)}", markup=False)
    else:
        err_console.print(f"unhealthy: {safe(result.reason)}", markup=False)
    raise typer.Exit(EXIT_OK if result.ok else EXIT_PROBLEM)


@app.command()
def stats(config: ConfigOption = None, json: JsonOption = False) -> None:
    """Sources due, failing and leased; items; triage queue depth; each daemon replica
    with its heartbeat and counters (polls, failures, items new/edited)."""
    from sourcewatch.daemon.stats import gather_stats
    from sourcewatch.records import utcnow
    from sourcewatch.workspace import Workspace

    settings = settings_for(config)
    with cli_errors(), Workspace.open(settings, create=False) as ws:
        result = gather_stats(ws.engine, utcnow(), settings.scheduler.heartbeat_stale_seconds)
    if json:
        print_json(result.to_json())
        return
    lines = [
        f"sources      {result.sources} enabled, {result.due} due, {result.failing} failing, "
        f"{result.leased} leased",
        f"items        {result.items}",
        f"queue depth  {result.queue_depth} new triage entries",
        f"polls        {result.polls} ({result.failures} failed) by the replicas listed below",
    ]
    for line in lines:
        console.print(line, markup=False)
    if not result.replicas:
        console.print("replicas     none running", markup=False)
    for r in result.replicas:
        age = r.age(result.at)
        state = "ok" if age <= result.stale_seconds else "STALE"
        console.print(
            f"replica      {safe(r.replica)} [{state}] beat {age:.0f}s ago; "
            f"{r.polls} polls, {r.failures} failed, {r.items_new} new, {r.items_edited} edited, "
            f"{r.in_flight} in flight, {result.leases_by_replica.get(r.replica, 0)} leases",
            markup=False,
        )
