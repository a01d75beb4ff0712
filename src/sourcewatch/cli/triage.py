"""Triage commands: queue, show, mark, history, triage (interactive), export.

Exit codes: 0 done; 1 a conflict (someone else changed the entry first), an item that
does not exist (or, for history, is not queued); 2 bad usage. Service modules are imported
inside the commands so that ``sourcewatch --help`` and unrelated commands do not pay for them.
"""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from sourcewatch.cli.app import app
from sourcewatch.cli.common import (
    EXIT_PROBLEM,
    EXIT_USAGE,
    ConfigOption,
    JsonOption,
    cli_errors,
    console,
    core_settings_for,
    database_errors,
    err_console,
    fail,
    open_existing,
    print_json,
    safe,
    settings_for,
)

if TYPE_CHECKING:
    import sqlalchemy as sa

    from sourcewatch.config import Settings
    from sourcewatch.triage.detail import ItemDetail
    from sourcewatch.triage.queue import QueueFilter
    from sourcewatch.workspace import Workspace

AnalystOption = Annotated[
    str | None,
    typer.Option(
        "--analyst",
        help="Who you are, for the history. Default: $SOURCEWATCH_ANALYST, else the OS user.",
    ),
]
AreaOption = Annotated[
    list[str] | None,
    typer.Option("--area", help="Only entries in this area. Repeat for any of several."),
]
SourceOption = Annotated[
    list[str] | None,
    typer.Option(
        "--source", help="Only entries with an item from this source. Repeat for any of several."
    ),
]
EntityOption = Annotated[
    list[str] | None,
    typer.Option(
        "--entity", help="Only entries mentioning this entity id. Repeat for any of several."
    ),
]
MinPriorityOption = Annotated[
    int | None, typer.Option("--min-priority", help="Only entries of at least this priority.")
]
ItemIdArgument = Annotated[int, typer.Argument(help="An item_id as printed by `queue`.")]


def _read(ws: Workspace) -> sa.Connection:
    """A read-only connection: listing the queue never waits for (or blocks) ingest."""
    from sourcewatch.store.db import read_connection

    return read_connection(ws.engine)


def _when(value: str | None, option: str, *, end_of_day: bool = False) -> datetime | None:
    """A duration back from now, or a date or time with its zone (search.filters)."""
    if value is None:
        return None
    from sourcewatch.records import utcnow
    from sourcewatch.search.filters import parse_when

    try:
        return parse_when(value, utcnow(), option=option, end_of_day=end_of_day)
    except ValueError as exc:
        fail(str(exc), EXIT_USAGE)


def _facets(
    ws: Workspace,
    conn: sa.Connection,
    area: list[str] | None,
    source: list[str] | None,
    entity: list[str] | None,
) -> dict[str, Any]:
    """--area/--source/--entity: repeated means any of them; an unknown name is an error
    naming the known ones (exit 2)."""
    from sourcewatch.search.filters import check_names, distinct

    areas, sources, entities = distinct(area, lower=True), distinct(source), distinct(entity)
    known = ws.matcher().entities if areas or entities else {}
    try:
        check_names(conn, known, sources=sources, areas=areas, entity_ids=entities)
    except ValueError as exc:
        fail(str(exc), EXIT_USAGE)
    return {"area": areas or None, "source": sources or None, "entity": entities or None}


def _statuses(values: list[str] | None, default: tuple[str, ...]) -> tuple[str, ...]:
    if not values:
        return default
    if any(v in ("any", "all") for v in values):
        return ()
    return tuple(values)


def _queue_filter(**kwargs: Any) -> QueueFilter:
    from sourcewatch.triage.queue import QueueFilter

    try:
        return QueueFilter(**kwargs)
    except ValueError as exc:
        fail(str(exc), EXIT_USAGE)


