"""Publication dates an analyst can cite: implausible ones rejected, the rest ranked.

Pages and feeds carry placeholder dates (``0001-01-01``, ``1970-01-01``, a CMS's
``2099-12-31``) and clocks set wrong. A date before :data:`EARLIEST` (1990: before
the web carried news) or more than :data:`FUTURE_SLACK` after the fetch is not a
publication date; it is dropped and the next source of a date is used, in the order
of :data:`ORDER`:

1. ``structured``: what the page declares for machines (``article:published_time``
   and other ``<meta>``, JSON-LD ``datePublished``, ``<time datetime>``);
2. ``trafilatura``: trafilatura's (htmldate's) reading of the page;
3. ``url``: a ``/YYYY/MM/DD/`` (or ``YYYY-MM-DD``) date in the article's URL, at midnight UTC;
4. ``feed``: the feed entry's own date (RSS ``pubDate``, Atom ``published``/``updated``,
   a sitemap's ``publication_date``/``lastmod``).

A URL gives only a day: when the feed's date falls on that same day, the feed's
date (with its time) is used.

The fetch time is never a publication date: it is kept apart as ``collected_at``.
Pure functions, no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

EARLIEST = datetime(1990, 1, 1, tzinfo=UTC)
FUTURE_SLACK = timedelta(days=1)
ORDER = ("structured", "trafilatura", "url", "feed")

# /2019/11/05/, /2019-11-05-, _20191105_ is too ambiguous (ids): only separated forms.
_URL_DATE = re.compile(
    r"(?<![0-9])((?:19|20)\d\d)([/-])(0?[1-9]|1[0-2])\2(0?[1-9]|[12]\d|3[01])(?![0-9])"
)


def plausible(value: datetime | None, now: datetime) -> bool:
    """True for a date that can be a publication date seen at ``now``."""
    if value is None:
        return False
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return EARLIEST <= value <= now + FUTURE_SLACK


def plausible_or_none(value: datetime | None, now: datetime) -> datetime | None:
    """``value`` if plausible, else None (a placeholder date is no date)."""
    return value if plausible(value, now) else None


def url_date(url: str | None) -> datetime | None:
    """The date written in a URL's path (``/2019/11/05/``), midnight UTC; None if none.

    Only the path is read: a query string's dates are search parameters, not the page's.
    """
    if not url:
        return None
    path = url.split("?", 1)[0].split("#", 1)[0]
    for match in _URL_DATE.finditer(path):
        year, _, month, day = match.groups()
        try:
            return datetime(int(year), int(month), int(day), tzinfo=UTC)
        except ValueError:
            continue
    return None


def first_plausible(
    candidates: Iterable[tuple[str, datetime | None]], now: datetime
) -> tuple[datetime | None, str | None]:
    """The first plausible (date, origin) of ``candidates`` taken in :data:`ORDER`."""
    by_origin = dict(candidates)
    for origin in ORDER:
        value = by_origin.get(origin)
        if value is not None and plausible(value, now):
            feed = by_origin.get("feed")
            if origin == "url" and feed is not None and _same_day(feed, value):
                return feed, "feed"  # the day the URL says, at the time the feed says
            return value, origin
    return None, None


def _same_day(precise: datetime, day: datetime) -> bool:
    return precise.astimezone(UTC).date() == day.date()
