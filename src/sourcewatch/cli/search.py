"""``sourcewatch search`` (full-text search of every item revision), ``searches``
(saved searches) and ``reindex`` (rebuild the search index).

Exit codes: 0 done (also when nothing matched); 1 a saved search that does not exist;
2 bad usage: a query that does not parse, an unknown source, area, entity, tag,
status or kind (the message names the known ones), a bad time.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from sourcewatch.cli.app import app
from sourcewatch.cli.common import (
    ConfigOption,
    JsonOption,
    cli_errors,
    console,
    database_errors,
    err_console,
    open_existing,
    print_json,
    safe,
    settings_for,
    with_progress,
)
from sourcewatch.cli.filteropts import (
    AreasOption,
    EntitiesOption,
    SinceOption,
    SourcesOption,
    TagsOption,
    UntilOption,
)

if TYPE_CHECKING:
    from sourcewatch.search.engine import Hit, SearchFilter
    from sourcewatch.search.service import SearchRequest
    from sourcewatch.workspace import Workspace


@app.command()
def search(
    query: Annotated[
        str | None,
        typer.Argument(
            help='Words (any script), "quoted phrases", @entity ids; AND, OR, NOT, ( ), '
            "NEAR/n. Normalized as the watchlists are: Кидаль finds Кидале.",
        ),
    ] = None,
    source: SourcesOption = None,
    area: AreasOption = None,
    entity: EntitiesOption = None,
    lang: Annotated[
        list[str] | None, typer.Option("--lang", help="Only items in this language (ar, ru...).")
    ] = None,
    tag: TagsOption = None,
    status: Annotated[
        list[str] | None,
        typer.Option("--status", help="Only items whose queue entry has this status. Repeatable."),
    ] = None,
    since: SinceOption = None,
    until: UntilOption = None,
    deleted: Annotated[
        bool, typer.Option("--deleted", help="Only items deleted at the source.")
    ] = False,
    edited: Annotated[
        bool, typer.Option("--edited", help="Only items edited at least once.")
    ] = False,
    kind: Annotated[
        list[str] | None,
        typer.Option("--kind", help="telegram, x, news or wordpress. Repeatable."),
    ] = None,
    newest: Annotated[
        bool, typer.Option("--newest", help="Newest first instead of best match first.")
    ] = False,
    limit: Annotated[int, typer.Option("--limit", min=1, help="At most this many items.")] = 20,
    within: Annotated[
        str,
        typer.Option(
            "--in",
            help="original (the default), translation (stored machine translations only) "
            "or any (originals ranked first, then items found only through a translation).",
        ),
    ] = "original",
    count: Annotated[bool, typer.Option("--count", help="Only how many items match.")] = False,
    by: Annotated[
        str | None, typer.Option("--by", help="Count per day, source or area (a histogram).")
    ] = None,
    save: Annotated[
        str | None, typer.Option("--save", help="Keep this search (query and filters) as NAME.")
    ] = None,
    saved: Annotated[
        str | None,
        typer.Option(
            "--saved", help="Run the saved search NAME (with --since last: only what is new)."
        ),
    ] = None,
    to_watchlist: Annotated[
        Path | None,
        typer.Option(
            "--to-watchlist",
            help="With --saved: append it to this watchlist file as a rule (id = NAME).",
            dir_okay=False,
        ),
    ] = None,
    config: ConfigOption = None,
    json: JsonOption = False,
) -> None:
    """Search every item and every earlier revision: text, titles, authors,
    forwarded-from, media and link-preview names.

    Hits are ranked (BM25 on SQLite, ts_rank on PostgreSQL; --newest for time order);
    each shows item id, source, time, URL, which revision matched (an edited-away claim
    is still found) and a snippet with the match highlighted. --json: one object per hit
    with the same fields and the match offsets. --count, --by day|source|area: how much.
    """
    from sourcewatch.records import utcnow

    now = utcnow()
    given: dict[str, Any] = {
        "source": source or [],
        "area": area or [],
        "entity": entity or [],
        "lang": lang or [],
        "tag": tag or [],
        "status": status or [],
        "kind": kind or [],
        "since": since,
        "until": until,
        "deleted": deleted,
        "edited": edited,
    }
    ws = open_existing(settings_for(config))
    with cli_errors(), database_errors(), ws:
        from sourcewatch.search import saved as saved_searches
        from sourcewatch.search.service import SearchRequest

        if saved is not None:
            with ws.engine.begin() as conn:
                kept = saved_searches.load(conn, saved)
            if to_watchlist is not None:
                rule = saved_searches.promote(kept, to_watchlist)
                err_console.print(f"rule {kept.name} added to {to_watchlist}:", markup=False)
                console.print(safe(rule.strip()), markup=False)
                return
            if query is not None:
                raise _usage("give either a QUERY or --saved NAME, not both")
            query = kept.query
            given = {**kept.filters, **{k: v for k, v in given.items() if v}}
            if given.get("since") == "last":
                given["since"] = kept.last_run_at.isoformat() if kept.last_run_at else None
        elif to_watchlist is not None:
            raise _usage("--to-watchlist promotes a saved search: add --saved NAME")
        if query is None:
            raise _usage("a QUERY (or --saved NAME) is needed")
        where = _filter(given, now)
        if save is not None:
            with ws.engine.begin() as conn:
                saved_searches.save(conn, save, query, given, now)
            err_console.print(f"saved as {save}", markup=False)
        _run(
            ws,
            SearchRequest(query, where, limit=limit, newest=newest, within=within),
            count=count,
            by=by,
            json=json,
        )
        if saved is not None:
            with ws.engine.begin() as conn:
                saved_searches.mark_run(conn, saved, now)


def _usage(message: str) -> Exception:
    from sourcewatch.errors import InvalidInput

    return InvalidInput(message)


def _filter(given: dict[str, Any], now: datetime) -> SearchFilter:
    """The command-line filters, parsed (the web form's too: ``service.filter_from``)."""
    from sourcewatch.search.service import filter_from

    return filter_from(given, now)


def _run(ws: Workspace, request: SearchRequest, *, count: bool, by: str | None, json: bool) -> None:
    from sourcewatch.search import service
    from sourcewatch.store.db import read_connection

    entities = ws.matcher().entities
    with read_connection(ws.engine) as conn:
        if count or by:
            total, buckets = service.count(conn, request, entities, by)
            _print_count(total, buckets, by, json)
            return
        result = service.search(conn, request, entities)
    if json:
        for hit in result.hits:
            print_json(hit.to_json())
        return
    if not result.hits:
        err_console.print(f"nothing matches {result.query.rule}", markup=False)
        return
    for hit in result.hits:
        _print_hit(hit)


def _print_count(total: int, buckets: list[tuple[str, int]], by: str | None, json: bool) -> None:
    if json:
        print_json(
            {"count": total, "by": by, "buckets": [{"key": k, "count": n} for k, n in buckets]}
        )
        return
    console.print(f"{total} item(s)", markup=False)
    width = max((n for _, n in buckets), default=0)
    for key, n in buckets:
        bar = "█" * max(1, round(40 * n / width)) if width else ""
        console.print(f"{safe(key):>12}  {n:>6}  {bar}", markup=False)


def _print_hit(hit: Hit) -> None:
    """Metadata on one line, the snippet on its own line: right-to-left text in the
    snippet cannot reorder the item id, source and time around it."""
    from rich.text import Text

    state = []
    if hit.revision != hit.current_revision:
        where = "edited away" if hit.current_revision not in hit.revisions else "also now"
        state.append(f"revision {hit.revision} of {hit.current_revision}, {where}")
    elif hit.current_revision > 1:
        state.append(f"revision {hit.revision}")
    if hit.deleted:
        state.append("deleted at the source")
    if hit.matched_in != "original":
        state.append(f"matched the machine {hit.matched_in}, not the source's words")
    head = Text(f"{hit.item_id}", style="bold")
    head.append(f"  {safe(hit.source)}  {hit.at:%Y-%m-%d %H:%M}Z")
    if state:
        head.append(f"  ({'; '.join(state)})", style="yellow")
    console.print(head)
    if hit.url:
        console.print(Text("  " + safe(hit.url), style="dim"))
    if hit.snippet is not None:
        line = Text("  " + ("…" if hit.snippet.cut_left else ""))
        offset = len(line)
        line.append(hit.snippet.text + ("…" if hit.snippet.cut_right else ""))
        for start, end in hit.snippet.spans:
            line.stylize("bold reverse", offset + start, offset + end)
        console.print(line)
    console.print()


@app.command()
def searches(config: ConfigOption = None, json: JsonOption = False) -> None:
    """List the saved searches (`search ... --save NAME`): name, query, filters, last run.

    Run one with `search --saved NAME` (`--since last`: only what is new since its last
    run); make it a watchlist rule with `search --saved NAME --to-watchlist FILE`.
    """
    from sourcewatch.search.saved import all_saved
    from sourcewatch.store.db import read_connection

    ws = open_existing(settings_for(config))
    with cli_errors(), database_errors(), ws, read_connection(ws.engine) as conn:
        kept = all_saved(conn)
    for one in kept:
        if json:
            print_json(one.to_json())
        else:
            last = f"{one.last_run_at:%Y-%m-%d %H:%M}Z" if one.last_run_at else "never run"
            console.print(f"{safe(one.name)}  {safe(one.query)}  ({last})", markup=False)


@app.command()
def reindex(config: ConfigOption = None, json: JsonOption = False) -> None:
    """Rebuild the search index from every stored item revision, and the dashboard's
    per-day counts from the items (one transaction: a crash leaves the old ones).
    `verify` reports revisions missing from the index and counts that disagree."""
    from sourcewatch.search.index import reindex as rebuild
    from sourcewatch.store import rollup

    ws = open_existing(settings_for(config))
    with cli_errors(), database_errors(), ws:

        def work(progress: Any) -> int:
            with ws.engine.begin() as conn:
                indexed = rebuild(conn, progress)
                rollup.rebuild(conn)
                return indexed

        done = with_progress("indexing", work, json)
    if json:
        print_json({"indexed": done})
    else:
        console.print(f"{done} revision(s) indexed", markup=False)
