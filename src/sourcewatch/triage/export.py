"""``export``: decided entries for the weekly write-up, as CSV, JSON Lines, Markdown,
Word (DOCX) or Excel (XLSX).

:func:`export_rows` builds one dict per entry, the single place every format reads
from: a field added there (the ``translation`` that ``translate/`` will give, see
``TRANSLATION``) reaches the Markdown and Word footnote lines, the CSV and XLSX
columns and the JSON Lines at once. The renderers live in ``export_md``,
``export_docx`` and ``export_xlsx``; CSV starts with a UTF-8 byte-order mark so that
Excel opens Arabic and Russian as such.

Each row carries what a citation needs: the canonical URL, the SHA-256 of the first
archived capture of the item and when it was fetched (every capture in JSON). Text is
made terminal-safe, and CSV cells that a spreadsheet would run as a formula
(``=``, ``+``, ``-``, ``@``) are prefixed with ``'``: exported text is still hostile.

``source_state`` says what became of the post at its source: ``deleted`` (the
platform said so), ``edited`` (a later revision was collected), or empty. An edit
re-opens a decided entry (status ``new``) for review; such an entry still appears
in an export of the status it had before (``reopened_from``), so an edited post
does not silently drop out of the write-up.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from sourcewatch.errors import InvalidInput
from sourcewatch.records import iso_utc
from sourcewatch.store.tables import ITEM, TRIAGE, TRIAGE_EVENT, TRIAGE_STATUSES
from sourcewatch.text.jsontext import json_text
from sourcewatch.text.sanitize import terminal_safe
from sourcewatch.translate.store import StoredTranslation, latest_translations
from sourcewatch.triage.detail import item_captures
from sourcewatch.triage.queue import QueueFilter, list_queue, source_state

FORMATS = ("csv", "jsonl", "md", "docx", "xlsx")
BINARY_FORMATS = ("docx", "xlsx")
# The row key a translation goes under (original always kept in "text"): set by the
# translation step as {"text": ..., "engine": ..., "source_language": ...,
# "target_language": ...}; every renderer shows it when present.
TRANSLATION = "translation"
CSV_COLUMNS = (
    "item_id",
    "status",
    "priority",
    "source",
    "sources",
    "external_id",
    "author",
    "published_at",
    "published_local",
    "canonical_url",
    "archived_sha256",
    "archived_at",
    "primary_area",
    "areas",
    "entities",
    "tags",
    "source_state",
    "reopened_from",
    "note",
    "assignee",
    "decided_at",
    "language",
    "title",
    "text",
    "translation",
    "translation_language",
    "translation_engine",
)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class ExportFilter:
    statuses: tuple[str, ...] = ("relevant", "escalated")
    since: datetime | None = None  # decided (last changed) at or after
    area: str | tuple[str, ...] | None = None  # any of these
    source: str | tuple[str, ...] | None = None
    entity: str | tuple[str, ...] | None = None
    cutoff: datetime | None = None  # the report's data cutoff: items published before it
    limit: int = 10_000

    def __post_init__(self) -> None:
        for status in self.statuses:
            if status not in TRIAGE_STATUSES:
                raise InvalidInput(
                    f"unknown status {status!r}; one of {', '.join(TRIAGE_STATUSES)}"
                )


def export_rows(
    conn: sa.Connection, where: ExportFilter, zones: Mapping[str, str] | None = None
) -> list[dict[str, Any]]:
    """One dict per entry, highest priority first. ``zones`` maps a source name to its
    IANA time zone (``timezone`` in the watch list): its dates then also come in the
    source's local time (``published_local``)."""
    queue = list_queue(
        conn,
        QueueFilter(
            statuses=where.statuses,
            area=where.area,
            source=where.source,
            entity=where.entity,
            changed_since=where.since,
            published_before=where.cutoff,
            limit=where.limit,
        ),
    )
    reopened_from: dict[int, str] = {}
    if "new" not in where.statuses:
        reopened = _reopened_from(conn, where)
        again = [row for row in reopened[0] if row.triage_id in reopened[1]]
        reopened_from = reopened[1]
        if again:  # keep list_queue's order otherwise
            merged = [*queue, *again]
            queue = sorted(merged, key=lambda r: -r.priority)[: where.limit]
    entries = conn.execute(
        sa.select(TRIAGE.c.id, TRIAGE.c.note, TRIAGE.c.updated_at).where(
            TRIAGE.c.id.in_([row.triage_id for row in queue] or [-1])
        )
    )
    extra = {row.id: row for row in entries}
    items = {
        row.id: row
        for row in conn.execute(
            sa.select(ITEM.c.id, ITEM.c.canonical_url, ITEM.c.url, ITEM.c.text)
            .add_columns(ITEM.c.deleted_at, ITEM.c.revision, ITEM.c.author, ITEM.c.language)
            .where(ITEM.c.id.in_([row.item_id for row in queue] or [-1]))
        )
    }
    captures = item_captures(conn, [row.item_id for row in queue])
    translations = latest_translations(conn, [row.item_id for row in queue])
    result = []
    for row in queue:
        item = items[row.item_id]
        item_captures_ = captures.get(row.item_id, [])
        first = item_captures_[0] if item_captures_ else None
        state = source_state(item.deleted_at, item.revision)
        result.append(
            {
                "item_id": row.item_id,
                "status": row.status,
                "priority": row.priority,
                "source": row.source,
                "sources": row.sources,
                "external_id": row.external_id,
                "author": item.author,
                "published_at": iso_utc(row.published_at),
                "published_local": local_time(row.published_at, (zones or {}).get(row.source)),
                "source_timezone": (zones or {}).get(row.source),
                "canonical_url": item.canonical_url or item.url,
                "archived_sha256": first.sha256 if first else None,
                "archived_at": iso_utc(first.fetched_at) if first else None,
                "captures": [
                    {"sha256": c.sha256, "url": c.url, "fetched_at": iso_utc(c.fetched_at)}
                    for c in item_captures_
                ],
                "primary_area": row.areas[0] if row.areas else None,  # stored first
                "areas": row.areas,
                "entities": row.entities,
                "tags": row.tags,
                "source_state": state,
                "reopened_from": reopened_from.get(row.triage_id),
                "note": extra[row.triage_id].note,
                "assignee": row.assignee,
                "decided_at": iso_utc(extra[row.triage_id].updated_at),
                "language": item.language,
                "title": row.title,
                "text": item.text,
                **translation_fields(translations.get(row.item_id)),
            }
        )
    return result


