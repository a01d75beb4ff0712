"""Publication dates: placeholders rejected, the fallback order of collectors/news/dates.py."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from sourcewatch.collectors.news.dates import first_plausible, plausible, url_date

NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        (datetime(1, 1, 1, tzinfo=UTC), False),  # the placeholder the benchmark pages carry
        (datetime(1970, 1, 1, tzinfo=UTC), False),  # a zero Unix time
        (datetime(1989, 12, 31, 23, 59, tzinfo=UTC), False),
        (datetime(1990, 1, 1, tzinfo=UTC), True),
        (NOW + timedelta(hours=23), True),  # time zones and clocks: a day of slack
        (NOW + timedelta(days=2), False),
        (datetime(2099, 12, 31, tzinfo=UTC), False),
        (None, False),
    ],
)
def test_plausible_dates(value: datetime | None, ok: bool) -> None:
    assert plausible(value, NOW) is ok


@pytest.mark.parametrize(
    ("url", "day"),
    [
        (
            "https://www.usatoday.com/story/news/politics/2019/11/19/prison-guards/4082679002/",
            datetime(2019, 11, 19, tzinfo=UTC),
        ),
        ("https://example.org/2021-03-07-report.html", datetime(2021, 3, 7, tzinfo=UTC)),
        ("https://example.org/2021/13/07/x", None),  # month 13
        ("https://example.org/2021/02/30/x", None),  # no such day
        ("https://example.org/a/30279001.html", None),  # an id, not a date
        ("https://example.org/search?from=2020/01/02", None),  # the query is not the page
        (None, None),
    ],
)
def test_url_date(url: str | None, day: datetime | None) -> None:
    assert url_date(url) == day


def test_fallback_order_skips_implausible_dates() -> None:
    placeholder = datetime(1, 1, 1, tzinfo=UTC)
    heuristic = datetime(2019, 11, 19, 15, 0, tzinfo=UTC)
    assert first_plausible(
        [("structured", placeholder), ("trafilatura", heuristic), ("feed", None)], NOW
    ) == (heuristic, "trafilatura")
    assert first_plausible([("feed", placeholder)], NOW) == (None, None)


def test_a_url_day_takes_the_feed_time_of_that_day() -> None:
    day = datetime(2019, 11, 19, tzinfo=UTC)
    feed_same_day = datetime(2019, 11, 19, 18, 30, tzinfo=UTC)
    feed_other_day = datetime(2019, 11, 22, 9, 0, tzinfo=UTC)
    assert first_plausible([("url", day), ("feed", feed_same_day)], NOW) == (
        feed_same_day,
        "feed",
    )
    assert first_plausible([("url", day), ("feed", feed_other_day)], NOW) == (day, "url")
