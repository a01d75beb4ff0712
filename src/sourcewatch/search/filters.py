"""The filters every listing command shares (search, queue, export, triage): parsed
and checked in one place so they behave the same everywhere.

- a repeated ``--source``/``--area``/``--entity``/``--tag`` means any of them;
- a name that is not known is an error naming the known ones (exit 2), never an
  empty result;
- ``--since``/``--until`` take a duration back from now (``90m``, ``36h``, ``7d``,
  ``2w``) or an absolute date or time with its zone (``2023-09-20``,
  ``2023-09-20T10:00-04:00``, ``...Z``); a bare date is UTC midnight, and as
  ``--until`` it includes that whole day.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import sqlalchemy as sa

from sourcewatch.errors import InvalidInput
from sourcewatch.store.tables import SOURCE, TRIAGE, TRIAGE_STATUSES

if TYPE_CHECKING:  # the matching package costs ~50 ms to import: `queue` never needs it
    from sourcewatch.matching.watchlist import Entity

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$")
_UNIT = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")

# What --kind accepts, and the source kinds each means (news sites are feeds or pages).
KINDS: dict[str, tuple[str, ...]] = {
    "telegram": ("telegram",),
    "x": ("x",),
    "news": ("feed", "web"),
    "wordpress": ("wordpress",),
}


def parse_when(value: str, now: datetime, *, option: str, end_of_day: bool = False) -> datetime:
    """A ``--since``/``--until`` value as an aware UTC datetime (see the module doc)."""
    text = value.strip()
    duration = _DURATION.match(text)
    if duration:
        seconds = float(duration.group(1)) * _UNIT[duration.group(2)]
        return now - timedelta(seconds=seconds)
    if _DATE.match(text):
        try:
            day = datetime.fromisoformat(text).replace(tzinfo=UTC)
        except ValueError:
            raise InvalidInput(f"{option}: not a date: {value!r}") from None
        return day + timedelta(days=1) if end_of_day else day
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInput(
            f"{option}: {value!r} is neither a duration (90m, 36h, 7d, 2w) nor a date or "
            "time (2023-09-20, 2023-09-20T10:00-04:00)"
        ) from None
    if when.tzinfo is None:
        raise InvalidInput(
            f"{option}: {value!r} has no time zone; write it with one "
            "(2023-09-20T10:00Z, 2023-09-20T10:00-04:00)"
        )
    return when.astimezone(UTC)


def time_range(
    since: str | None, until: str | None, now: datetime
) -> tuple[datetime | None, datetime | None]:
    """``--since`` and ``--until`` parsed; an empty range is an error."""
    start = parse_when(since, now, option="--since") if since else None
    end = parse_when(until, now, option="--until", end_of_day=True) if until else None
    if start is not None and end is not None and start >= end:
        raise InvalidInput(
            f"--since ({start.isoformat()}) is not before --until ({end.isoformat()})"
        )
    return start, end


def distinct(values: Iterable[str] | None, *, lower: bool = False) -> tuple[str, ...]:
    """A repeated option's values, each once, in the order given."""
    cleaned = (v.strip().lower() if lower else v.strip() for v in values or ())
    return tuple(dict.fromkeys(v for v in cleaned if v))


def require_known(option: str, given: Sequence[str], known: Iterable[str]) -> None:
    """Every value of ``option`` is one of ``known``; else an error naming them."""
    known_set = sorted(set(known))
    unknown = [value for value in given if value not in known_set]
    if not unknown:
        return
    listed = ", ".join(known_set) if known_set else "none yet"
    noun = "values" if len(unknown) > 1 else "value"
    raise InvalidInput(
        f"{option}: unknown {noun} {', '.join(repr(u) for u in unknown)}; known: {listed}"
    )


def known_sources(conn: sa.Connection) -> list[str]:
    return list(conn.execute(sa.select(SOURCE.c.name)).scalars())


def known_areas(conn: sa.Connection, watchlist_areas: Iterable[str]) -> set[str]:
    """Areas of the sources and of the watchlists' entities and rules."""
    areas = set(watchlist_areas)
    for source_areas in conn.execute(sa.select(SOURCE.c.areas)).scalars():
        areas.update(a.lower() for a in source_areas or ())
    return areas


def known_tags(conn: sa.Connection) -> set[str]:
    query = sa.select(TRIAGE.c.tags).where(sa.cast(TRIAGE.c.tags, sa.String) != "[]")
    return {tag for tags in conn.execute(query).scalars() for tag in tags or ()}


def check_names(
    conn: sa.Connection,
    entities: Mapping[str, Entity],
    *,
    sources: Sequence[str] = (),
    areas: Sequence[str] = (),
    entity_ids: Sequence[str] = (),
    tags: Sequence[str] = (),
) -> None:
    """Every name given exists: sources in the database, areas of a source or of the
    watchlists, entity ids of the watchlists, tags on a queue entry."""
    if sources:
        require_known("--source", sources, known_sources(conn))
    if areas:
        watchlist_areas = {a.lower() for entity in entities.values() for a in entity.areas}
        require_known("--area", areas, known_areas(conn, watchlist_areas))
    if entity_ids:
        require_known("--entity", entity_ids, entities)
    if tags:
        require_known("--tag", tags, known_tags(conn))


def check_statuses(statuses: Sequence[str]) -> None:
    require_known("--status", statuses, TRIAGE_STATUSES)


def check_kinds(kinds: Sequence[str]) -> None:
    require_known("--kind", kinds, KINDS)
