"""Single X posts without credentials: the public embed's syndication JSON, oEmbed fallback.

``capture_x_post`` is what ``cite``/``snapshot`` and the ``x`` collector's
re-read call. It asks ``<x.syndication_base_url>/tweet-result?id=..&token=..``
(the token is derived from the id exactly as X's embed script does).

* ``__typename: "TweetTombstone"`` marks the post deleted;
* HTTP 404 is confirmed with oEmbed (``<x.oembed_base_url>/oembed``): both
  404 means deleted;
* any other answer (another ``__typename`` such as a protected post, an
  error status, a body that is not JSON) falls back to oEmbed, which gives the
  text, author and date but no media; oEmbed's 403 means "not public", which
  is an error, not a deletion.

The item's ``external_id`` is the original post id, as with the API, so an
edit found here is a revision of the item the API created.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from sourcewatch.collectors.base import CollectorError
from sourcewatch.collectors.x.media import download_media
from sourcewatch.collectors.x.oembed import parse_oembed
from sourcewatch.collectors.x.syndication_token import syndication_token
from sourcewatch.collectors.x.v2 import (
    XPayloadError,
    as_mapping,
    expand_links,
    language_tag,
    load_json,
    parse_time,
    snowflake_time,
    video_ref,
)
from sourcewatch.net import FetchError
from sourcewatch.records import MediaRef, ParsedItem, PollResult, RawCapture
from sourcewatch.text.urls import x_post_url, x_status_handle, x_status_id

if TYPE_CHECKING:
    from sourcewatch.config import Settings
    from sourcewatch.net import Fetched, Http

_HANDLE = re.compile(r"^[A-Za-z0-9_]{1,50}$")


def syndication_url(base_url: str, post_id: str) -> str:
    token = syndication_token(post_id)
    return f"{base_url.rstrip('/')}/tweet-result?id={post_id}&token={token}&lang=en"


def oembed_url(base_url: str, post_id: str, handle: str | None) -> str:
    post_url = x_post_url(post_id, handle).replace("https://x.com/", "https://twitter.com/")
    return f"{base_url.rstrip('/')}/oembed?url={quote(post_url, safe='')}&omit_script=true&dnt=true"


def parse_tweet_result(payload: Any, *, requested_id: str | None = None) -> ParsedItem:
    """A syndication ``tweet-result`` object as a ParsedItem (deleted for a tombstone)."""
    if not isinstance(payload, Mapping):
        raise XPayloadError(f"expected a JSON object, got {type(payload).__name__}")
    typename = payload.get("__typename", "Tweet")
    if typename == "TweetTombstone":
        if requested_id is None:
            raise XPayloadError("a TweetTombstone answer names no post id")
        return deleted_item(requested_id, None, _unavailable_reason(payload, typename))
    if typename != "Tweet":
        # e.g. TweetUnavailable (protected, suspended): not public, but not known deleted
        raise XPayloadError(f"post unavailable: {_unavailable_reason(payload, str(typename))}")
    post_id = payload.get("id_str")
    if not isinstance(post_id, str) or not post_id.isdigit():
        raise XPayloadError("tweet-result without a numeric id_str")
    edit_ids = _edit_ids(payload)
    original_id = min([post_id, *edit_ids], key=int)
    user = as_mapping(payload.get("user"))
    screen_name = _screen_name(user)
    text = _syndication_text(payload, post_id)
    created_at = parse_time(payload.get("created_at"))
    edited = len(set(edit_ids)) > 1 or post_id != original_id
    extra: dict[str, Any] = {
        "post_id": post_id,
        "author_name": user.get("name") if isinstance(user.get("name"), str) else None,
        "conversation_id": payload.get("conversation_id_str"),
        "edit_history_tweet_ids": edit_ids or [post_id],
        "via": "syndication",
    }
    reply_to = payload.get("in_reply_to_status_id_str")
    if isinstance(reply_to, str) and reply_to.isdigit():
        extra["replied_to_id"] = reply_to
    else:
        reply_to = None
    quoted = payload.get("quoted_tweet")
    if isinstance(quoted, Mapping) and isinstance(quoted.get("id_str"), str):
        quoted_id = quoted["id_str"]
        quoted_user = as_mapping(quoted.get("user"))
        quoted_handle = _screen_name(quoted_user)
        extra["quoted_id"] = quoted_id
        extra["quoted"] = {
            "id": quoted_id,
            "author": f"@{quoted_handle}" if quoted_handle else None,
            "url": x_post_url(quoted_id, quoted_handle),
            "text": _syndication_text(quoted, quoted_id),
        }
    return ParsedItem(
        external_id=original_id,
        url=x_post_url(original_id, screen_name),
        author=f"@{screen_name}" if screen_name else None,
        published_at=(snowflake_time(original_id) if edited else created_at) or created_at,
        text=text,
        lang=language_tag(payload.get("lang")),
        media=_media(payload.get("mediaDetails")),
        reply_to=reply_to,
        edited=edited,
        edited_at=created_at if edited else None,
        extra={key: value for key, value in extra.items() if value is not None},
    )


def latest_edit_id(payload: Any) -> str | None:
    """The newest version's id when ``payload`` is an older version of an edited post."""
    if not isinstance(payload, Mapping) or payload.get("__typename", "Tweet") != "Tweet":
        return None
    ids = _edit_ids(payload)
    post_id = payload.get("id_str")
    if not ids or not isinstance(post_id, str):
        return None
    latest = max(ids, key=int)
    return latest if latest != post_id else None