@app.command()
def queue(
    status: Annotated[
        list[str] | None,
        typer.Option(
            "--status",
            help="new (default), relevant, irrelevant, escalated, duplicate, or any. Repeatable.",
        ),
    ] = None,
    area: AreaOption = None,
    source: SourceOption = None,
    entity: EntityOption = None,
    since: Annotated[
        str | None,
        typer.Option(
            "--since",
            help="Queued since: a duration (24h, 7d, 2w) or a date or time with its zone "
            "(2023-09-20, 2023-09-20T10:00-04:00).",
        ),
    ] = None,
    min_priority: MinPriorityOption = None,
    assignee: Annotated[
        str | None, typer.Option("--assignee", help="Only entries assigned to NAME ('me': you).")
    ] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="At most this many.")] = 50,
    analyst: AnalystOption = None,
    config: ConfigOption = None,
    json: JsonOption = False,
) -> None:
    """List the triage queue: highest priority first, then newest.

    `show`, `mark` and `history` take the item_id printed here. With --json: one object
    per line (item_id, source, external_id, status, priority, areas, entities, ...).
    """
    settings = core_settings_for(config)
    if assignee == "me":
        from sourcewatch.triage.analyst import resolve_analyst

        assignee = resolve_analyst(analyst, settings)
    from sourcewatch.triage.queue import list_queue

    statuses = _statuses(status, ("new",))
    when = _when(since, "--since")
    ws = open_existing(settings)
    with database_errors(), ws, _read(ws) as conn:
        where = _queue_filter(
            statuses=statuses,
            since=when,
            min_priority=min_priority,
            assignee=assignee,
            limit=limit,
            **_facets(ws, conn, area, source, entity),
        )
        rows = list_queue(conn, where)
    if json:
        for row in rows:
            print_json(row.to_json())
        return
    if not rows:
        err_console.print("queue is empty for these filters")
        return
    from sourcewatch.triage.render import queue_view

    console.print(queue_view(rows), soft_wrap=False)


@app.command()
def show(
    item_id: ItemIdArgument,
    explain: Annotated[
        bool,
        typer.Option(
            "--explain",
            help="Also say why the current watchlists match the item (as match --explain).",
        ),
    ] = False,
    translate: Annotated[
        bool,
        typer.Option(
            "--translate",
            help="Also show a machine translation under the original: translated now by the "
            "[translate] engine if configured (never twice), else one stored earlier.",
        ),
    ] = False,
    config: ConfigOption = None,
    json: JsonOption = False,
) -> None:
    """Show one item: source, author, times, URL, text with every hit highlighted (each
    listed with its alias and the entity or rule it counts for), every revision as a
    diff, forwarded-from, media and the SHA-256 of every archived capture.

    On a terminal, output taller than the screen goes through $PAGER (default less).
    """
    from sourcewatch.triage.detail import explain_item, highlight_item, item_detail
    from sourcewatch.triage.marking import ItemNotFoundError

    settings = settings_for(config)
    ws = open_existing(settings)
    try:
        with database_errors(), ws, _read(ws) as conn:
            detail = item_detail(conn, item_id)
    except ItemNotFoundError as exc:
        fail(str(exc), EXIT_PROBLEM)
    from sourcewatch.matching import WatchlistError

    try:
        matcher = ws.matcher()
    except WatchlistError as exc:
        if explain:
            fail(f"cannot explain: {exc}", EXIT_PROBLEM)
        err_console.print(f"warning: watchlists not loaded, stored matches shown: {exc}")
    else:
        highlight_item(detail, matcher)
        if explain:
            explain_item(detail, matcher)
    if translate:
        _attach_translation(settings, detail)
    if json:
        print_json(detail.to_json())
        return
    from sourcewatch.triage.paging import print_paged
    from sourcewatch.triage.render import item_view

    print_paged(console, item_view(detail))


def _attach_translation(settings: Settings, detail: ItemDetail) -> None:
    """show --translate: the translation goes under the original; a failure to translate
    is said on stderr and the original is still shown."""
    from sourcewatch.translate.service import FAILED, translation_for_show

    with cli_errors(), database_errors(), open_existing(settings) as ws:
        detail.translation, outcome = translation_for_show(settings, ws.engine, detail.item_id)
    if outcome is None and detail.translation is None:
        err_console.print("no translation: no engine is configured in [translate]", markup=False)
    elif outcome is not None and outcome.status == FAILED:
        err_console.print(safe(f"not translated: {outcome.error}"), markup=False)
    elif detail.translation is None and outcome is not None:
        err_console.print(f"no translation: {outcome.status}", markup=False)


