"""``export``: decided entries for the weekly write-up, as CSV, JSON Lines or Markdown.

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
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from sourcewatch.errors import InvalidInput
from sourcewatch.records import iso_utc
from sourcewatch.store.tables import ITEM, TRIAGE, TRIAGE_EVENT, TRIAGE_STATUSES
from sourcewatch.text.jsontext import json_text
from sourcewatch.text.sanitize import terminal_safe
from sourcewatch.triage.detail import item_captures
from sourcewatch.triage.queue import QueueFilter, list_queue, source_state

FORMATS = ("csv", "jsonl", "md")
CSV_COLUMNS = (
    "item_id",
    "status",
    "priority",
    "source",
    "sources",
    "external_id",
    "published_at",
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
    "title",
    "text",
)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class ExportFilter:
    statuses: tuple[str, ...] = ("relevant", "escalated")
    since: datetime | None = None  # decided (last changed) at or after
    area: str | None = None
    limit: int = 10_000

    def __post_init__(self) -> None:
        for status in self.statuses:
            if status not in TRIAGE_STATUSES:
                raise InvalidInput(
                    f"unknown status {status!r}; one of {', '.join(TRIAGE_STATUSES)}"
                )


def export_rows(conn: sa.Connection, where: ExportFilter) -> list[dict[str, Any]]:
    """One dict per entry, highest priority first."""
    queue = list_queue(
        conn,
        QueueFilter(
            statuses=where.statuses,
            area=where.area,
            changed_since=where.since,
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
            .add_columns(ITEM.c.deleted_at, ITEM.c.revision)
            .where(ITEM.c.id.in_([row.item_id for row in queue] or [-1]))
        )
    }
    captures = item_captures(conn, [row.item_id for row in queue])
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
                "published_at": iso_utc(row.published_at),
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
                "title": row.title,
                "text": item.text,
            }
        )
    return result


def _reopened_from(conn: sa.Connection, where: ExportFilter) -> tuple[list[Any], dict[int, str]]:
    """Entries now ``new`` because an edit re-opened them from one of ``where.statuses``:
    (their queue rows, triage id -> the status they had)."""
    rows = list_queue(
        conn,
        QueueFilter(
            statuses=("new",), area=where.area, changed_since=where.since, limit=where.limit
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
    if fmt == "jsonl":
        for row in rows:
            # UTF-8 text; C1 controls (8-bit CSI) and bidi controls stay escaped
            yield json_text(row) + "\n"
    elif fmt == "csv":
        yield from _csv(rows)
    elif fmt == "md":
        yield from _markdown(rows)
    else:
        raise InvalidInput(f"unknown format {fmt!r}; one of {', '.join(FORMATS)}")


def _csv(rows: list[dict[str, Any]]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        writer.writerow([_csv_cell(row[column]) for column in CSV_COLUMNS])
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    yield buffer.getvalue()


def _csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        value = "; ".join(str(v) for v in value)
    text = terminal_safe(str(value))
    return "'" + text if text.startswith(_FORMULA_START) else text


def _markdown(rows: list[dict[str, Any]]) -> Iterator[str]:
    yield f"# Triage export ({len(rows)} items)\n\n"
    for row in rows:
        heading = terminal_safe(row["title"] or row["text"], keep_newlines=False)[:100]
        yield f"## {_md_escape(heading) or '(no text)'}\n\n"
        yield f"- **Status:** {row['status']} (priority {row['priority']})\n"
        yield f"- **Source:** {_md_escape(', '.join(row['sources']))}\n"
        yield f"- **Published:** {row['published_at'] or 'unknown'}\n"
        yield f"- **URL:** <{row['canonical_url'] or 'none'}>\n"
        yield f"- **Archived:** `{row['archived_sha256'] or 'none'}` at {row['archived_at']}\n"
        if row["areas"]:
            others = ", ".join(row["areas"][1:])
            also = f" (also: {others})" if others else ""
            yield f"- **Area:** {row['primary_area']}{also}\n"
        if row["entities"]:
            yield f"- **Entities:** {', '.join(row['entities'])}\n"
        if row["tags"]:
            yield f"- **Tags:** {_md_escape(', '.join(row['tags']))}\n"
        if row["note"]:
            yield f"- **Note:** {_md_escape(terminal_safe(row['note'], keep_newlines=False))}\n"
        quoted = "\n".join(
            f"> {_md_escape(line)}" for line in terminal_safe(row["text"]).splitlines()
        )
        yield f"\n{quoted}\n\n"


def _md_escape(text: str) -> str:
    return "".join("\\" + ch if ch in "\\`*_[]<>#|" else ch for ch in text)
