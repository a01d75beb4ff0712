"""Download the photos and videos of X posts, each up to ``media.max_bytes``.

A media file that cannot be fetched never fails the poll: its MediaRef keeps
the URL and says why in ``note`` (over the cap, HTTP status, transport error).
Downloads go through the address guard: a hostile payload must not make the
collector fetch from the local network.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sourcewatch.net import FetchError, ResponseTooLarge
from sourcewatch.records import MediaRef, ParsedItem, RawCapture

if TYPE_CHECKING:
    from sourcewatch.config import Settings
    from sourcewatch.net import Http


async def download_media(
    http: Http,
    settings: Settings,
    items: list[ParsedItem],
    *,
    source: str | None = None,
    proxy: str | None = None,
) -> list[RawCapture]:
    """Fetch every not-yet-archived media URL of ``items``; set sha256/size/note on the refs
    and link each capture to its item. Returns the media captures."""
    cap = settings.media.max_bytes
    by_url: dict[str, RawCapture | str] = {}  # url -> capture, or the note saying why not
    captures: list[RawCapture] = []
    for item in items:
        for ref in item.media:
            if ref.url is None or ref.sha256 is not None:
                continue
            if ref.url not in by_url:
                by_url[ref.url] = await _fetch_one(http, ref.url, cap, source, proxy)
                outcome = by_url[ref.url]
                if isinstance(outcome, RawCapture):
                    captures.append(outcome)
            _apply(ref, item, by_url[ref.url])
    return captures


async def _fetch_one(
    http: Http, url: str, cap: int, source: str | None, proxy: str | None
) -> RawCapture | str:
    try:
        fetched = await http.fetch(
            url, kind="media", max_bytes=cap, guard_private=True, source=source, proxy=proxy
        )
    except ResponseTooLarge as exc:
        size = f"{exc.declared_size} bytes, " if exc.declared_size is not None else ""
        return f"not fetched: {size}over the {cap}-byte media cap"
    except FetchError as exc:
        return f"not fetched: {exc.problem}"
    if not fetched.ok:
        return f"not fetched: HTTP {fetched.status}"
    return fetched.capture


def _apply(ref: MediaRef, item: ParsedItem, outcome: RawCapture | str) -> None:
    if isinstance(outcome, str):
        ref.note = outcome
        return
    ref.sha256 = outcome.sha256
    ref.size = outcome.size
    ref.media_type = ref.media_type or outcome.media_type
    if outcome.sha256 not in item.capture_sha256s:
        item.capture_sha256s.append(outcome.sha256)
