"""Download post attachments (PDF, audio, video, images) under the media size cap.

A file within ``settings.media.max_bytes`` is archived as a RawCapture of kind
"attachment" and referenced by SHA-256; a larger or unreachable one is recorded
by URL with a note saying why, so the item still shows that it existed.
"""

from __future__ import annotations

import mimetypes
import posixpath
import re
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from sourcewatch.collectors.base import CollectContext
from sourcewatch.net import FetchError, ResponseTooLarge
from sourcewatch.records import MediaRef, RawCapture
from sourcewatch.sources.config import SourceConfig

_DOCUMENTS = ("pdf", "doc", "docx", "odt", "rtf", "txt", "epub", "zip", "rar", "7z")
_AUDIO = ("mp3", "m4a", "ogg", "oga", "opus", "wav", "flac", "aac")
_VIDEO = ("mp4", "m4v", "webm", "mov", "mkv", "avi", "3gp")
_IMAGES = ("jpg", "jpeg", "png", "gif", "webp", "tif", "tiff")
ATTACHMENT_EXTENSIONS = frozenset(_DOCUMENTS + _AUDIO + _VIDEO + _IMAGES)
_UPLOADS = re.compile(r"/wp-content/uploads/", re.I)


@dataclass(frozen=True)
class Candidate:
    url: str
    name: str | None = None
    media_type: str | None = None
    size: int | None = None  # as the site declares it, before downloading


def is_attachment_link(url: str) -> bool:
    """A link to a file worth archiving: a known file extension or a WP upload."""
    path = urlsplit(url).path
    extension = posixpath.splitext(path)[1].lstrip(".").lower()
    return extension in ATTACHMENT_EXTENSIONS or bool(_UPLOADS.search(path) and extension)


def media_kind(media_type: str | None, url: str) -> str:
    media_type = media_type or mimetypes.guess_type(urlsplit(url).path)[0] or ""
    major = media_type.split("/", 1)[0]
    return {"image": "photo", "video": "video", "audio": "audio"}.get(major, "document")


async def download(
    source: SourceConfig, ctx: CollectContext, candidate: Candidate
) -> tuple[MediaRef, RawCapture | None]:
    """Fetch one attachment; never raises for a bad file, the MediaRef says what happened."""
    cap = ctx.settings.media.max_bytes
    name = candidate.name or _file_name(candidate.url)
    ref = MediaRef(
        kind=media_kind(candidate.media_type, candidate.url),
        url=candidate.url,
        name=name,
        media_type=candidate.media_type,
        size=candidate.size,
    )
    if candidate.size is not None and candidate.size > cap:
        ref.note = f"not fetched: {candidate.size} bytes over the {cap}-byte media cap"
        return ref, None
    try:
        fetched = await ctx.http.fetch(
            candidate.url,
            kind="attachment",
            proxy=source.proxy,
            max_bytes=cap,
            guard_private=True,  # the link came from a post body
            source=source.name,
        )
    except ResponseTooLarge as exc:
        ref.size = exc.declared_size or ref.size
        ref.note = f"not fetched: over the {cap}-byte media cap"
        return ref, None
    except FetchError as exc:
        ref.note = f"not fetched: {exc.problem}"
        return ref, None
    if not fetched.ok:
        ref.note = f"not fetched: HTTP {fetched.status}"
        return ref, None
    capture = fetched.capture
    ref.sha256 = capture.sha256
    ref.size = capture.size
    ref.media_type = capture.media_type or ref.media_type
    ref.kind = media_kind(ref.media_type, candidate.url)
    return ref, capture


def _file_name(url: str) -> str | None:
    return unquote(posixpath.basename(urlsplit(url).path)) or None
