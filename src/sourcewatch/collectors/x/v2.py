"""X API v2 payloads -> ParsedItems. Pure functions: no I/O, every field distrusted.

A v2 response is ``{"data": [tweet, ...] | tweet, "includes": {"users", "media",
"tweets"}, "meta": {...}}``. One item per tweet in ``data``:

* ``external_id`` is the *original* post id (the oldest id in
  ``edit_history_tweet_ids``), so an edit, which X publishes under a new id,
  lands on the same item and ingest records a revision;
* ``text`` is the full text (``note_tweet`` for long posts), HTML entities
  decoded, each t.co link replaced by its expanded URL, and links to the
  post's own photos/videos dropped (they are in ``media``);
* a retweet's text is the retweeted post's full text, with ``forwarded_from``
  naming its author; quotes and replies are named in ``extra``/``reply_to``;
* ``media`` lists photos by URL and videos by their best mp4 variant.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from sourcewatch.records import MediaRef, ParsedItem
from sourcewatch.text.urls import x_post_url

_ID = re.compile(r"^[0-9]{1,25}$")
_LANG = re.compile(r"^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8}){0,2}$")
_HANDLE = re.compile(r"^[A-Za-z0-9_]{1,50}$")
_OWN_MEDIA_LINK = re.compile(r"/status/(?P<id>[0-9]+)/(?:photo|video)/[0-9]+/?$")
_TWITTER_EPOCH_MS = 1288834974657
# Ids below this predate snowflake ids (Nov 2010) and carry no timestamp.
_FIRST_SNOWFLAKE = 10**11
MAX_TEXT_CHARS = 100_000  # a post is at most 25,000 characters; anything longer is hostile


class XPayloadError(ValueError):
    """An X payload (API v2, syndication or oEmbed) does not have the expected shape."""


def load_json(data: bytes | str) -> Any:
    """``json.loads`` that reports hostile nesting as ValueError, not RecursionError."""
    try:
        return json.loads(data)
    except RecursionError:
        raise ValueError("JSON nested too deeply") from None


def parse_v2_response(payload: Any) -> list[ParsedItem]:
    """Every post in ``payload["data"]`` as a ParsedItem; [] for an empty page."""
    if not isinstance(payload, Mapping):
        raise XPayloadError(f"expected a JSON object, got {type(payload).__name__}")
    data = payload.get("data")
    if data is None:
        return []
    tweets = [data] if isinstance(data, Mapping) else data
    if not isinstance(tweets, list):
        raise XPayloadError(f"'data' must be an object or a list, got {type(data).__name__}")
    includes = payload.get("includes")
    includes = {} if includes is None else includes
    if not isinstance(includes, Mapping):
        raise XPayloadError("'includes' must be an object")
    users = _index(includes.get("users"), "id")
    media = _index(includes.get("media"), "media_key")
    referenced = _index(includes.get("tweets"), "id")
    items: dict[str, ParsedItem] = {}
    for position, tweet in enumerate(tweets):
        if not isinstance(tweet, Mapping):
            raise XPayloadError(f"data[{position}] is not an object")
        item = parse_v2_tweet(tweet, users, media, referenced)
        known = items.get(item.external_id)
        # Two versions of one edited post in a page: keep the newest.
        if known is None or int(item.extra["post_id"]) > int(known.extra["post_id"]):
            items[item.external_id] = item
    return list(items.values())


def parse_v2_tweet(
    tweet: Mapping[str, Any],
    users: Mapping[str, Mapping[str, Any]],
    media: Mapping[str, Mapping[str, Any]],
    referenced: Mapping[str, Mapping[str, Any]],
) -> ParsedItem:
    post_id = _post_id(tweet.get("id"), "post")
    history = [i for i in _str_list(tweet.get("edit_history_tweet_ids")) if _ID.match(i)]
    original_id = min([post_id, *history], key=int)
    author = users.get(str(tweet.get("author_id")))
    username = _username(author)
    refs = _references(tweet)

    text = full_text(tweet, post_id)
    forwarded_from = None
    source_tweet = tweet
    retweeted = referenced.get(refs.get("retweeted", ""))
    retweeted_text = _referenced_text(retweeted)
    if retweeted is not None and retweeted_text is not None:
        # A v2 retweet's own text is "RT @user: " plus a truncated copy.
        text = retweeted_text
        forwarded_from = _at(_username(users.get(str(retweeted.get("author_id")))))
        source_tweet = retweeted

    created_at = parse_time(tweet.get("created_at"))
    edited = len(set(history)) > 1 or post_id != original_id
    # An edit's created_at is the edit's time; the original's time is in its snowflake id.
    if edited:
        published_at = snowflake_time(original_id) or created_at
    else:
        published_at = created_at or snowflake_time(original_id)
    extra: dict[str, Any] = {
        "post_id": post_id,
        "author_id": _opt_str(tweet.get("author_id")),
        "author_name": _opt_str(author.get("name")) if author else None,
        "conversation_id": _opt_str(tweet.get("conversation_id")),
        "edit_history_tweet_ids": history or [post_id],
        "public_metrics": _metrics(tweet.get("public_metrics")),
    }
    for kind in ("replied_to", "quoted", "retweeted"):
        if kind in refs:
            extra[f"{kind}_id"] = refs[kind]
    quoted = referenced.get(refs.get("quoted", ""))
    if quoted is not None:
        quoted_id = str(quoted.get("id", ""))
        quoted_author = _username(users.get(str(quoted.get("author_id"))))
        extra["quoted"] = {
            "id": quoted_id,
            "author": _at(quoted_author),
            "url": x_post_url(quoted_id, quoted_author),
            "text": _referenced_text(quoted),
        }
    return ParsedItem(
        external_id=original_id,
        url=x_post_url(original_id, username),
        author=_at(username),
        published_at=published_at,
        text=text,
        lang=language_tag(tweet.get("lang")),
        media=media_refs(
            _str_list(as_mapping(source_tweet.get("attachments")).get("media_keys")), media
        ),
        forwarded_from=forwarded_from,
        reply_to=refs.get("replied_to"),
        edited=edited,
        edited_at=created_at if edited else None,
        extra={key: value for key, value in extra.items() if value is not None},
    )


def _referenced_text(tweet: Mapping[str, Any] | None) -> str | None:
    # A referenced post may come back partial (withheld, deleted since): not fatal.
    if tweet is None:
        return None
    try:
        return full_text(tweet, str(tweet.get("id", "")))
    except XPayloadError:
        return None


def full_text(tweet: Mapping[str, Any], post_id: str) -> str:
    """The post's whole text with links expanded (``note_tweet`` holds long posts)."""
    note = as_mapping(tweet.get("note_tweet"))
    if isinstance(note.get("text"), str):
        raw, entities = note["text"], as_mapping(note.get("entities"))
    else:
        raw, entities = tweet.get("text"), as_mapping(tweet.get("entities"))
    if not isinstance(raw, str):
        raise XPayloadError(f"post {post_id} has no text")
    return expand_links(raw, entities.get("urls"), post_id)


