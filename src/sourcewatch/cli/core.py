"""Core commands: init, verify, import, sources, poll."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

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
    print_json,
    safe,
    settings_for,
    with_progress,
)

if TYPE_CHECKING:
    from sourcewatch.config import Settings
    from sourcewatch.ingest.writer import IngestReport
    from sourcewatch.records import ParsedItem
    from sourcewatch.sources.config import SourceConfig

# Service modules are imported inside each command: `sourcewatch queue` should not
# pay for alembic, the collectors or the matcher at start-up.


def _watch_list(settings: Settings) -> list[SourceConfig]:
    from sourcewatch.config import Settings
    from sourcewatch.sources.config import load_watch_list

    # A watch list named explicitly must exist; the default one may be absent.
    explicit = settings.sources_file != Settings.model_fields["sources_file"].default
    return load_watch_list(settings.sources_file, required=explicit)


@app.command()
def init(config: ConfigOption = None, json: JsonOption = False) -> None:
    """Create the data dir, migrate the database, and load the watch list.

    Idempotent: safe to run on every container start.
    """
    from sourcewatch.sources.sync import sync_sources
    from sourcewatch.store import db
    from sourcewatch.workspace import Workspace

    settings = settings_for(config)
    with cli_errors():
        sources = _watch_list(settings)
        with Workspace.open(settings, migrate_schema=False) as ws:
            applied = db.migrate(ws.engine)
            sync = sync_sources(ws.engine, sources)
    result = {
        "data_dir": str(settings.data_dir),
        "database": _redact(settings.resolved_database_url),
        "migrations_applied": applied,
        "schema": db.head_revision(),
        "sources": len(sources),
        "sources_added": sync.added,
        "sources_updated": sync.updated,
        "sources_removed": sync.removed,
    }
    if json:
        print_json(result)
        return
    console.print(f"data dir   {settings.data_dir}", markup=False)
    console.print(f"database   {result['database']} (schema {result['schema']})", markup=False)
    console.print(f"migrations {', '.join(applied) if applied else 'up to date'}", markup=False)
    console.print(
        f"sources    {len(sources)} in watch list "
        f"({len(sync.added)} added, {len(sync.updated)} updated, {len(sync.removed)} removed)",
        markup=False,
    )


@app.command()
def verify(
    quick: Annotated[
        bool, typer.Option("--quick", help="Check only the chain and that objects exist.")
    ] = False,
    config: ConfigOption = None,
    json: JsonOption = False,
) -> None:
    """Re-hash every archived object and walk the capture-log chain.

    Names every missing or corrupt object and every broken or altered log entry.
    Exit 0 when the archive is intact, 1 when anything is wrong.
    """
    from sourcewatch.store.verify import verify_archive
    from sourcewatch.workspace import Workspace

    settings = settings_for(config)
    with Workspace.open(settings) as ws:
        report = with_progress(
            "verifying", lambda progress: verify_archive(ws, quick=quick, progress=progress), json
        )
    if json:
        print_json(report.to_json())
    else:
        for problem in report.problems:
            console.print(f"FAIL {safe(problem)}", markup=False)
        verdict = "intact" if report.ok else f"{len(report.problems)} problem(s)"
        console.print(
            f"{report.entries} log entries, {report.objects} objects "
            f"({'quick' if quick else 'full'} check): {verdict}",
            markup=False,
        )
    raise typer.Exit(EXIT_OK if report.ok else EXIT_PROBLEM)


@app.command("import")
def import_command(
    file: Annotated[
        Path, typer.Argument(help="The saved capture to ingest.", exists=True, dir_okay=False)
    ],
    source: Annotated[
        str, typer.Option("--source", "-s", help="Name of the source it belongs to.")
    ],
    format: Annotated[
        str,
        typer.Option("--format", "-f", help="File format: jsonl, and those the collectors add."),
    ] = "jsonl",
    url: Annotated[
        str | None, typer.Option("--url", help="The URL the file was saved from.")
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Parse and print the items; store nothing.")
    ] = False,
    config: ConfigOption = None,
    json: JsonOption = False,
) -> None:
    """Ingest a saved capture as if it had just been polled; the file is archived too.

    The whole file is parsed before anything is stored: a bad line stores nothing.
    """
    from sourcewatch.collectors.formats import ImportContext, parse_file
    from sourcewatch.ingest.imports import import_file
    from sourcewatch.sources.config import find_source
    from sourcewatch.workspace import Workspace

    settings = settings_for(config)
    with cli_errors():
        try:
            source_config = find_source(_watch_list(settings), source)
        except LookupError as exc:
            fail(str(exc), EXIT_USAGE)
        if dry_run:
            _, items = parse_file(file, format, ImportContext(source_config, url, file.name))
            for item in items:
                if json:
                    print_json(item.to_json())
                else:
                    console.print(_item_line(item), markup=False)
            if not json:
                err_console.print(
                    f"{len(items)} item(s) parsed; nothing stored (dry run)", markup=False
                )
            return
        with Workspace.open(settings) as ws:
            report = import_file(ws, file, source_config, format, url=url)
    if json:
        print_json(report.to_json())
    else:
        console.print(
            f"{source}: {report.new} new, {report.edited} edited, {report.deleted} deleted, "
            f"{report.unchanged} unchanged; {report.objects_new} new object(s)",
            markup=False,
        )


sources_app = typer.Typer(
    help="The watch list (config/sources.toml) and each source's health.",
    invoke_without_command=True,
    no_args_is_help=False,
)
app.add_typer(sources_app, name="sources")


@sources_app.callback()
def sources_list(ctx: typer.Context, config: ConfigOption = None, json: JsonOption = False) -> None:
    """List the configured sources with their health (last poll, last error, items)."""
    if ctx.invoked_subcommand is not None:
        return
    from rich.table import Table

    from sourcewatch.sources.status import source_statuses
    from sourcewatch.workspace import Workspace

    settings = settings_for(config)
    with cli_errors():
        configured = _watch_list(settings)
        with Workspace.open(settings) as ws:
            statuses = source_statuses(ws, configured)
    if json:
        for status in statuses:
            print_json(status.to_json())
        return
    table = Table(
        "name", "kind", "target", "every", "areas", "health", "items",
        "last success", "next poll", "last error",
    )  # fmt: skip
    for s in statuses:
        table.add_row(
            safe(s.name),
            s.kind,
            safe(s.target),
            _human_interval(s.interval_seconds),
            ",".join(s.areas),
            s.health,
            str(s.items),
            _short_time(s.last_success_at),
            _short_time(s.next_poll_at),
            safe(s.last_error or "")[:80],
        )
    console.print(table)


@sources_app.command("check")
def sources_check(
    file: Annotated[
        Path | None, typer.Argument(help="Watch list to check (default: the configured one).")
    ] = None,
    config: ConfigOption = None,
    json: JsonOption = False,
) -> None:
    """Validate the watch list; name every error with its file and line. Exit 1 on errors."""
    from sourcewatch.sources.config import check_sources

    settings = settings_for(config)
    path = file or settings.sources_file
    sources, problems = check_sources(path)
    if json:
        print_json(
            {
                "file": str(path),
                "sources": len(sources),
                "problems": [
                    {"line": p.line, "source": p.source, "message": p.message} for p in problems
                ],
            }
        )
    else:
        for problem in problems:
            console.print(safe(str(problem)), markup=False)
        console.print(
            f"{path}: {len(sources)} valid source(s), {len(problems)} problem(s)", markup=False
        )
    raise typer.Exit(EXIT_PROBLEM if problems else EXIT_OK)


@app.command()
def poll(
    name: Annotated[str, typer.Argument(help="Name of the source to poll now.")],
    config: ConfigOption = None,
    json: JsonOption = False,
) -> None:
    """Poll one source now and ingest what it returns. Exit 1 if the poll fails."""
    from sourcewatch.collectors.base import CollectorError
    from sourcewatch.net import Http
    from sourcewatch.polling.pipeline import poll_source
    from sourcewatch.sources.config import find_source
    from sourcewatch.workspace import Workspace

    settings = settings_for(config)
    with cli_errors():
        try:
            source = find_source(_watch_list(settings), name)
        except LookupError as exc:
            fail(str(exc), EXIT_USAGE)

    async def run() -> IngestReport:
        async with Http(settings.net) as http:
            with Workspace.open(settings) as ws:
                return await poll_source(ws, source, http)

    try:
        report = asyncio.run(run())
    except CollectorError as exc:
        if json:
            print_json({"source": name, "ok": False, "error": str(exc)})
        else:
            err_console.print(f"error: {safe(str(exc))}", markup=False)
        raise typer.Exit(EXIT_PROBLEM) from None
    if json:
        print_json({"ok": True, **report.to_json()})
    else:
        console.print(
            f"{name}: {report.new} new, {report.edited} edited, {report.deleted} deleted, "
            f"{report.unchanged} unchanged; {report.captures_new} new capture(s)",
            markup=False,
        )


def _short_time(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value else "-"


def _human_interval(seconds: float) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{int(seconds // size)}{unit}"
    return f"{seconds:g}s"


def _redact(url: str) -> str:
    """Hide a password in a database URL before printing it."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def _item_line(item: ParsedItem) -> str:
    when = item.published_at.isoformat() if item.published_at else "-"
    summary = " ".join((item.title or item.text).split())[:80]
    return f"{safe(item.external_id)}\t{when}\t{safe(summary)}"


@app.command()
def rescan(
    since: Annotated[
        str | None,
        typer.Option("--since", help="Only items published (or collected) within this, e.g. 90d."),
    ] = None,
    config: ConfigOption = None,
    json: JsonOption = False,
) -> None:
    """Re-match stored items against the watchlists as they are now (retro-hunt).

    Replaces the stored matches of each item's current revision and queues items that
    now match. Run it after adding a name to a watchlist to find every past mention.
    """
    from sourcewatch.ingest.rescan import rescan as rescan_items
    from sourcewatch.sources.config import parse_duration
    from sourcewatch.workspace import Workspace

    settings = settings_for(config)
    with cli_errors():
        window = timedelta(seconds=parse_duration(since)) if since else None
        with Workspace.open(settings) as ws:
            report = with_progress(
                "rescanning",
                lambda progress: rescan_items(ws, since=window, progress=progress),
                json,
            )
    if json:
        print_json(report.to_json())
    else:
        console.print(
            f"{report.items} item(s) rescanned: {report.matched} match, "
            f"{report.matches} match(es) stored, {report.queued} queued",
            markup=False,
        )
