"""Core commands: init, verify, gc, import, sources, poll."""

from __future__ import annotations

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
    database_errors,
    err_console,
    fail,
    print_json,
    safe,
    settings_for,
    with_progress,
)

if TYPE_CHECKING:
    from rich.table import Table

    from sourcewatch.config import Settings
    from sourcewatch.ingest.writer import IngestReport
    from sourcewatch.records import ParsedItem
    from sourcewatch.sources.config import SourceConfig
    from sourcewatch.sources.status import SourceStatus

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
    from sourcewatch.workspace import Workspace, readiness_warnings, watchlist_files

    settings = settings_for(config)
    with cli_errors():
        sources = _watch_list(settings)
        with Workspace.open(settings, migrate_schema=False) as ws:
            applied = db.migrate(ws.engine)
            sync = sync_sources(ws.engine, sources)
    lists = watchlist_files(settings)
    warnings = readiness_warnings(settings, len(sources))
    result = {
        "config": str(settings.config_file) if settings.config_file else None,
        "config_reason": settings.config_reason,
        "data_dir": str(settings.data_dir),
        "database": _redact(settings.resolved_database_url),
        "migrations_applied": applied,
        "schema": db.head_revision(),
        "sources": len(sources),
        "sources_added": sync.added,
        "sources_updated": sync.updated,
        "sources_removed": sync.removed,
        "sources_file": str(settings.sources_file),
        "watchlists_dir": str(settings.watchlists_dir),
        "watchlist_files": [path.name for path in lists],
        "warnings": warnings,
    }
    if json:
        print_json(result)
        return
    config_file = settings.config_file.resolve() if settings.config_file else "none"
    console.print(f"config     {config_file} ({settings.config_reason})", markup=False)
    console.print(f"data dir   {settings.data_dir.resolve()}", markup=False)
    console.print(f"database   {result['database']} (schema {result['schema']})", markup=False)
    console.print(f"migrations {', '.join(applied) if applied else 'up to date'}", markup=False)
    console.print(
        f"sources    {len(sources)} in watch list {settings.sources_file} "
        f"({len(sync.added)} added, {len(sync.updated)} updated, {len(sync.removed)} removed)",
        markup=False,
    )
    names = ", ".join(path.stem for path in lists) or "none"
    console.print(f"watchlists {len(lists)} in {settings.watchlists_dir} ({names})", markup=False)
    for warning in warnings:
        err_console.print(f"WARNING: {warning}", style="bold red", markup=False)


@app.command()
def verify(
    quick: Annotated[
        bool, typer.Option("--quick", help="Check only the chain and that objects exist.")
    ] = False,
    config: ConfigOption = None,
    json: JsonOption = False,
) -> None:
    """Check the database, re-hash every archived object and walk the capture-log chain.

    Names every missing, corrupt or misplaced object, every broken or altered log entry,
    every altered capture, revision or item, and a chain cut or rewritten since its
    anchored head; lists orphan objects. Never writes: works on a read-only copy.
    Exit 0 when the archive is intact, 1 when anything is wrong, 2 if it cannot be read.
    """
    from sourcewatch.store.verify import verify_archive
    from sourcewatch.workspace import Workspace

    settings = settings_for(config)
    with cli_errors(), Workspace.open_read_only(settings) as ws:
        report = with_progress(
            "verifying", lambda progress: verify_archive(ws, quick=quick, progress=progress), json
        )
    if json:
        print_json(report.to_json())
    else:
        for line in report.checks:
            console.print(f"check {safe(line)}", markup=False)
        for line in report.notes:
            console.print(f"note  {safe(line)}", markup=False)
        for problem in report.problems:
            console.print(f"FAIL  {safe(problem)}", markup=False)
        verdict = "intact" if report.ok else f"{len(report.problems)} problem(s)"
        console.print(
            f"{report.entries} log entries, {report.objects} objects, "
            f"{report.revisions} revisions ({'quick' if quick else 'full'} check): {verdict}",
            markup=False,
        )
    raise typer.Exit(EXIT_OK if report.ok else EXIT_PROBLEM)


@app.command()
def gc(
    grace: Annotated[
        str,
        typer.Option("--grace", help="Only remove orphans older than this, e.g. 1d, 12h."),
    ] = "1d",
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="List what would be removed; remove nothing.")
    ] = False,
    config: ConfigOption = None,
    json: JsonOption = False,
) -> None:
    """Remove orphan objects (archived bytes no capture refers to, left by a failed poll)
    and stray temp files, once older than the grace period. Exit 1 if any could not be
    removed."""
    from sourcewatch.sources.config import parse_duration
    from sourcewatch.store.gc import collect_garbage
    from sourcewatch.workspace import Workspace

    settings = settings_for(config)
    with cli_errors():
        window = timedelta(seconds=parse_duration(grace))
        try:
            with Workspace.open(settings) as ws:
                report = collect_garbage(ws.objects, ws.engine, grace=window, dry_run=dry_run)
        except OSError as exc:
            fail(f"gc: {exc.strerror or exc}: {exc.filename or settings.data_dir}", EXIT_USAGE)
    if json:
        print_json(report.to_json())
    else:
        for problem in report.problems:
            console.print(f"FAIL  {safe(problem)}", markup=False)
        verb = "would remove" if dry_run else "removed"
        console.print(
            f"{verb} {len(report.removed)} orphan file(s), {report.bytes_freed} bytes; "
            f"{report.kept_young} younger than {grace} kept",
            markup=False,
        )
    raise typer.Exit(EXIT_PROBLEM if report.problems else EXIT_OK)


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
    from sourcewatch.collectors.formats import ImportContext, iter_import_items
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
            parse_ctx = ImportContext(source_config, url, file.name)
            parsed = 0
            for item in iter_import_items(file, format, parse_ctx):
                parsed += 1
                if json:
                    print_json(item.to_json())
                else:
                    console.print(_item_line(item), markup=False)
            if not json:
                err_console.print(
                    f"{parsed} item(s) parsed; nothing stored (dry run)", markup=False
                )
            _print_skipped(parse_ctx.skipped)
            return
        with database_errors(), Workspace.open(settings) as ws:
            report = import_file(ws, file, source_config, format, url=url)
    if json:
        print_json(report.to_json())
    else:
        console.print(
            f"{source}: {report.new} new, {report.edited} edited, {report.deleted} deleted, "
            f"{report.unchanged} unchanged; {report.objects_new} new object(s)",
            markup=False,
        )
        _print_skipped(report.skipped)


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
    from sourcewatch.sources.status import source_statuses
    from sourcewatch.workspace import Workspace

    settings = settings_for(config)
    with cli_errors():
        configured = _watch_list(settings)
        with Workspace.open(settings, create=False) as ws:
            statuses = source_statuses(ws, configured)
    if json:
        for status in statuses:
            print_json(status.to_json())
        return
    console.print(sources_table(statuses, console.width))