def expand_links(raw: str, url_entities: Any, post_id: str) -> str:
    """Decode HTML entities, expand t.co links, drop links to the post's own media."""
    if len(raw) > MAX_TEXT_CHARS:
        raise XPayloadError(f"post {post_id} text is {len(raw)} characters, over {MAX_TEXT_CHARS}")
    # Decode first: an expanded URL may hold "&copy=1", which is not an entity.
    text = html.unescape(raw)
    for entity in url_entities if isinstance(url_entities, list) else []:
        if not isinstance(entity, Mapping) or not isinstance(entity.get("url"), str):
            continue
        short = entity["url"]
        expanded = entity.get("expanded_url") or entity.get("unwound_url")
        if not short.startswith(("https://t.co/", "http://t.co/")):
            continue
        if entity.get("media_key") or _links_own_media(expanded, post_id):
            text = text.replace(short, "")
        elif isinstance(expanded, str) and expanded:
            text = text.replace(short, expanded)
    return text.strip()


def media_refs(keys: Iterable[str], media: Mapping[str, Mapping[str, Any]]) -> list[MediaRef]:
    refs: list[MediaRef] = []
    for key in keys:
        entry = media.get(key)
        if entry is None:
            refs.append(MediaRef(kind="other", note=f"media {key} missing from includes"))
            continue
        kind = entry.get("type")
        if kind == "photo":
            refs.append(MediaRef(kind="photo", url=_opt_str(entry.get("url")), name=key))
        elif kind in ("video", "animated_gif"):
            refs.append(video_ref(entry.get("variants"), entry.get("preview_image_url"), key))
        else:
            refs.append(MediaRef(kind="other", url=_opt_str(entry.get("url")), name=key))
    return refs


