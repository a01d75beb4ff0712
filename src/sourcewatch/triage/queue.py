"""Listing the queue: filters, order (highest priority, then newest), and the rows shown.

With an entity, source or area filter the query walks ``ix_triage_facet_queue`` (facet,
value, status, priority, queued_at, triage_id) backwards from that value, so the
first page costs the same with 200 or 200,000 entries in that area; without one it
walks ``ix_triage_queue`` (status, priority, queued_at, id) the same way. A second or
third facet filter is a primary-key probe per row.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from sourcewatch.errors import InvalidInput
from sourcewatch.records import iso_utc
from sourcewatch.store.tables import (
    ITEM,
    MATCH,
    SOURCE,
    TRIAGE,
    TRIAGE_FACET,
    TRIAGE_ITEM,
    TRIAGE_STATUSES,
)

EXCERPT_CHARS = 240


@dataclass(frozen=True)
class QueueFilter:
    """What to list. ``statuses`` empty means any status."""

    statuses: tuple[str, ...] = ("new",)
    # Each a name or several (any of them).
    area: str | tuple[str, ...] | None = None
    source: str | tuple[str, ...] | None = None
    entity: str | tuple[str, ...] | None = None
    since: datetime | None = None  # queued (or re-opened) at or after
    published_before: datetime | None = None  # the item published (else collected) before
    changed_since: datetime | None = None  # last changed (e.g. marked) at or after
    min_priority: int | None = None
    assignee: str | None = None
    limit: int = 50

    def __post_init__(self) -> None:
        unknown = [s for s in self.statuses if s not in TRIAGE_STATUSES]
        if unknown:
            raise InvalidInput(
                f"unknown status {unknown[0]!r}; one of {', '.join(TRIAGE_STATUSES)}"
            )
        if self.limit < 1:
            raise InvalidInput("limit must be at least 1")


@dataclass
class QueueRow:
    """One queue entry as listed: its first item, plus every source of its group."""

    triage_id: int
    item_id: int
    source: str
    external_id: str
    status: str
    priority: int
    areas: list[str]
    queued_at: datetime
    version: int
    title: str | None
    excerpt: str
    published_at: datetime | None
    assignee: str | None
    tags: list[str]
    claimed_by: str | None
    claim_expires_at: datetime | None
    sources: list[str] = field(default_factory=list)
    item_ids: list[int] = field(default_factory=list)
    entities: list[str] = field(default_factory=list)
    rules: list[str] = field(default_factory=list)
    source_state: str | None = None  # "deleted" / "edited" at the source (see export), or None

    def to_json(self) -> dict[str, Any]:
        return {
            "item_id": self.item_id,
            "source": self.source,
            "external_id": self.external_id,
            "status": self.status,
            "priority": self.priority,
            "areas": self.areas,
            "entities": self.entities,
            "rules": self.rules,
            "sources": self.sources,
            "item_ids": self.item_ids,
            "title": self.title,
            "excerpt": self.excerpt,
            "published_at": iso_utc(self.published_at),
            "queued_at": iso_utc(self.queued_at),
            "assignee": self.assignee,
            "tags": self.tags,
            "source_state": self.source_state,
            "version": self.version,
            "triage_id": self.triage_id,
        }


def list_queue(
    conn: sa.Connection,
    where: QueueFilter,
    *,
    claimable_by: str | None = None,
    now: datetime | None = None,
    exclude: Collection[int] = (),
) -> list[QueueRow]:
    """The queue page for ``where``; ``claimable_by`` hides entries leased to others."""
    query = _select_entries(where, claimable_by=claimable_by, now=now, exclude=exclude)
    rows = conn.execute(query.limit(where.limit)).all()
    result = [_queue_row(row) for row in rows]
    _add_groups(conn, result)
    return result


def count_queue(
    conn: sa.Connection,
    where: QueueFilter,
    *,
    claimable_by: str | None = None,
    now: datetime | None = None,
    exclude: Collection[int] = (),
) -> int:
    """How many entries match ``where`` (no limit): "what is left" in ``triage``."""
    query = _select_entries(where, claimable_by=claimable_by, now=now, exclude=exclude)
    return int(conn.execute(sa.select(sa.func.count()).select_from(query.subquery())).scalar_one())


def _select_entries(
    where: QueueFilter,
    *,
    claimable_by: str | None,
    now: datetime | None,
    exclude: Collection[int],
) -> sa.Select[Any]:
    # The most selective facet filter given drives the query through the facet index
    # (when it names one value: several would list an entry once per value it has).
    facet_filters = [
        (facet, values)
        for facet, value in (
            ("entity", where.entity),
            ("source", where.source),
            ("area", where.area),
        )
        if (values := _values(value))
    ]
    facet_filters.sort(key=lambda f: len(f[1]) > 1)
    driving = bool(facet_filters) and len(facet_filters[0][1]) == 1
    keys = TRIAGE_FACET if driving else TRIAGE
    key_id = TRIAGE_FACET.c.triage_id if driving else TRIAGE.c.id
    joined = keys.join(TRIAGE, TRIAGE.c.id == TRIAGE_FACET.c.triage_id) if driving else keys
    query = (
        sa.select(
            TRIAGE,
            ITEM.c.external_id,
            ITEM.c.title,
            sa.func.substr(ITEM.c.text, 1, EXCERPT_CHARS).label("excerpt"),
            ITEM.c.published_at,
            ITEM.c.deleted_at,
            ITEM.c.revision.label("item_revision"),
            SOURCE.c.name.label("source_name"),
        )
        .select_from(
            joined.join(ITEM, ITEM.c.id == TRIAGE.c.item_id).join(
                SOURCE, SOURCE.c.id == ITEM.c.source_id
            )
        )
        .order_by(keys.c.priority.desc(), keys.c.queued_at.desc(), key_id.desc())
    )
    for number, (facet, values) in enumerate(facet_filters):
        if number == 0 and driving:
            query = query.where(TRIAGE_FACET.c.facet == facet, TRIAGE_FACET.c.value == values[0])
            continue
        other = TRIAGE_FACET.alias(f"also_{facet}")
        query = query.where(
            sa.exists().where(
                other.c.triage_id == TRIAGE.c.id,
                other.c.facet == facet,
                other.c.value.in_(values),
            )
        )
    if where.published_before is not None:
        published = sa.func.coalesce(ITEM.c.published_at, ITEM.c.collected_at)
        query = query.where(published < where.published_before)
    if len(where.statuses) == 1:
        query = query.where(keys.c.status == where.statuses[0])
    elif where.statuses:
        query = query.where(keys.c.status.in_(where.statuses))
    if where.since is not None:
        query = query.where(keys.c.queued_at >= where.since)
    if where.changed_since is not None:
        query = query.where(TRIAGE.c.updated_at >= where.changed_since)
    if where.min_priority is not None:
        query = query.where(keys.c.priority >= where.min_priority)
    if where.assignee is not None:
        query = query.where(TRIAGE.c.assignee == where.assignee)
    if claimable_by is not None:
        if now is None:
            raise ValueError("claimable_by needs now")
        query = query.where(
            sa.or_(
                TRIAGE.c.claimed_by.is_(None),
                TRIAGE.c.claimed_by == claimable_by,
                TRIAGE.c.claim_expires_at < now,
            )
        )
    if exclude:
        query = query.where(TRIAGE.c.id.not_in(list(exclude)))
    return query


def _values(value: str | tuple[str, ...] | None) -> tuple[str, ...]:
    if value is None:
        return ()
    return (value,) if isinstance(value, str) else tuple(value)


def _queue_row(row: sa.Row[Any]) -> QueueRow:
    return QueueRow(
        triage_id=row.id,
        item_id=row.item_id,
        source=row.source_name,
        external_id=row.external_id,
        status=row.status,
        priority=row.priority,
        areas=list(row.areas),
        queued_at=row.queued_at,
        version=row.version,
        title=row.title,
        excerpt=row.excerpt or "",
        published_at=row.published_at,
        assignee=row.assignee,
        tags=list(row.tags),
        claimed_by=row.claimed_by,
        claim_expires_at=row.claim_expires_at,
        source_state=source_state(row.deleted_at, row.item_revision),
    )


def source_state(deleted_at: datetime | None, revision: int) -> str | None:
    """What became of the post at its source: ``deleted`` (the platform said so),
    ``edited`` (a later revision was collected), or None."""
    if deleted_at is not None:
        return "deleted"
    return "edited" if revision > 1 else None


def _add_groups(conn: sa.Connection, rows: list[QueueRow]) -> None:
    """Fill in every member's source and the entities matched in members' current text."""
    if not rows:
        return
    by_id = {row.triage_id: row for row in rows}
    members = conn.execute(
        sa.select(TRIAGE_ITEM.c.triage_id, TRIAGE_ITEM.c.item_id, SOURCE.c.name)
        .join(ITEM, ITEM.c.id == TRIAGE_ITEM.c.item_id)
        .join(SOURCE, SOURCE.c.id == ITEM.c.source_id)
        .where(TRIAGE_ITEM.c.triage_id.in_(list(by_id)))
        .order_by(TRIAGE_ITEM.c.added_at, TRIAGE_ITEM.c.item_id)
    )
    for triage_id, item_id, source_name in members:
        row = by_id[triage_id]
        row.item_ids.append(item_id)
        if source_name not in row.sources:
            row.sources.append(source_name)
    matches = conn.execute(
        sa.select(TRIAGE_ITEM.c.triage_id, MATCH.c.entity_id, MATCH.c.rule_id)
        .join(ITEM, ITEM.c.id == TRIAGE_ITEM.c.item_id)
        .join(
            MATCH,
            sa.and_(MATCH.c.item_id == ITEM.c.id, MATCH.c.revision == ITEM.c.revision),
        )
        .where(TRIAGE_ITEM.c.triage_id.in_(list(by_id)))
        .order_by(MATCH.c.id)
    )
    for triage_id, entity_id, rule_id in matches:
        row = by_id[triage_id]
        if entity_id and entity_id not in row.entities:
            row.entities.append(entity_id)
        if rule_id and rule_id not in row.rules:
            row.rules.append(rule_id)
