"""Rich renderables for the triage commands. Every fetched string passes through
``terminal_safe`` and reaches rich as ``Text`` (never markup), so neither escape
sequences nor ``[link=...]``-style markup in a post can act on the terminal."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from rich.console import Group, RenderableType
from rich.padding import Padding
from rich.text import Text

from sourcewatch.text.sanitize import terminal_safe
from sourcewatch.translate.render import translation_view
from sourcewatch.triage.eventtext import describe_changes

if TYPE_CHECKING:  # annotations only: `queue` renders without importing the others' code
    from sourcewatch.matching.highlights import Highlight
    from sourcewatch.triage.detail import ItemDetail
    from sourcewatch.triage.marking import HistoryEvent, MarkResult
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


QUEUE_EXCERPT_CHARS = 200
_INDENT = 7


def queue_view(rows: list[QueueRow]) -> RenderableType:
    """The queue, two parts per entry: a line of facts (item, priority, status, when
    queued, sources, areas, entities), cut with an ellipsis to the terminal's width;
    then the first 200 characters of its title and text, wrapped under it. At 100
    columns there is enough to decide without opening each item."""
    header = Text(
        f"{'item':>6} {'pri':>4} {'status':<10} {'queued':<11}  sources | areas | entities",
        style="bold",
    )
    parts: list[RenderableType] = [header]
    for row in rows:
        sources = row.source + (f" +{len(row.sources) - 1}" if len(row.sources) > 1 else "")
        facts = Text(no_wrap=True, overflow="ellipsis")
        facts.append(f"{row.item_id:>6} {row.priority:>4} ")
        facts.append(f"{row.status:<10}", style=STATUS_STYLES.get(row.status, ""))
        facts.append(f" {short_when(row.queued_at):<11}  ")
        described = " | ".join((sources, ",".join(row.areas) or "-", ",".join(row.entities) or "-"))
        facts.append(terminal_safe(described, keep_newlines=False))
        parts.append(facts)
        parts.append(Padding(excerpt_line(row), (0, 0, 0, _INDENT)))
    return Group(*parts)


def excerpt_line(row: QueueRow) -> Text:
    """``[deleted]`` or ``[edited]`` when so, then the title and the start of the text."""
    text = terminal_safe(row.excerpt, keep_newlines=False)
    if row.title:
        title = terminal_safe(row.title, keep_newlines=False)
        text = f"{title} \u2014 {text}" if text else title
    if len(text) > QUEUE_EXCERPT_CHARS:
        text = text[: QUEUE_EXCERPT_CHARS - 1].rstrip() + "\u2026"
    line = Text(no_wrap=False, overflow="fold", style="dim" if row.status != "new" else "")
    if row.source_state:
        line.append(f"[{row.source_state}] ", style="bold red")
    line.append(text)
    return line


class Located(Protocol):
    """A span of an item field: a stored ``Span`` or a ``Highlight``."""

    @property
    def start(self) -> int: ...
    @property
    def end(self) -> int: ...
    @property
    def field(self) -> str: ...


def highlighted(
    text: str, spans: Sequence[Located], *, one_line: bool = False, style: str = ""
) -> Text:
    """``text`` with each matched span styled. Spans index the raw text, so each piece is
    cut first and sanitized after: removing an escape must not shift a highlight. Only
    styles mark a hit: the characters stay in logical order and nothing is inserted,
    so right-to-left text lays out as the terminal's bidi algorithm would lay it out
    without the highlight."""

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


def isolate(text: str) -> str:
    """``text`` (already terminal-safe) wrapped in FIRST STRONG ISOLATE ... POP
    DIRECTIONAL ISOLATE when it holds right-to-left letters, so that an Arabic alias
    quoted in an English line neither reorders the words around it nor is reordered
    by them. Left-to-right text is left as it is."""
    if any(unicodedata.bidirectional(ch) in ("R", "AL") for ch in text):
        return f"\u2068{text}\u2069"
    return text


def hit_lines(highlights: Sequence[Highlight]) -> list[Text]:
    """One line per distinct hit, in order of first occurrence: the words as written,
    then the alias and the entity, or the keyword, and the fired rules it counts for;
    ``(x3)`` when the same words hit the same way several times."""
    counts: dict[tuple[str, str, str | None, str, tuple[str, ...]], int] = {}
    for hit in highlights:
        key = (hit.surface, hit.kind, hit.entity, hit.alias, hit.rules)
        counts[key] = counts.get(key, 0) + 1
    lines: list[Text] = []
    for (surface_, kind, entity, alias_, rules), count in counts.items():
        surface = isolate(terminal_safe(surface_, keep_newlines=False))
        alias = isolate(terminal_safe(alias_, keep_newlines=False))
        line = Text("  ")
        line.append(surface, style=MATCH_STYLE)
        if kind == "entity":
            line.append(f"  entity {entity}, alias \u201c{alias}\u201d")
        else:
            line.append(f"  keyword \u201c{alias}\u201d")
        if rules:
            line.append(f"; {'rule' if len(rules) == 1 else 'rules'} {', '.join(rules)}")
        if count > 1:
            line.append(f" (x{count})", style="dim")
        lines.append(line)
    return lines


FACT_WIDTH = 16


def fact_line(label: str, value: str | Text) -> Text:
    """``label`` then ``value`` on one line that Rich never breaks: a long URL is wrapped
    (softly) by the terminal or the pager, so copying it gives the URL."""
    line = Text(label.ljust(FACT_WIDTH - 1) + " ", style="bold")
    line.append(value if isinstance(value, Text) else plain(value, one_line=True))
    return line


def item_view(detail: ItemDetail) -> RenderableType:
    facts: list[Text] = []

    def fact(label: str, value: str | Text | None) -> None:
        if value:
            facts.append(fact_line(label, value))

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
    else:
        fact("triage", "not queued (`sourcewatch mark` adds it)")
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
    parts: list[RenderableType] = [*facts, Text()]
    spans: Sequence[Located] = detail.highlights if detail.highlights is not None else detail.spans
    if detail.title:
        title_spans = [s for s in spans if s.field == "title"]
        parts.append(highlighted(detail.title, title_spans, one_line=True, style="bold"))
    parts.append(
        highlighted(detail.text, [s for s in spans if getattr(s, "field", "text") == "text"])
    )
    if detail.highlights:
        parts.append(Text("\nwhy it was queued (each hit, current watchlists):", style="bold"))
        parts.extend(hit_lines(detail.highlights))
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


def history_view(events: list[HistoryEvent]) -> RenderableType:
    """One line per event: when (UTC), who, what, and what changed in words. Lines, not
    a table: a long note wraps as text instead of being folded into a narrow column."""
    who_width = max((len(e.analyst) for e in events), default=0)
    action_width = max((len(e.action) for e in events), default=0)
    lines = []
    for event in events:
        line = Text(event.at.strftime("%Y-%m-%d %H:%M:%S") + "  ", style="dim")
        line.append(terminal_safe(event.analyst, keep_newlines=False).ljust(who_width) + "  ")
        line.append(event.action.ljust(action_width), style="bold")
        changes = describe_changes(event.detail)
        if changes:
            line.append("  " + terminal_safe(changes, keep_newlines=False))
        lines.append(line)
    return Group(*lines)


def mark_line(result: MarkResult, analyst: str) -> str:
    """One line per marked item: what changed (a tag-only mark does not claim a status
    change), whether the mark added it to the queue, the new version."""
    changes = describe_changes(result.detail) or "nothing changed"
    added = "added to the queue by hand; " if result.added else ""
    return f"{result.item_id}: {added}{changes} (version {result.version}, by {analyst})"