def video_ref(variants: Any, preview_url: Any, name: str | None) -> MediaRef:
    """The mp4 variant with the highest bit rate (API: ``bit_rate``, syndication: ``bitrate``)."""
    best_url, best_rate = None, -1
    for variant in variants if isinstance(variants, list) else []:
        if not isinstance(variant, Mapping) or variant.get("content_type") != "video/mp4":
            continue
        rate = _int(variant.get("bit_rate", variant.get("bitrate")))
        if isinstance(variant.get("url"), str) and rate > best_rate:
            best_url, best_rate = variant["url"], rate
    if best_url is not None:
        return MediaRef(kind="video", url=best_url, media_type="video/mp4", name=name)
    return MediaRef(
        kind="video",
        url=_opt_str(preview_url),
        name=name,
        note="no mp4 variant; preview image only",
    )


def language_tag(value: Any) -> str | None:
    """X's language code (``en``, ``ar``, ``zh-cn``); None for "und" and anything odd."""
    if isinstance(value, str) and _LANG.match(value) and value != "und":
        return value.lower()
    return None


def parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise XPayloadError(f"not an ISO 8601 time: {value[:40]!r}") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def snowflake_time(post_id: str) -> datetime | None:
    """When a post was created, read from its snowflake id, in whole seconds.

    The id holds milliseconds, but X's own ``created_at`` for the same post is whole
    seconds (``...:30.000Z`` for an id that says ``...:30.644``): the same post must
    get the same ``published_at`` whether it is read edited (time from the original's
    id) or not (time from ``created_at``), so the milliseconds are dropped.
    """
    number = int(post_id)
    if number < _FIRST_SNOWFLAKE:
        return None
    seconds = ((number >> 22) + _TWITTER_EPOCH_MS) // 1000
    return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(seconds=seconds)


def _references(tweet: Mapping[str, Any]) -> dict[str, str]:
    refs: dict[str, str] = {}
    entries = tweet.get("referenced_tweets")
    for ref in entries if isinstance(entries, list) else []:
        if isinstance(ref, Mapping) and isinstance(ref.get("type"), str):
            ref_id = ref.get("id")
            if isinstance(ref_id, str) and _ID.match(ref_id):
                refs.setdefault(ref["type"], ref_id)
    return refs


def _links_own_media(expanded: Any, post_id: str) -> bool:
    if not isinstance(expanded, str):
        return False
    match = _OWN_MEDIA_LINK.search(expanded.split("?", 1)[0])
    return match is not None and match.group("id") == post_id


def _index(entries: Any, key: str) -> dict[str, Mapping[str, Any]]:
    if entries is None:
        return {}
    if not isinstance(entries, list):
        raise XPayloadError(f"includes entry keyed by {key!r} must be a list")
    return {
        str(e[key]): e for e in entries if isinstance(e, Mapping) and isinstance(e.get(key), str)
    }


def _post_id(value: Any, what: str) -> str:
    if isinstance(value, str) and _ID.match(value):
        return value
    raise XPayloadError(f"{what} without a numeric string id: {str(value)[:40]!r}")


def _username(user: Mapping[str, Any] | None) -> str | None:
    name = user.get("username") if user else None
    return name if isinstance(name, str) and _HANDLE.match(name) else None


def _at(username: str | None) -> str | None:
    return f"@{username}" if username else None


def _metrics(value: Any) -> dict[str, int] | None:
    if not isinstance(value, Mapping):
        return None
    return {str(k): v for k, v in value.items() if isinstance(v, int) and not isinstance(v, bool)}


def as_mapping(value: Any) -> Mapping[str, Any]:
    """``value`` if it is a JSON object, else an empty one."""
    return value if isinstance(value, Mapping) else {}


def _str_list(value: Any) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def _opt_str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0
