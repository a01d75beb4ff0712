"""Next-poll times: interval with jitter, exponential backoff (capped), Retry-After."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from sourcewatch.daemon.backoff import next_delay, next_poll_time


def delay(interval: float, failures: int, **kw: float | None) -> float:
    params = {"jitter_fraction": 0.0, "backoff_cap": 3600.0, **kw}
    return next_delay(interval, failures, **params)  # type: ignore[arg-type]


def test_a_healthy_source_waits_its_interval() -> None:
    assert delay(300, 0) == 300


@pytest.mark.parametrize(("failures", "expected"), [(1, 300), (2, 600), (3, 1200), (4, 2400)])
def test_failures_double_the_wait(failures: int, expected: float) -> None:
    assert delay(300, failures) == expected


def test_the_backoff_is_capped_but_never_below_the_interval() -> None:
    assert delay(300, 30) == 3600
    assert delay(300, 10_000) == 3600  # no overflow
    assert delay(86400, 5) == 86400  # a daily source stays daily


def test_jitter_stays_within_its_fraction_and_varies() -> None:
    rng = random.Random(7)
    values = [delay(100, 0, jitter_fraction=0.1, rng=rng) for _ in range(200)]  # type: ignore[arg-type]
    assert all(90 <= v <= 110 for v in values)
    assert max(values) - min(values) > 10


def test_retry_after_is_honoured_when_longer() -> None:
    assert delay(60, 1, retry_after=900) == 900
    assert delay(600, 1, retry_after=30) == 600


def test_next_poll_time_adds_the_delay() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    got = next_poll_time(now, 60, 2, jitter_fraction=0.0, backoff_cap=3600)
    assert got == now + timedelta(seconds=120)
