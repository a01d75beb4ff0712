"""A source's health after a poll: the columns a finished poll writes on its row.

Shared by ``sourcewatch poll`` (which writes them alone) and the daemon (which writes
them with the lease release and the next poll time, in ``daemon.leases.finish_polls``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import NotRequired, TypedDict

from sourcewatch.text.redact import redact


@dataclass(frozen=True)
class PollRecord:
    """How a poll ended, as written on its source row."""

    at: datetime  # when the poll started
    ok: bool
    error: str | None = None


class HealthValues(TypedDict):
    """SOURCE columns: how the last poll went."""

    last_polled_at: datetime
    last_error: str | None
    consecutive_failures: int
    last_success_at: NotRequired[datetime]  # only when the poll succeeded


def outcome_values(record: PollRecord, failures_before: int) -> HealthValues:
    """The health columns a finished poll writes on its source row."""
    failures = 0 if record.ok else failures_before + 1
    values: HealthValues = {
        "last_polled_at": record.at,
        "last_error": None if record.ok else redact(record.error or "failed")[:2000],
        "consecutive_failures": failures,
    }
    if record.ok:
        values["last_success_at"] = record.at
    return values