MEDIUM_TABLE = 100  # columns from which kind and interval fit (short dates below 120)
LONG_DATES = 120
WIDE_TABLE = 180  # ... and target, areas and next poll
LAST_ERROR_CHARS = 200


def sources_table(statuses: list[SourceStatus], width: int) -> Table:
    """The watch list as a table that fits ``width``: narrower terminals get fewer columns
    (``--json`` has them all), only the last error wraps, and an error cut at
    LAST_ERROR_CHARS ends in an ellipsis, so a shortened error never reads as whole."""
    from rich import box
    from rich.table import Table

    medium, wide = width >= MEDIUM_TABLE, width >= WIDE_TABLE
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, expand=False)
    table.add_column("name", no_wrap=True, overflow="ellipsis", max_width=24)
    if medium:
        table.add_column("kind", no_wrap=True)
        table.add_column("every", no_wrap=True)
    if wide:
        table.add_column("target", no_wrap=True, overflow="ellipsis", max_width=30)
        table.add_column("areas", no_wrap=True, overflow="ellipsis", max_width=20)
    table.add_column("health", no_wrap=True)
    table.add_column("items", no_wrap=True, justify="right")
    table.add_column("last success", no_wrap=True)
    if wide:
        table.add_column("next poll", no_wrap=True)
    table.add_column("last error", overflow="fold", min_width=10)
    short = "%Y-%m-%d %H:%M" if width >= LONG_DATES else "%m-%d %H:%M"
    for s in statuses:
        cells = [safe(s.name)]
        if medium:
            cells += [s.kind, _human_interval(s.interval_seconds)]
        if wide:
            cells += [safe(s.target), ",".join(s.areas)]
        cells += [s.health, str(s.items), _short_time(s.last_success_at, short)]
        if wide:
            cells.append(_short_time(s.next_poll_at, short))
        cells.append(clip(safe(s.last_error or ""), LAST_ERROR_CHARS))
        table.add_row(*cells)
    return table


def clip(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, the cut marked with an ellipsis."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


@sources_app.command("check")
def sources_check(
    file: Annotated[
        Path | None, typer.Argument(help="Watch list to check (default: the configured one).")
    ] = None,
    config: ConfigOption = None,
    json: JsonOption = False,
) -> None:
    """Validate the watch list; name every error with its file and line. Exit 1 on errors."""
    from sourcewatch.collectors.validate import check_watch_list

    settings = settings_for(config)
    path = file or settings.sources_file
    if not path.is_file():  # bad input (exit 2), not a watch list with problems (exit 1)
        fail(f"{path}: no such file (`sourcewatch where` shows the configured one)", EXIT_USAGE)
    sources, problems = check_watch_list(path)
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
    if not source.enabled:
        # Polling it anyway would end, on a missing credential, in advice to disable it.
        fail(
            f"source {name!r} is disabled (enabled = false in {settings.sources_file}); "
            "set enabled = true to poll it",
            EXIT_USAGE,
        )

    async def run() -> IngestReport:
        async with Http(settings.net) as http:
            with Workspace.open(settings) as ws:
                return await poll_source(ws, source, http)

    try:
        import asyncio  # here, not at the top: every other command starts without it

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
        _print_skipped(report.skipped)


def _print_skipped(skipped: list[str]) -> None:
    """Entries the source listed that were not stored, each with its reason (stderr)."""
    if skipped:
        err_console.print(f"{len(skipped)} entry(ies) skipped:", markup=False)
        for reason in skipped:
            err_console.print(f"  {safe(reason)}", markup=False)


def _short_time(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    return value.strftime(fmt) if value else "-"


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
        typer.Option(
            "--since",
            help="Only items published (or collected) within this, e.g. 90d, or since a date "
            "or time with its zone (2023-09-20, 2023-09-20T10:00-04:00).",
        ),
    ] = None,
    config: ConfigOption = None,
    json: JsonOption = False,
) -> None:
    """Re-match stored items against the watchlists as they are now (retro-hunt).

    Replaces the stored matches of each item's current revision and queues items that
    now match. Run it after adding a name to a watchlist to find every past mention.
    """
    from sourcewatch.ingest.rescan import rescan as rescan_items
    from sourcewatch.records import utcnow
    from sourcewatch.search.filters import parse_when
    from sourcewatch.workspace import Workspace

    settings = settings_for(config)
    with cli_errors():
        now = utcnow()
        window = now - parse_when(since, now, option="--since") if since else None
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
