"""When a source is next due: its interval with jitter, or an exponential backoff.

Jitter spreads sources that share an interval so that replicas and hosts see a
steady trickle rather than a thundering herd every five minutes. A failing
source waits ``interval * 2^(failures-1)``, capped, and never less than a
server's Retry-After; one success resets it (``consecutive_failures`` is 0).
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta


def next_delay(
    interval: float,
    consecutive_failures: int,
    *,
    jitter_fraction: float,
    backoff_cap: float,
    retry_after: float | None = None,
    rng: random.Random | None = None,
) -> float:
    """Seconds until the next poll of a source."""
    rng = rng or random.Random()
    if consecutive_failures <= 0:
        delay = interval
    else:
        # The cap never shortens a source's own interval (a daily source stays daily).
        ceiling = max(backoff_cap, interval)
        delay = min(ceiling, interval * 2.0 ** min(consecutive_failures - 1, 62))
    delay *= 1.0 + rng.uniform(-jitter_fraction, jitter_fraction)
    if retry_after is not None and retry_after > delay:
        delay = retry_after  # the server said when; jitter must not bring it earlier
    return delay


def next_poll_time(
    now: datetime,
    interval: float,
    consecutive_failures: int,
    *,
    jitter_fraction: float,
    backoff_cap: float,
    retry_after: float | None = None,
    rng: random.Random | None = None,
) -> datetime:
    delay = next_delay(
        interval,
        consecutive_failures,
        jitter_fraction=jitter_fraction,
        backoff_cap=backoff_cap,
        retry_after=retry_after,
        rng=rng,
    )
    return now + timedelta(seconds=delay)