@app.command()
def mark(
    item_ids: Annotated[
        list[int],
        typer.Argument(help="One or more item_ids (from `queue`, or any item, e.g. from `show`)."),
    ],
    status: Annotated[
        str | None,
        typer.Option("--status", help="relevant, irrelevant, escalated, duplicate (or new)."),
    ] = None,
    note: Annotated[str | None, typer.Option("--note", help="A note (replaces the last).")] = None,
    tag: Annotated[list[str] | None, typer.Option("--tag", help="Add a tag. Repeatable.")] = None,
    assign: Annotated[
        str | None, typer.Option("--assign", help="Assign to NAME ('' to unassign).")
    ] = None,
    expect_version: Annotated[
        int | None,
        typer.Option(
            "--expect-version",
            help="Only if the entry is still at this version (as printed by queue --json).",
        ),
    ] = None,
    analyst: AnalystOption = None,
    config: ConfigOption = None,
    json: JsonOption = False,
) -> None:
    """Mark items: status, note, tags, assignee. Every change goes into the history.

    An item that is not in the queue (it matched nothing) is added to it by this mark,
    with a history event saying it was added by hand, so it can go into the write-up.

    If someone else changed an entry first (or it is not at --expect-version), that
    item is left alone with a conflict message and the exit code is 1.
    """
    from sourcewatch.records import utcnow
    from sourcewatch.triage.analyst import resolve_analyst
    from sourcewatch.triage.marking import MarkChange, TriageError
    from sourcewatch.triage.marking import mark as mark_entry

    settings = core_settings_for(config)
    try:
        change = MarkChange(status=status, note=note, tags=tuple(tag or ()), assignee=assign)
    except ValueError as exc:
        fail(str(exc), EXIT_USAGE)
    who = resolve_analyst(analyst, settings)
    problems = 0
    with database_errors(), open_existing(settings) as ws:
        for item_id in item_ids:
            try:
                with ws.engine.begin() as conn:
                    result = mark_entry(
                        conn, item_id, change, who, utcnow(), expected_version=expect_version
                    )
            except TriageError as exc:
                problems += 1
                err_console.print(f"error: {exc}", markup=False)
                continue
            if json:
                print_json(result.to_json())
            else:
                from sourcewatch.triage.render import mark_line

                console.print(safe(mark_line(result, who)), markup=False)
    if problems:
        raise typer.Exit(EXIT_PROBLEM)


@app.command()
def history(item_id: ItemIdArgument, config: ConfigOption = None, json: JsonOption = False) -> None:
    """Every change of an item's triage entry: who, when, what."""
    from sourcewatch.triage.marking import TriageError
    from sourcewatch.triage.marking import history as entry_history

    ws = open_existing(core_settings_for(config))
    try:
        with database_errors(), ws, _read(ws) as conn:
            events = entry_history(conn, item_id)
    except TriageError as exc:
        fail(str(exc), EXIT_PROBLEM)
    if json:
        for event in events:
            print_json(event.to_json())
        return
    from sourcewatch.triage.render import history_view

    console.print(history_view(events))


@app.command()
def triage(
    area: AreaOption = None,
    source: SourceOption = None,
    entity: EntityOption = None,
    min_priority: MinPriorityOption = None,
    analyst: AnalystOption = None,
    config: ConfigOption = None,
) -> None:
    """Work through the queue one item at a time, highest priority first.

    Keys: r relevant, i irrelevant, e escalate, s skip, n note, t translate (with the
    [translate] engine; the original stays on screen), q quit. Each shown item
    is claimed for a few minutes, so analysts working at once never get the same one.
    Keys are read from the terminal, or from standard input when it is piped.
    """
    from sourcewatch.triage.loop import run_loop

    settings = settings_for(config)
    from sourcewatch.triage.analyst import resolve_analyst

    with database_errors(), open_existing(settings) as ws:
        with _read(ws) as conn:
            facets = _facets(ws, conn, area, source, entity)
        where = _queue_filter(min_priority=min_priority, **facets)
        run_loop(ws, where, resolve_analyst(analyst, settings.core), sys.stdin, console)


