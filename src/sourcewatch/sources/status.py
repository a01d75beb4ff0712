"""What ``sourcewatch sources`` shows: each configured source with its health."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from sourcewatch.sources.config import SourceConfig
from sourcewatch.store.db import read_connection
from sourcewatch.store.tables import ITEM, SOURCE

if TYPE_CHECKING:
    from sourcewatch.workspace import Workspace


@dataclass(frozen=True)
class SourceStatus:
    name: str
    kind: str
    target: str
    interval_seconds: float
    areas: tuple[str, ...]
    enabled: bool
    in_config: bool
    items: int
    last_polled_at: datetime | None
    last_success_at: datetime | None
    next_poll_at: datetime | None
    consecutive_failures: int
    last_error: str | None

    @property
    def health(self) -> str:
        if not self.enabled:
            return "disabled"
        if not self.in_config:
            return "removed"
        if self.last_polled_at is None:
            return "never polled"
        if self.consecutive_failures:
            return "failing"
        return "ok"

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["areas"] = list(self.areas)
        data["health"] = self.health
        for key in ("last_polled_at", "last_success_at", "next_poll_at"):
            data[key] = data[key].isoformat() if data[key] else None
        return data


def source_statuses(ws: Workspace, configured: list[SourceConfig]) -> list[SourceStatus]:
    """Every source in the watch list, plus removed ones that still hold items."""
    with read_connection(ws.engine) as conn:
        rows = {row.name: row for row in conn.execute(sa.select(SOURCE))}
        counts: dict[int, int] = dict(
            conn.execute(
                sa.select(ITEM.c.source_id, sa.func.count()).group_by(ITEM.c.source_id)
            ).all()
        )
    statuses = []
    for source in configured:
        row = rows.pop(source.name, None)
        statuses.append(
            SourceStatus(
                name=source.name,
                kind=source.kind,
                target=source.target,
                interval_seconds=source.interval,
                areas=source.areas,
                enabled=source.enabled,
                in_config=True,
                items=counts.get(row.id, 0) if row else 0,
                last_polled_at=row.last_polled_at if row else None,
                last_success_at=row.last_success_at if row else None,
                next_poll_at=row.next_poll_at if row else None,
                consecutive_failures=row.consecutive_failures if row else 0,
                last_error=row.last_error if row else None,
            )
        )
    for row in rows.values():
        statuses.append(
            SourceStatus(
                name=row.name,
                kind=row.kind,
                target=row.target,
                interval_seconds=row.interval_seconds,
                areas=tuple(row.areas or ()),
                enabled=row.enabled,
                in_config=False,
                items=counts.get(row.id, 0),
                last_polled_at=row.last_polled_at,
                last_success_at=row.last_success_at,
                next_poll_at=row.next_poll_at,
                consecutive_failures=row.consecutive_failures,
                last_error=row.last_error,
            )
        )
    return statuses
