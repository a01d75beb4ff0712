"""Telethon messages -> ParsedItems, from ``Message.to_dict()`` dictionaries.

The live backend calls ``to_dict()`` on the real ``telethon.tl.types`` objects and the
``telethon-json`` import reads dumps of the same dictionaries (dates as ISO strings,
bytes as int lists), so both go through this one code path and give the same items
as the web preview:

- one item per album: Telethon returns each album member as its own message with a
  shared ``grouped_id``; they are merged into the first (lowest) id, which is the id
  t.me shows, with the members in ``extra["album"]``;
- ``edited`` is set when ``edit_date`` is (also when the client hides the mark:
  ``extra["edit_hide"]``); service messages (pins, photo changes) are not items;
- text links (``MessageEntityTextUrl``) are kept as ``label (url)`` like on the web,
  with the same rules (:func:`sourcewatch.collectors.telegram.text.link_text`): a label of
  whitespace only keeps its URL, a label ending in a line break keeps its URL before
  the break; offsets are UTF-16 code units.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sourcewatch.collectors.telegram.text import link_text, tidy_text, utf16_spans
from sourcewatch.collectors.telegram.webpage import CANONICAL_BASE
from sourcewatch.records import MediaRef, ParsedItem

Message = dict[str, Any]


class TelethonDumpError(ValueError):
    """The data is not a list of Telethon Message dictionaries."""


def items_from_dump(data: bytes, channel: str | None) -> list[ParsedItem]:
    """Parse a JSON list of ``Message.to_dict()`` objects (``--format telethon-json``)."""
    return messages_to_items(load_dump(data), channel)


def dump_channel_ids(messages: list[Message]) -> set[int]:
    """The channel ids the messages' ``peer_id`` name (one, for a dump of one channel)."""
    ids: set[int] = set()
    for message in messages:
        peer = message.get("peer_id")
        channel_id = peer.get("channel_id") if isinstance(peer, dict) else None
        if isinstance(channel_id, int):
            ids.add(channel_id)
    return ids


def load_dump(data: bytes) -> list[Message]:
    """The dump's messages, each checked to be a Telethon message with an integer id."""
    try:
        messages = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise TelethonDumpError(f"not JSON: {exc}") from exc
    if not isinstance(messages, list):
        raise TelethonDumpError("expected a JSON list of Telethon Message objects")
    for index, message in enumerate(messages):
        if not isinstance(message, dict) or message.get("_") not in KNOWN_TYPES:
            kind = message.get("_") if isinstance(message, dict) else type(message).__name__
            raise TelethonDumpError(f"element {index} is not a Telethon message ({kind!r})")
        if not isinstance(message.get("id"), int):
            raise TelethonDumpError(f"element {index} has no integer id")
    return messages


KNOWN_TYPES = ("Message", "MessageService", "MessageEmpty")


def messages_to_items(messages: list[Message], channel: str | None) -> list[ParsedItem]:
    """Items in id order; album members merged into the album's first message."""
    groups: dict[Any, list[Message]] = {}
    for message in sorted(messages, key=lambda m: m["id"]):
        if message.get("_") != "Message":
            continue
        key = message.get("grouped_id") or ("single", message["id"])
        groups.setdefault(key, []).append(message)
    items = [_album_item(members, channel) for members in groups.values()]
    return sorted(items, key=lambda item: int(item.external_id))


def message_to_item(message: Message, channel: str | None) -> ParsedItem:
    item = ParsedItem(external_id=str(message["id"]))
    channel_id = (message.get("peer_id") or {}).get("channel_id")
    item.url = _post_url(channel, channel_id, message["id"])
    item.published_at = _utc(message.get("date"))
    item.text, unplaced = render_links(message.get("message") or "", message.get("entities") or [])
    signature = message.get("post_author")
    item.author = signature or (f"@{channel}" if channel else None)
    edit_date = _utc(message.get("edit_date"))
    item.edited = edit_date is not None
    item.edited_at = edit_date
    extra: dict[str, Any] = {
        k: v for k, v in (("channel", channel), ("channel_id", channel_id)) if v is not None
    }
    if signature:
        extra["signature"] = signature
    if unplaced:
        extra["links_outside_text"] = unplaced
    for key in ("views", "forwards"):
        if isinstance(message.get(key), int):
            extra[key] = message[key]
    if message.get("edit_hide") and item.edited:
        extra["edit_hide"] = True
    if reactions := _reactions(message.get("reactions")):
        extra["reactions"] = reactions
    _forward(message.get("fwd_from"), item, extra)
    reply = message.get("reply_to") or {}
    if reply.get("reply_to_msg_id"):
        peer = (reply.get("reply_to_peer_id") or {}).get("channel_id")
        msg_id = reply["reply_to_msg_id"]
        item.reply_to = str(msg_id) if peer in (None, channel_id) else _post_url(None, peer, msg_id)
    media = message.get("media")
    if media:
        item.media.append(media_ref(media, item.url or ""))
        if media.get("_") == "MessageMediaPoll":
            extra["poll"] = _poll(media)
    item.extra = extra
    return item


def _album_item(members: list[Message], channel: str | None) -> ParsedItem:
    first = members[0]
    captioned = next((m for m in members if m.get("message")), first)
    item = message_to_item(
        {**first, "message": captioned.get("message"), "entities": captioned.get("entities")},
        channel,
    )
    if len(members) > 1:
        item.media = []
        for member in members:
            if member.get("media"):
                url = f"{_post_url(channel, item.extra.get('channel_id'), member['id'])}?single"
                item.media.append(media_ref(member["media"], url))
        edits = [d for m in members if (d := _utc(m.get("edit_date"))) is not None]
        item.edited = bool(edits)
        item.edited_at = max(edits, default=None)
        item.extra["album"] = [m["id"] for m in members]
    return item


