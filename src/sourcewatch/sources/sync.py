"""Mirror the watch list (sources.toml) into Source rows, keeping each row's state.

The file is the authority for configuration (kind, target, interval, ...); the
database keeps what polling learned (cursor, validators, health, lease). A source
removed from the file keeps its row and items, with ``in_config`` false.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from sourcewatch.records import SourceState, utcnow
from sourcewatch.sources.config import SourceConfig
from sourcewatch.store.sql import AnyRow
from sourcewatch.store.tables import SOURCE


def source_state(row: AnyRow) -> SourceState:
    """What a collector gets to know of its source from the source's row."""
    cursor = dict(row.cursor or {})
    return SourceState(
        cursor=cursor,
        etag=row.etag,
        last_modified=row.last_modified,
        body_sha256=cursor.get("body_sha256"),  # feeds keep their body hash in the cursor
    )


def _config_values(source: SourceConfig) -> dict[str, Any]:
    return {
        "kind": source.kind,
        "target": source.target,
        "backend": source.backend,
        "interval_seconds": source.interval,
        "areas": list(source.areas),
        "language": source.language,
        "weight": source.weight,
        "queue_all": source.queue_all,
        "enabled": source.enabled,
        "in_config": True,
    }


def ensure_source(conn: sa.Connection, source: SourceConfig, now: datetime | None = None) -> int:
    """The id of the source's row, created or brought in line with its config."""
    return ensure_sources(conn, [source], now)[source.name]


def ensure_sources(
    conn: sa.Connection, sources: Sequence[SourceConfig], now: datetime | None = None
) -> dict[str, int]:
    """Name -> id of each source's row, created or brought in line with its config (one
    SELECT for all of them: ingest calls this for every batch of polls)."""
    rows = {
        row.name: row
        for row in conn.execute(
            sa.select(SOURCE).where(SOURCE.c.name.in_([source.name for source in sources]))
        )
    }
    ids: dict[str, int] = {}
    for source in sources:
        values = _config_values(source)
        row = rows.get(source.name)
        if row is None:
            ids[source.name] = conn.execute(
                sa.insert(SOURCE).returning(SOURCE.c.id),
                {"name": source.name, "created_at": now or utcnow(), "cursor": {}, **values},
            ).scalar_one()
            continue
        changed = {key: value for key, value in values.items() if getattr(row, key) != value}
        if changed:
            conn.execute(sa.update(SOURCE).where(SOURCE.c.id == row.id).values(**changed))
        ids[source.name] = row.id
    return ids


@dataclass(frozen=True)
class SyncReport:
    added: list[str]
    updated: list[str]
    removed: list[str]


def sync_sources(engine: sa.Engine, sources: list[SourceConfig]) -> SyncReport:
    """Make the Source table reflect the watch list in one transaction."""
    now = utcnow()
    added, updated = [], []
    with engine.begin() as conn:
        existing = {row.name: row for row in conn.execute(sa.select(SOURCE))}
        for source in sources:
            row = existing.get(source.name)
            if row is None:
                added.append(source.name)
            elif any(getattr(row, k) != v for k, v in _config_values(source).items()):
                updated.append(source.name)
        ensure_sources(conn, sources, now)
        names = {s.name for s in sources}
        removed = sorted(n for n, row in existing.items() if n not in names and row.in_config)
        if removed:
            conn.execute(
                sa.update(SOURCE).where(SOURCE.c.name.in_(removed)).values(in_config=False)
            )
    return SyncReport(added=added, updated=updated, removed=removed)