@app.command()
def export(
    status: Annotated[
        list[str] | None,
        typer.Option("--status", help="Default: relevant and escalated. Repeatable; or any."),
    ] = None,
    since: Annotated[
        str | None,
        typer.Option(
            "--since",
            help="Decided since: a duration (7d, 2w) or a date or time with its zone "
            "(2023-09-20, 2023-09-20T10:00-04:00).",
        ),
    ] = None,
    cutoff: Annotated[
        str | None,
        typer.Option(
            "--cutoff",
            "--until",
            help="The report's data cutoff: only items published before it (a date, which "
            "includes that day, a time with its zone, or a duration back from now).",
        ),
    ] = None,
    area: AreaOption = None,
    source: SourceOption = None,
    entity: EntityOption = None,
    fmt: Annotated[
        str,
        typer.Option(
            "--format",
            help="md (grouped by area and day, a citation line per item), csv (UTF-8 with "
            "a byte-order mark, for Excel), jsonl, docx (Word) or xlsx (Excel).",
        ),
    ] = "md",
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            help="Write here instead of stdout (needed for docx/xlsx on a terminal).",
        ),
    ] = None,
    config: ConfigOption = None,
) -> None:
    """Export decided items for the write-up: source, author, date (UTC, and the source's
    local time when its `timezone` is set in the watch list), canonical URL, archived
    SHA-256 and capture time. Items added by hand (`mark` on an unqueued item) are in it."""
    from sourcewatch.triage.export import BINARY_FORMATS, FORMATS, ExportFilter, export_rows

    if fmt not in FORMATS:
        fail(f"--format must be one of {', '.join(FORMATS)}, not {fmt!r}", EXIT_USAGE)
    if fmt in BINARY_FORMATS and output is None and sys.stdout.isatty():
        fail(f"--format {fmt} writes a file: give --output FILE (or redirect stdout)", EXIT_USAGE)
    decided_since = _when(since, "--since")
    data_cutoff = _when(cutoff, "--cutoff", end_of_day=True)
    settings = settings_for(config)
    zones = _source_zones(settings)
    ws = open_existing(settings)
    with database_errors(), ws, _read(ws) as conn:
        try:
            where = ExportFilter(
                statuses=_statuses(status, ("relevant", "escalated")),
                since=decided_since,
                cutoff=data_cutoff,
                **_facets(ws, conn, area, source, entity),
            )
        except ValueError as exc:
            fail(str(exc), EXIT_USAGE)
        rows = export_rows(conn, where, zones)
    _write_export(rows, fmt, output)


def _source_zones(settings: Settings) -> dict[str, str]:
    """Source name -> its time zone, from the watch list (unreadable: no local times)."""
    from sourcewatch.cli.core import _watch_list
    from sourcewatch.errors import SourcewatchError

    try:
        return {s.name: s.timezone for s in _watch_list(settings) if s.timezone}
    except SourcewatchError as exc:
        err_console.print(f"warning: watch list not read, dates in UTC only: {safe(str(exc))}")
        return {}


def _write_export(rows: list[dict[str, Any]], fmt: str, output: Path | None) -> None:
    from sourcewatch.triage.export import BINARY_FORMATS, render, render_binary

    if fmt in BINARY_FORMATS:
        data = render_binary(rows, fmt)
        if output is None:
            sys.stdout.flush()
            sys.stdout.buffer.write(data)
            sys.stdout.buffer.flush()
            return
        output.write_bytes(data)
    elif output is None:
        from sourcewatch.cli.common import write_utf8

        for chunk in render(rows, fmt):
            write_utf8(chunk)
        return
    else:
        with output.open("w", encoding="utf-8", newline="") as handle:
            handle.writelines(render(rows, fmt))
    err_console.print(f"{len(rows)} items written to {output}", markup=False)
