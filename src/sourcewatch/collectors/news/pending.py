"""Feed entries whose article is still owed: state kept in the source's cursor.

An entry that is new (or changed) is stored at once from the feed's own text (title,
summary, link), so it exists even if it scrolls off the feed before its article page
can be read. When its article could not be fetched in that poll (the per-poll budget
ran out, or the server answered 5xx, timed out, ...) the entry is kept here, and every
later poll retries the due ones, whether or not the feed itself changed, with an
exponential backoff. When the article arrives it is added as a new revision of the item.

The record keeps the feed item's fields (JSON) so the item can be rebuilt without the
feed's bytes: a feed answering 304 says nothing about its entries.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sourcewatch.records import MediaRef, ParsedItem, iso_utc

# After this many failed fetches the feed's text is final (the item already holds it).
MAX_TRIES = 8
# Backoff doubles from this (seconds) up to a day; option ``article_retry_after``.
DEFAULT_RETRY_AFTER = 300.0
_MAX_DELAY = 86400.0


@dataclass
class PendingArticle:
    """One entry waiting for its article: the feed item, tries so far, next due time."""

    item: ParsedItem
    tries: int
    due: datetime

    def to_json(self) -> dict[str, Any]:
        return {"item": self.item.to_json(), "tries": self.tries, "due": iso_utc(self.due)}


def load(cursor: dict[str, Any]) -> dict[str, PendingArticle]:
    """The pending entries in a cursor, by entry key (malformed records are dropped:
    the cursor is our own JSON, but an older version may have written it)."""
    loaded: dict[str, PendingArticle] = {}
    for key, record in (cursor.get("pending_articles") or {}).items():
        try:
            loaded[key] = PendingArticle(
                item=item_from_json(record["item"]),
                tries=int(record["tries"]),
                due=datetime.fromisoformat(record["due"]),
            )
        except (KeyError, TypeError, ValueError):
            continue
    return loaded


def dump(pending: dict[str, PendingArticle], limit: int) -> dict[str, Any]:
    """JSON for the cursor; the ``limit`` most recently added are kept."""
    return {key: p.to_json() for key, p in list(pending.items())[-limit:]}


def due(pending: dict[str, PendingArticle], now: datetime) -> list[str]:
    """Keys whose retry is due, newest published first."""
    ready = [key for key, p in pending.items() if p.due <= now]
    return sorted(ready, key=lambda k: iso_utc(pending[k].item.published_at) or "", reverse=True)


def failed(record: PendingArticle, now: datetime, retry_after: float) -> bool:
    """Count one more failure; False when the entry should be given up."""
    record.tries += 1
    if record.tries >= MAX_TRIES:
        return False
    record.due = now + timedelta(seconds=min(retry_after * 2 ** (record.tries - 1), _MAX_DELAY))
    return True


def item_from_json(data: dict[str, Any]) -> ParsedItem:
    """The inverse of :meth:`ParsedItem.to_json` for the fields a feed item has."""

    def when(value: Any) -> datetime | None:
        return datetime.fromisoformat(value) if isinstance(value, str) else None

    return ParsedItem(
        external_id=str(data["external_id"]),
        url=data.get("url"),
        author=data.get("author"),
        published_at=when(data.get("published_at")),
        text=str(data.get("text") or ""),
        title=data.get("title"),
        lang=data.get("lang"),
        media=[MediaRef(**m) for m in data.get("media") or []],
        edited_at=when(data.get("edited_at")),
        extra=dict(data.get("extra") or {}),
    )
