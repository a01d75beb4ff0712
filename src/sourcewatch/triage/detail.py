"""Everything about one item for ``show``: times, text with match spans, every revision
as a diff, media, the group it is triaged with, and the archived captures behind it."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from sourcewatch.records import iso_utc
from sourcewatch.store.tables import (
    CAPTURE,
    ITEM,
    ITEM_CAPTURE,
    ITEM_REVISION,
    MATCH,
    SOURCE,
    TRIAGE,
    TRIAGE_ITEM,
)
from sourcewatch.triage.entries import entry_id_for_item
from sourcewatch.triage.marking import ItemNotFoundError

if TYPE_CHECKING:  # matching builds its tables on import: only show --explain pays for it
    from sourcewatch.matching import Matcher
    from sourcewatch.matching.explain import Explanation
    from sourcewatch.matching.highlights import Highlight
    from sourcewatch.translate.store import StoredTranslation


@dataclass(frozen=True)
class Span:
    """A matched alias: ``start``/``end`` index ``field`` (text or title) of the item's
    current revision."""

    start: int
    end: int
    entity: str
    alias: str | None
    field: str = "text"


@dataclass(frozen=True)
class Revision:
    revision: int
    seen_at: datetime
    edited_at: datetime | None
    title: str | None
    text: str
    diff: list[str]  # unified diff from the previous revision; empty for the first


@dataclass(frozen=True)
class CaptureRef:
    sha256: str
    url: str
    fetched_at: datetime
    status: int | None
    kind: str


@dataclass
class ItemDetail:
    item_id: int
    source: str
    external_id: str
    author: str | None
    url: str | None
    canonical_url: str | None
    title: str | None
    text: str
    language: str | None
    language_method: str | None  # source, platform, detected, undetermined
    published_at: datetime | None
    collected_at: datetime
    edited_at: datetime | None
    deleted_at: datetime | None
    forwarded_from: str | None
    reply_to: str | None
    media: list[dict[str, Any]]
    revision: int
    spans: list[Span]
    rules: list[str]
    revisions: list[Revision]
    captures: list[CaptureRef]
    entry: dict[str, Any] | None  # status, priority, areas, version, ... or None
    group: list[dict[str, Any]] = field(default_factory=list)  # other items of the entry
    explanation: Explanation | None = None  # set by explain_item (show --explain)
    translation: StoredTranslation | None = None  # set by show --translate (original stays)
    highlights: list[Highlight] | None = None  # set by highlight_item: every hit, and why

    def to_json(self) -> dict[str, Any]:
        return {
            "item_id": self.item_id,
            "source": self.source,
            "external_id": self.external_id,
            "author": self.author,
            "url": self.url,
            "canonical_url": self.canonical_url,
            "title": self.title,
            "text": self.text,
            "language": self.language,
            "language_method": self.language_method,
            "published_at": iso_utc(self.published_at),
            "collected_at": iso_utc(self.collected_at),
            "edited_at": iso_utc(self.edited_at),
            "deleted_at": iso_utc(self.deleted_at),
            "forwarded_from": self.forwarded_from,
            "reply_to": self.reply_to,
            "media": self.media,
            "revision": self.revision,
            "matches": [s.__dict__ for s in self.spans],
            "rules": self.rules,
            "revisions": [
                {
                    "revision": r.revision,
                    "seen_at": iso_utc(r.seen_at),
                    "edited_at": iso_utc(r.edited_at),
                    "title": r.title,
                    "diff": r.diff,
                }
                for r in self.revisions
            ],
            "captures": [
                {
                    "sha256": c.sha256,
                    "url": c.url,
                    "fetched_at": iso_utc(c.fetched_at),
                    "status": c.status,
                    "kind": c.kind,
                }
                for c in self.captures
            ],
            "triage": self.entry,
            "group": self.group,
            **({"explain": self.explanation.to_json()} if self.explanation else {}),
            **({"translation": self.translation.to_json()} if self.translation else {}),
            **(
                {"highlights": [h.to_json() for h in self.highlights]}
                if self.highlights is not None
                else {}
            ),
        }


def item_detail(conn: sa.Connection, item_id: int) -> ItemDetail:
    item = conn.execute(
        sa.select(ITEM, SOURCE.c.name.label("source_name"))
        .join(SOURCE, SOURCE.c.id == ITEM.c.source_id)
        .where(ITEM.c.id == item_id)
    ).first()
    if item is None:
        raise ItemNotFoundError(item_id)
    matches = conn.execute(
        sa.select(MATCH)
        .where(MATCH.c.item_id == item_id, MATCH.c.revision == item.revision)
        .order_by(MATCH.c.start, MATCH.c.id)
    ).all()
    fields = {"text": item.text, "title": item.title or ""}
    spans = [
        Span(m.start, m.end, m.entity_id, m.alias, m.field)
        for m in matches
        if m.entity_id
        and m.field in fields
        and _valid_span(m.start, m.end, fields[m.field])  # never trust stored offsets
    ]
    return ItemDetail(
        item_id=item.id,
        source=item.source_name,
        external_id=item.external_id,
        author=item.author,
        url=item.url,
        canonical_url=item.canonical_url,
        title=item.title,
        text=item.text,
        language=item.language,
        language_method=item.language_method,
        published_at=item.published_at,
        collected_at=item.collected_at,
        edited_at=item.edited_at,
        deleted_at=item.deleted_at,
        forwarded_from=item.forwarded_from,
        reply_to=item.reply_to,
        media=list(item.media),
        revision=item.revision,
        spans=spans,
        rules=list(dict.fromkeys(m.rule_id for m in matches if m.rule_id)),
        revisions=_revisions(conn, item_id),
        captures=item_captures(conn, [item_id]).get(item_id, []),
        entry=_entry(conn, item_id),
        group=_group(conn, item_id),
    )


def explain_item(detail: ItemDetail, matcher: Matcher) -> ItemDetail:
    """Attach why the current watchlists match (or not) the item's latest revision: the
    same explanation as ``match --explain``, on the string ingest matched (title and
    text). Spans in it index that string, not the text field alone."""
    from sourcewatch.matching.itemtext import matchable_text

    text, _ = matchable_text(detail.title, detail.text)
    detail.explanation = matcher.explain(text)
    return detail


def highlight_item(detail: ItemDetail, matcher: Matcher) -> ItemDetail:
    """Attach every matched span of the current watchlists, with its alias and the
    entity or fired rule it belongs to (``matching.highlights``)."""
    from sourcewatch.matching.highlights import item_highlights

    detail.highlights = item_highlights(matcher, detail.title, detail.text)
    return detail


def item_captures(conn: sa.Connection, item_ids: list[int]) -> dict[int, list[CaptureRef]]:
    """The archived captures behind each item, oldest first."""
    rows = conn.execute(
        sa.select(ITEM_CAPTURE.c.item_id, CAPTURE)
        .join(CAPTURE, CAPTURE.c.id == ITEM_CAPTURE.c.capture_id)
        .where(ITEM_CAPTURE.c.item_id.in_(item_ids))
        .order_by(CAPTURE.c.fetched_at, CAPTURE.c.id)
    )
    result: dict[int, list[CaptureRef]] = {}
    for row in rows:
        result.setdefault(row.item_id, []).append(
            CaptureRef(row.sha256, row.url, row.fetched_at, row.status, row.kind)
        )
    return result


def _valid_span(start: int | None, end: int | None, text: str) -> bool:
    return start is not None and end is not None and 0 <= start < end <= len(text)


def _revisions(conn: sa.Connection, item_id: int) -> list[Revision]:
    rows = conn.execute(
        sa.select(ITEM_REVISION)
        .where(ITEM_REVISION.c.item_id == item_id)
        .order_by(ITEM_REVISION.c.revision)
    ).all()
    revisions: list[Revision] = []
    previous: sa.Row[Any] | None = None
    for row in rows:
        diff: list[str] = []
        if previous is not None:
            before = _as_lines(previous.title, previous.text)
            after = _as_lines(row.title, row.text)
            diff = list(
                difflib.unified_diff(
                    before,
                    after,
                    fromfile=f"revision {previous.revision}",
                    tofile=f"revision {row.revision}",
                    lineterm="",
                )
            )
        revisions.append(
            Revision(row.revision, row.seen_at, row.edited_at, row.title, row.text, diff)
        )
        previous = row
    return revisions


def _as_lines(title: str | None, text: str) -> list[str]:
    return ([f"# {title}"] if title else []) + text.splitlines()


def _entry(conn: sa.Connection, item_id: int) -> dict[str, Any] | None:
    triage_id = entry_id_for_item(conn, item_id)
    if triage_id is None:
        return None
    row = conn.execute(sa.select(TRIAGE).where(TRIAGE.c.id == triage_id)).one()
    return {
        "item_id": row.item_id,
        "status": row.status,
        "priority": row.priority,
        "areas": list(row.areas),
        "assignee": row.assignee,
        "tags": list(row.tags),
        "note": row.note,
        "version": row.version,
        "queued_at": iso_utc(row.queued_at),
    }


def _group(conn: sa.Connection, item_id: int) -> list[dict[str, Any]]:
    triage_id = entry_id_for_item(conn, item_id)
    if triage_id is None:
        return []
    rows = conn.execute(
        sa.select(
            ITEM.c.id,
            ITEM.c.external_id,
            ITEM.c.canonical_url,
            ITEM.c.forwarded_from,
            SOURCE.c.name,
        )
        .join(TRIAGE_ITEM, TRIAGE_ITEM.c.item_id == ITEM.c.id)
        .join(SOURCE, SOURCE.c.id == ITEM.c.source_id)
        .where(TRIAGE_ITEM.c.triage_id == triage_id, ITEM.c.id != item_id)
        .order_by(TRIAGE_ITEM.c.added_at, ITEM.c.id)
    )
    return [
        {
            "item_id": r.id,
            "source": r.name,
            "external_id": r.external_id,
            "canonical_url": r.canonical_url,
            "forwarded_from": r.forwarded_from,
        }
        for r in rows
    ]
