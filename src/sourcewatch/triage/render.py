"""Rich renderables for the triage commands. Every fetched string passes through
``terminal_safe`` and reaches rich as ``Text`` (never markup), so neither escape
sequences nor ``[link=...]``-style markup in a post can act on the terminal."""

from __future__ import annotations

from datetime import datetime

from rich import box
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from sourcewatch.text.sanitize import terminal_safe
from sourcewatch.translate.render import translation_view
from sourcewatch.triage.detail import ItemDetail, Span
from sourcewatch.triage.marking import HistoryEvent
from sourcewatch.triage.queue import QueueRow

MATCH_STYLE = "bold black on yellow"
STATUS_STYLES = {
    "new": "bold",
    "relevant": "green",
    "escalated": "bold red",
    "irrelevant": "dim",
    "duplicate": "dim",
}


def plain(text: str | None, *, one_line: bool = False) -> Text:
    return Text(terminal_safe(text, keep_newlines=not one_line))


def when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value else "-"


def short_when(value: datetime | None) -> str:
    return value.strftime("%m-%d %H:%M") if value else "-"


def queue_table(rows: list[QueueRow]) -> Table:
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, expand=True)
    table.add_column("item", no_wrap=True, justify="right", min_width=4)
    table.add_column("pri", no_wrap=True, justify="right", min_width=3)
    table.add_column("status", no_wrap=True, min_width=6)
    for column in ("source", "areas", "entities"):
        table.add_column(column, no_wrap=True, overflow="ellipsis", max_width=18)
    table.add_column("queued", no_wrap=True, min_width=11)
    table.add_column("text", ratio=1, min_width=20, no_wrap=True, overflow="ellipsis")
    for row in rows:
        sources = row.source + (f" +{len(row.sources) - 1}" if len(row.sources) > 1 else "")
        excerpt = terminal_safe(row.title or row.excerpt, keep_newlines=False)[:90]
        table.add_row(
            str(row.item_id),
            str(row.priority),
            Text(row.status, style=STATUS_STYLES.get(row.status, "")),
            plain(sources, one_line=True),
            plain(",".join(row.areas), one_line=True),
            plain(",".join(row.entities), one_line=True),
            short_when(row.queued_at),
            Text(f"[{row.source_state}] {excerpt}" if row.source_state else excerpt),
        )
    return table


def highlighted(text: str, spans: list[Span], *, one_line: bool = False, style: str = "") -> Text:
    """``text`` with each matched alias styled. Spans index the raw text, so each piece is
    cut first and sanitized after: removing an escape must not shift a highlight."""

    def safe(piece: str) -> str:
        return terminal_safe(piece).replace("\n", " ") if one_line else terminal_safe(piece)

    result = Text(style=style)
    position = 0
    for span in sorted(spans, key=lambda s: (s.start, s.end)):
        if span.start < position:
            continue  # overlapping mention: the first one is already highlighted
        result.append(safe(text[position : span.start]))
        result.append(safe(text[span.start : span.end]), style=MATCH_STYLE)
        position = span.end
    result.append(safe(text[position:]))
    return result


def item_view(detail: ItemDetail) -> RenderableType:
    facts = Table.grid(padding=(0, 2))
    facts.add_column(style="bold", no_wrap=True)
    facts.add_column(overflow="fold")

    def fact(label: str, value: str | Text | None) -> None:
        if value:
            facts.add_row(label, value if isinstance(value, Text) else plain(value))

    fact("item", f"{detail.item_id}  ({detail.source} / {detail.external_id})")
    if detail.entry:
        entry = detail.entry
        fact(
            "triage",
            f"{entry['status']}  priority {entry['priority']}  version {entry['version']}  "
            f"areas {','.join(entry['areas']) or '-'}",
        )
        fact("assignee", entry["assignee"])
        fact("tags", ", ".join(entry["tags"]))
        fact("note", entry["note"])
    fact("author", detail.author)
    fact("url", detail.canonical_url or detail.url)
    fact("published", when(detail.published_at))
    fact("collected", when(detail.collected_at))
    for revision in detail.revisions[1:]:
        edited = f" (source says edited {when(revision.edited_at)})" if revision.edited_at else ""
        fact(f"revision {revision.revision}", f"seen {when(revision.seen_at)}{edited}")
    fact("deleted", when(detail.deleted_at) if detail.deleted_at else None)
    fact("forwarded from", detail.forwarded_from)
    fact("reply to", detail.reply_to)
    fact("entities", ", ".join(dict.fromkeys(s.entity for s in detail.spans)))
    fact("rules", ", ".join(detail.rules))
    for member in detail.group:
        fact(
            "also in",
            f"{member['source']} (item {member['item_id']}) {member['canonical_url'] or ''}",
        )
    parts: list[RenderableType] = [facts, Text()]
    if detail.title:
        title_spans = [s for s in detail.spans if s.field == "title"]
        parts.append(highlighted(detail.title, title_spans, one_line=True, style="bold"))
    parts.append(highlighted(detail.text, [s for s in detail.spans if s.field == "text"]))
    if detail.translation is not None:
        parts.append(translation_view(detail.translation))
    for revision in detail.revisions[1:]:
        parts.append(Text(f"\nchanges in revision {revision.revision}:", style="bold"))
        parts.append(_diff(revision.diff))
    if detail.media:
        parts.append(Text("\nmedia:", style="bold"))
        for media in detail.media:
            described = " ".join(
                str(media[key])
                for key in ("kind", "url", "sha256", "size", "note")
                if media.get(key)
            )
            parts.append(plain("  " + described, one_line=True))
    if detail.explanation is not None:
        parts.append(Text("\nwhy it matches (current watchlists):", style="bold"))
        for line in detail.explanation.lines():
            body = line.lstrip(" ")
            indent = "  " + " " * (len(line) - len(body))
            parts.append(Text(indent + terminal_safe(body, keep_newlines=False)))
    parts.append(Text("\narchived captures (sha256, fetched, url):", style="bold"))
    for capture in detail.captures:
        parts.append(
            plain(f"  {capture.sha256}  {when(capture.fetched_at)}  {capture.url}", one_line=True)
        )
    if not detail.captures:
        parts.append(Text("  none"))
    return Group(*parts)


def _diff(lines: list[str]) -> Text:
    text = Text()
    for line in lines[2:]:  # skip the ---/+++ header
        style = "green" if line.startswith("+") else "red" if line.startswith("-") else "dim"
        text.append(terminal_safe(line, keep_newlines=False) + "\n", style=style)
    return text


def history_table(events: list[HistoryEvent]) -> Table:
    table = Table()
    for column in ("when", "who", "action", "detail"):
        table.add_column(column, overflow="fold")
    for event in events:
        detail = ", ".join(f"{key}={value}" for key, value in event.detail.items())
        table.add_row(
            event.at.strftime("%Y-%m-%d %H:%M:%S"),
            plain(event.analyst, one_line=True),
            event.action,
            plain(detail, one_line=True),
        )
    return table