def render_text(text: str, entities: list[dict[str, Any]]) -> str:
    """Message text with each text link kept as ``label (url)``."""
    return render_links(text, entities)[0]


def render_links(text: str, entities: list[dict[str, Any]]) -> tuple[str, list[str]]:
    """The text with its text links rendered, and the URLs of links that could not be
    placed (a span outside the text, splitting an emoji, or overlapping another link):
    those are returned rather than dropped, the text around them left as it is."""
    links = [
        e
        for e in entities
        if e.get("_") == "MessageEntityTextUrl"
        and isinstance(e.get("url"), str)
        and isinstance(e.get("offset"), int)
        and isinstance(e.get("length"), int)
    ]
    links.sort(key=lambda e: e["offset"])
    spans = utf16_spans(text, [(e["offset"], e["length"]) for e in links])
    parts: list[str] = []
    unplaced: list[str] = []
    position = 0
    for entity, span in zip(links, spans, strict=True):
        if span is None or span[0] < position:
            unplaced.append(entity["url"])
            continue
        start, end = span
        parts.append(text[position:start])
        parts.append(link_text(text[start:end], entity["url"]))
        position = end
    parts.append(text[position:])
    return tidy_text("".join(parts)), unplaced


def media_ref(media: dict[str, Any], url: str) -> MediaRef:
    """What a MessageMedia is, with a stable URL (file references change on every fetch)."""
    kind = media.get("_")
    if kind == "MessageMediaPhoto" and media.get("photo"):
        return MediaRef(kind="photo", url=url, size=photo_size(media["photo"]))
    if kind == "MessageMediaDocument" and media.get("document"):
        document = media["document"]
        attributes = document.get("attributes") or []
        names = [a.get("_") for a in attributes]
        mime = document.get("mime_type")
        if "DocumentAttributeVideo" in names:
            doc_kind = "video"
        elif "DocumentAttributeAudio" in names:
            doc_kind = "audio"
        else:
            doc_kind = "document"
        filename = next((a.get("file_name") for a in attributes if a.get("file_name")), None)
        return MediaRef(
            kind=doc_kind, url=url, size=document.get("size"), name=filename, media_type=mime
        )
    if kind == "MessageMediaWebPage":
        page = media.get("webpage") or {}
        return MediaRef(
            kind="link_preview",
            url=page.get("url"),
            name=page.get("title") or page.get("site_name"),
        )
    if kind == "MessageMediaPoll":
        return MediaRef(kind="poll", url=url, name=_poll(media)["question"])
    return MediaRef(kind="other", url=url, name=(kind or "media").removeprefix("MessageMedia"))


def photo_size(photo: dict[str, Any]) -> int | None:
    sizes: list[int] = []
    for size in photo.get("sizes") or []:
        if isinstance(size.get("size"), int):
            sizes.append(size["size"])
        sizes.extend(s for s in size.get("sizes") or [] if isinstance(s, int))
    return max(sizes, default=None)


def _poll(media: dict[str, Any]) -> dict[str, Any]:
    poll = media.get("poll") or {}
    return {
        "question": _plain(poll.get("question")),
        "options": [{"text": _plain(a.get("text"))} for a in poll.get("answers") or []],
    }


def _plain(value: Any) -> str:
    # Telethon >= 1.37 wraps poll texts in TextWithEntities.
    return value.get("text", "") if isinstance(value, dict) else str(value or "")


def _forward(header: dict[str, Any] | None, item: ParsedItem, extra: dict[str, Any]) -> None:
    if not header:
        return
    peer = header.get("from_id") or {}
    post = header.get("channel_post")
    if peer.get("channel_id") and post:
        item.forwarded_from = _post_url(header.get("from_username"), peer["channel_id"], post)
    elif header.get("from_name"):
        item.forwarded_from = header["from_name"]
    elif peer:
        item.forwarded_from = next(f"{k}:{v}" for k, v in peer.items() if k != "_")
    else:
        item.forwarded_from = "unknown"
    if header.get("from_name"):
        extra["forwarded_from_name"] = header["from_name"]
    if header.get("post_author"):
        extra["forwarded_signature"] = header["post_author"]


def _reactions(reactions: dict[str, Any] | None) -> dict[str, int]:
    counts: dict[str, int] = {}
    for result in (reactions or {}).get("results") or []:
        reaction = result.get("reaction") or {}
        if reaction.get("emoticon"):
            key = reaction["emoticon"]
        elif reaction.get("document_id"):
            key = f"custom:{reaction['document_id']}"
        else:
            key = "paid" if reaction.get("_") == "ReactionPaid" else "?"
        counts[key] = counts.get(key, 0) + int(result.get("count") or 0)
    return counts


def _post_url(channel: str | None, channel_id: int | None, message_id: int) -> str | None:
    if channel:
        return f"{CANONICAL_BASE}/{channel}/{message_id}"
    if channel_id:
        return f"{CANONICAL_BASE}/c/{channel_id}/{message_id}"
    return None


def _utc(value: Any) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            raise TelethonDumpError(f"bad date {value!r}") from None
    if not isinstance(value, datetime):
        raise TelethonDumpError(f"bad date {value!r}")
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