def translation_fields(found: StoredTranslation | None) -> dict[str, str | None]:
    """The newest machine translation of the item's current text, beside the original
    (empty when there is none): text, ``source -> target`` and engine with model."""
    if found is None:
        return {"translation": None, "translation_language": None, "translation_engine": None}
    text = f"{found.title}\n{found.text}" if found.title else found.text
    engine = f"{found.engine} ({found.model})" if found.model else found.engine
    return {
        "translation": text,
        "translation_language": f"{found.source_language or '?'} -> {found.target_language}",
        "translation_engine": engine,
    }


def local_time(moment: datetime | None, zone: str | None) -> str | None:
    """``moment`` in the source's zone, ISO 8601 with its offset; None when unknown."""
    if moment is None or zone is None:
        return None
    return moment.astimezone(ZoneInfo(zone)).isoformat(timespec="seconds")


def _reopened_from(conn: sa.Connection, where: ExportFilter) -> tuple[list[Any], dict[int, str]]:
    """Entries now ``new`` because an edit re-opened them from one of ``where.statuses``:
    (their queue rows, triage id -> the status they had)."""
    rows = list_queue(
        conn,
        QueueFilter(
            statuses=("new",),
            area=where.area,
            source=where.source,
            entity=where.entity,
            changed_since=where.since,
            published_before=where.cutoff,
            limit=where.limit,
        ),
    )
    ids = [row.triage_id for row in rows]
    latest: dict[int, tuple[int, str, Any]] = {}
    for event in conn.execute(
        sa.select(TRIAGE_EVENT.c.id, TRIAGE_EVENT.c.triage_id, TRIAGE_EVENT.c.action)
        .add_columns(TRIAGE_EVENT.c.detail)
        .where(TRIAGE_EVENT.c.triage_id.in_(ids or [-1]))
        .order_by(TRIAGE_EVENT.c.id)
    ):
        latest[event.triage_id] = (event.id, event.action, event.detail)
    found: dict[int, str] = {}
    for triage_id, (_, action, detail) in latest.items():
        previous = detail.get("previous_status") if isinstance(detail, dict) else None
        if action == "reopened" and previous in where.statuses:
            found[triage_id] = str(previous)
    return rows, found


def render(rows: list[dict[str, Any]], fmt: str) -> Iterator[str]:
    """The export as text chunks in ``fmt`` (csv, jsonl or md)."""
    from sourcewatch.triage.export_md import markdown

    if fmt == "jsonl":
        for row in rows:
            # UTF-8 text; C1 controls (8-bit CSI) and bidi controls stay escaped
            yield json_text(row) + "\n"
    elif fmt == "csv":
        yield from _csv(rows)
    elif fmt == "md":
        yield from markdown(rows)
    else:
        raise InvalidInput(f"unknown text format {fmt!r}; one of csv, jsonl, md")


def render_binary(rows: list[dict[str, Any]], fmt: str) -> bytes:
    """The export as a Word (docx) or Excel (xlsx) file."""
    if fmt == "docx":
        from sourcewatch.triage.export_docx import docx_bytes

        return docx_bytes(rows)
    if fmt == "xlsx":
        from sourcewatch.triage.export_xlsx import xlsx_bytes

        return xlsx_bytes(rows)
    raise InvalidInput(f"unknown file format {fmt!r}; one of {', '.join(BINARY_FORMATS)}")


def columns(rows: list[dict[str, Any]]) -> tuple[str, ...]:
    """The CSV/XLSX columns: always ``CSV_COLUMNS``, whose translation columns stay
    empty for rows without one (a fixed layout for scripts that read the file)."""
    return CSV_COLUMNS


def cell_text(value: Any) -> str:
    """A row value as one spreadsheet cell's text (lists joined, a translation's text)."""
    if value is None:
        return ""
    if isinstance(value, dict):
        value = value.get("text", "")
    if isinstance(value, list):
        value = "; ".join(str(v) for v in value)
    return terminal_safe(str(value))


def _csv(rows: list[dict[str, Any]]) -> Iterator[str]:
    yield "\ufeff"  # UTF-8 byte-order mark: Excel otherwise reads the file as ANSI
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    names = columns(rows)
    writer.writerow(names)
    for row in rows:
        writer.writerow([_csv_cell(row.get(column)) for column in names])
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    yield buffer.getvalue()


def _csv_cell(value: Any) -> str:
    return not_a_formula(cell_text(value))


def not_a_formula(text: str) -> str:
    """``text`` that a spreadsheet shows instead of running: ``'`` before ``= + - @``."""
    return "'" + text if text.startswith(_FORMULA_START) else text