def deleted_item(post_id: str, handle: str | None, reason: str) -> ParsedItem:
    return ParsedItem(
        external_id=post_id,
        url=x_post_url(post_id, handle),
        deleted=True,
        extra={"unavailable": reason, "via": "syndication"},
    )


async def capture_x_post(
    http: Http,
    settings: Settings,
    url_or_id: str,
    *,
    source: str | None = None,
    proxy: str | None = None,
) -> PollResult:
    """Capture one X post now (for a citation, a snapshot or a re-read).

    Raises ValueError if ``url_or_id`` is not a post URL or id, and
    CollectorError when neither the syndication endpoint nor oEmbed answered.
    """
    post_id = url_or_id.strip() if url_or_id.strip().isdigit() else x_status_id(url_or_id)
    if post_id is None:
        raise ValueError(f"not an X post URL or id: {url_or_id[:200]!r}")
    handle = None if url_or_id.strip().isdigit() else x_status_handle(url_or_id)
    who = source or "x"
    captures: list[RawCapture] = []
    fetch = _Fetcher(http, who, proxy)
    item, failure = await _from_syndication(fetch, settings, post_id, handle, captures)
    if item is None:
        item = await _from_oembed(fetch, settings, post_id, handle, captures, failure)
    for capture in captures:
        item.capture_sha256s.append(capture.sha256)
    if settings.x.download_media and item.media:
        captures += await download_media(http, settings, [item], source=source, proxy=proxy)
    return PollResult(captures=captures, items=[item])


@dataclass(frozen=True)
class _Fetcher:
    http: Http
    who: str
    proxy: str | None

    async def __call__(self, url: str) -> Fetched:
        return await self.http.fetch(url, kind="snapshot", source=self.who, proxy=self.proxy)


async def _from_syndication(
    fetch: _Fetcher,
    settings: Settings,
    post_id: str,
    handle: str | None,
    captures: list[RawCapture],
) -> tuple[ParsedItem | None, str]:
    """The item from tweet-result, or None and why not (404 means "confirm with oEmbed")."""
    base = settings.x.syndication_base_url
    wanted = post_id
    for _ in range(2):  # a second request when the answer is an older version of an edit
        try:
            fetched = await fetch(syndication_url(base, wanted))
        except FetchError as exc:
            return None, f"syndication failed: {exc.problem}"
        if fetched.status == 404:
            return None, "404"
        if not fetched.ok:
            return None, f"syndication answered HTTP {fetched.status}"
        try:
            payload = load_json(fetched.body)
            newer = latest_edit_id(payload)
            if newer is not None and wanted == post_id:
                captures.append(fetched.capture)
                wanted = newer
                continue
            item = parse_tweet_result(payload, requested_id=post_id)
        except (ValueError, XPayloadError) as exc:
            return None, f"syndication answer unusable: {exc}"
        captures.append(fetched.capture)
        if item.deleted and handle:
            item.url = x_post_url(post_id, handle)
        return item, ""
    return None, "syndication kept pointing at a newer edit"


