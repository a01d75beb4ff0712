"""Where the daemon reads the time: one small value object, so tests can drive it.

Lease renewal, claims and heartbeats ask the clock, never ``time`` directly: a test
that moves a :class:`Clock` by hand checks *when* the daemon acts without waiting for
it, and without assertions on wall-clock time that a loaded machine breaks.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sourcewatch.records import utcnow


@dataclass(frozen=True)
class Clock:
    monotonic: Callable[[], float] = time.monotonic  # for intervals (never goes back)
    now: Callable[[], datetime] = utcnow  # for what is stored (UTC, aware)


SYSTEM_CLOCK = Clock()
