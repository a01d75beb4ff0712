"""What X lets a source read: the daily read budget and the rate-limit pause.

Both live in the source's cursor (``budget_day``/``budget_used``,
``rate_limited_until``), so they survive restarts and are shared by replicas
that poll the same source in turn. Hitting either raises CollectorError with
``retry_after``, so the scheduler waits instead of asking again.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sourcewatch.collectors.base import CollectorError

if TYPE_CHECKING:
    from sourcewatch.sources.config import SourceConfig


@dataclass
class ReadBudget:
    """Posts read today by one source, against ``x.daily_read_budget``."""

    limit: int
    day: str
    used: int

    @classmethod
    def from_cursor(cls, cursor: dict[str, Any], limit: int, now: datetime) -> ReadBudget:
        day = now.date().isoformat()
        used = cursor.get("budget_used") if cursor.get("budget_day") == day else 0
        return cls(limit, day, used if isinstance(used, int) and used >= 0 else 0)

    @classmethod
    def open(
        cls,
        source: SourceConfig,
        cursor: dict[str, Any],
        limit: int,
        now: datetime,
        min_page: int,
    ) -> ReadBudget:
        """Today's budget; CollectorError (wait until midnight UTC) if not even the
        smallest page fits in it."""
        budget = cls.from_cursor(cursor, limit, now)
        if budget.left < min_page:
            midnight = datetime.combine(now.date() + timedelta(days=1), datetime.min.time(), UTC)
            raise CollectorError(
                source.name,
                f"daily X read budget of {limit} posts reached ({budget.used} read today); "
                "reading resumes at 00:00 UTC",
                retry_after=(midnight - now).total_seconds(),
            )
        return budget

    @property
    def left(self) -> int:
        return max(0, self.limit - self.used)


def wait_out_rate_limit(source: SourceConfig, cursor: dict[str, Any]) -> None:
    """Refuse to poll before the reset time an earlier poll recorded (no request is made)."""
    paused_until = cursor.pop("rate_limited_until", None)
    if isinstance(paused_until, int | float) and paused_until > time.time():
        raise CollectorError(
            source.name,
            "X API rate limit reached; waiting until "
            f"{datetime.fromtimestamp(paused_until, UTC):%Y-%m-%d %H:%M:%S} UTC",
            retry_after=paused_until - time.time(),
        )