async def _from_oembed(
    fetch: _Fetcher,
    settings: Settings,
    post_id: str,
    handle: str | None,
    captures: list[RawCapture],
    failure: str,
) -> ParsedItem:
    who = fetch.who
    url = oembed_url(settings.x.oembed_base_url, post_id, handle)
    try:
        fetched = await fetch(url)
    except FetchError as exc:
        if failure == "404":  # the syndication 404 stands on its own
            return deleted_item(post_id, handle, "syndication: 404 (oEmbed unreachable)")
        raise CollectorError(who, f"X post {post_id}: {failure}; oEmbed failed: {exc}") from exc
    if fetched.status == 404:
        captures.append(fetched.capture)
        return deleted_item(post_id, handle, "not found (syndication and oEmbed: 404)")
    if fetched.status == 403:
        raise CollectorError(
            who, f"X post {post_id} is not public (oEmbed: HTTP 403; a protected account?)"
        )
    if not fetched.ok:
        if failure == "404":
            return deleted_item(post_id, handle, f"syndication: 404 (oEmbed: {fetched.status})")
        raise CollectorError(
            who, f"X post {post_id}: {failure}; oEmbed answered HTTP {fetched.status}"
        )
    try:
        item = parse_oembed(load_json(fetched.body), post_id)
    except (ValueError, XPayloadError) as exc:
        raise CollectorError(who, f"X post {post_id}: {failure}; oEmbed unusable: {exc}") from None
    captures.append(fetched.capture)
    return item


def _syndication_text(payload: Mapping[str, Any], post_id: str) -> str:
    note = payload.get("note_tweet")
    results = note.get("note_tweet_results") if isinstance(note, Mapping) else None
    result = results.get("result") if isinstance(results, Mapping) else None
    if isinstance(result, Mapping) and isinstance(result.get("text"), str):
        entity_set = result.get("entity_set")
        urls = entity_set.get("urls") if isinstance(entity_set, Mapping) else None
        return expand_links(result["text"], urls, post_id)
    raw = payload.get("text")
    if not isinstance(raw, str):
        raise XPayloadError(f"post {post_id} has no text")
    entities = as_mapping(payload.get("entities"))
    text = expand_links(raw, entities.get("urls"), post_id)
    media_entities = entities.get("media")
    for media in media_entities if isinstance(media_entities, list) else []:
        # Media links have no media_key here; they are the post's own photos and videos.
        if isinstance(media, Mapping) and isinstance(media.get("url"), str):
            text = text.replace(media["url"], "")
    return text.strip()


def _media(details: Any) -> list[MediaRef]:
    refs: list[MediaRef] = []
    for entry in details if isinstance(details, list) else []:
        if not isinstance(entry, Mapping):
            continue
        kind, key = entry.get("type"), entry.get("media_key")
        name = key if isinstance(key, str) else None
        url = entry.get("media_url_https")
        if kind == "photo":
            refs.append(
                MediaRef(kind="photo", url=url if isinstance(url, str) else None, name=name)
            )
        elif kind in ("video", "animated_gif"):
            info = as_mapping(entry.get("video_info"))
            refs.append(video_ref(info.get("variants"), url, name))
    return refs


def _screen_name(user: Mapping[str, Any]) -> str | None:
    name = user.get("screen_name")
    return name if isinstance(name, str) and _HANDLE.match(name) else None


def _edit_ids(payload: Mapping[str, Any]) -> list[str]:
    control = payload.get("edit_control")
    if not isinstance(control, Mapping):
        return []
    ids = control.get("edit_tweet_ids")
    initial = control.get("edit_control_initial")
    if ids is None and isinstance(initial, Mapping):
        ids = initial.get("edit_tweet_ids")
    return [i for i in ids if isinstance(i, str) and i.isdigit()] if isinstance(ids, list) else []


def _unavailable_reason(payload: Mapping[str, Any], typename: str) -> str:
    tombstone = payload.get("tombstone")
    text = tombstone.get("text") if isinstance(tombstone, Mapping) else None
    if isinstance(text, Mapping):
        text = text.get("text")
    if isinstance(text, str) and text:
        return f"{typename}: {text[:300]}"
    reason = payload.get("reason")
    return f"{typename}: {reason[:100]}" if isinstance(reason, str) else typename
