"""The value objects that flow from collectors (and import parsers) into ingest.

Collectors never touch the database: they return a :class:`PollResult` made of
:class:`RawCapture` (bytes exactly as fetched, archived first) and
:class:`ParsedItem` (what those bytes say). ``ingest`` is the only writer.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from typing import Any

# A collector's position in its source, stored as JSON on the Source row.
# Each collector owns the keys of its own cursor (e.g. {"last_id": 71008}).
Cursor = dict[str, Any]
# How long work reports how far it got: (done, total).
Progress = Callable[[int, int], None]

CAPTURE_KINDS = ("page", "media", "attachment", "snapshot", "import", "api")


def utcnow() -> datetime:
    return datetime.now(UTC)


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass(frozen=True)
class RawCapture:
    """Bytes exactly as they were fetched (or read from an imported file).

    ``url`` is the final URL after redirects; ``request_url`` the one asked for.
    ``status`` is None for captures that did not come over HTTP (imports).
    """

    url: str
    body: bytes
    fetched_at: datetime = field(default_factory=utcnow)
    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    media_type: str | None = None
    kind: str = "page"
    request_url: str | None = None
    # Set when the bytes were streamed into the object store already (a large import
    # file, never held in memory): ``body`` is then empty and these describe the bytes.
    stored: StoredBytes | None = None

    @cached_property
    def sha256(self) -> str:
        # cached: ingest asks for it once per item that cites this capture
        return self.stored.sha256 if self.stored else sha256_hex(self.body)

    @property
    def size(self) -> int:
        return self.stored.size if self.stored else len(self.body)


@dataclass(frozen=True)
class StoredBytes:
    """Bytes already in the object store: their SHA-256 and size."""

    sha256: str
    size: int


@dataclass
class MediaRef:
    """A photo, video, document, attachment or link preview attached to an item.

    ``sha256`` is set when the bytes were downloaded and archived (a RawCapture
    of kind "media"/"attachment" with the same hash is in the PollResult);
    otherwise only ``url`` and, where known, ``size`` are recorded.
    """

    kind: str  # photo, video, document, audio, link_preview, poll, attachment, other
    url: str | None = None
    sha256: str | None = None
    size: int | None = None
    name: str | None = None
    media_type: str | None = None
    note: str | None = None  # e.g. "not fetched: 83 MB over the 50 MB cap"

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v is not None}


@dataclass
class ParsedItem:
    """One post, tweet, article or WordPress post, as a collector parsed it.

    ``external_id`` is unique within its source (post id, tweet id, GUID or
    canonical link). ``capture_sha256s`` names the captures in the same
    PollResult that this item was read from, so the archive can prove it.
    """

    external_id: str
    url: str | None = None
    author: str | None = None
    published_at: datetime | None = None
    text: str = ""
    title: str | None = None
    lang: str | None = None
    # How ``lang`` was decided (source, platform, detected, undetermined); set by ingest.
    lang_method: str | None = None
    media: list[MediaRef] = field(default_factory=list)
    forwarded_from: str | None = None
    reply_to: str | None = None
    edited: bool = False
    edited_at: datetime | None = None
    deleted: bool = False
    extra: dict[str, Any] = field(default_factory=dict)  # views, reactions, tags, ...
    capture_sha256s: list[str] = field(default_factory=list)
    # Seen in passing (a known post on a page fetched for newer ones): its media were not
    # downloaded, so only its title and text are compared with the stored item; when they
    # differ it is a new revision that keeps the stored media.
    text_only: bool = False

    def content_hash(self) -> str:
        """Hash of what an analyst would call the content: an edit changes it.

        View counts and reactions change on every poll; they are not content.
        """
        parts = [
            self.title or "",
            self.text,
            "\x1f".join(sorted(m.sha256 or m.url or "" for m in self.media)),
        ]
        return sha256_hex("\x1e".join(parts).encode("utf-8"))

    def to_json(self) -> dict[str, Any]:
        return {
            "external_id": self.external_id,
            "url": self.url,
            "author": self.author,
            "published_at": iso_utc(self.published_at),
            "title": self.title,
            "text": self.text,
            "lang": self.lang,
            **({"lang_method": self.lang_method} if self.lang_method else {}),
            "media": [m.to_dict() for m in self.media],
            "forwarded_from": self.forwarded_from,
            "reply_to": self.reply_to,
            "edited": self.edited,
            "edited_at": iso_utc(self.edited_at),
            "deleted": self.deleted,
            **({"views": self.extra["views"]} if "views" in self.extra else {}),
            **({"extra": self.extra} if self.extra else {}),
        }


@dataclass
class PollResult:
    """What one poll (or re-read, or import) of a source produced."""

    captures: list[RawCapture] = field(default_factory=list)
    items: list[ParsedItem] = field(default_factory=list)
    cursor: Cursor | None = None  # None: leave the stored cursor as it is
    etag: str | None = None
    last_modified: str | None = None
    not_modified: bool = False  # the server answered 304 / the body hash was unchanged
    # What the source listed that did not become an item, each with its reason
    # ("entry #3: no id, ..."): reported, never dropped in silence.
    skipped: list[str] = field(default_factory=list)


def iso_utc(value: datetime | None) -> str | None:
    """ISO 8601 in UTC with a Z, as every JSON output prints times (naive = UTC)."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


@dataclass(frozen=True)
class SourceState:
    """What the database remembers of a source between polls."""

    cursor: Cursor = field(default_factory=dict)
    etag: str | None = None
    last_modified: str | None = None
    body_sha256: str | None = None  # of the last main page/feed, for servers with bad validators
