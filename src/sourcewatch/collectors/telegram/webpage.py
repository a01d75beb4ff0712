"""Parser for Telegram's public web preview: ``t.me/s/<channel>`` pages and single-post embeds.

Every ``.tgme_widget_message[data-post]`` block becomes one :class:`ParsedItem`:

- ``external_id`` is the message id alone ("71008"): a source is one channel, and the
  numeric id survives a channel rename and is what the Telethon backend sees too.
  ``url`` is always the canonical ``https://t.me/<channel>/<id>``, whatever base URL served it.
- ``published_at`` comes from ``time[datetime]`` (UTC); the visible time is browser-local.
- ``text``: HTML whitespace collapsed, ``<br>`` as newline, and every link kept as
  ``label (href)`` unless the label already says where it goes (a bare URL, ``@name``,
  ``#tag``). Hrefs that are not http(s)/tg links are dropped, their label kept.
- ``author`` is the post signature, else ``@channel``; ``forwarded_from`` the original
  post's link, or the hidden sender's name; ``reply_to`` the replied message id
  (same channel) or link.
- ``media``: each :class:`MediaRef` has a *stable* ``url`` (the post link, with ``?single``
  for album members), because the CDN file URLs change on every fetch and would make every
  re-check look like an edit. The downloadable CDN URLs are in :attr:`WebPost.files`.
- ``extra``: views, reactions, album member ids, poll, channel title, reply text.

Speed: plain lxml.etree plus a one-pass class index per post, ~5,000 posts/s on one
core; BeautifulSoup+lxml only parsing and selecting the blocks manages ~800
(bench/results/telegram.md). Text rendering lives in :mod:`telegram_text`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from lxml import etree

from sourcewatch.collectors.telegram.text import (
    SAFE_SCHEMES,
    parse_count,
    parse_size,
    render_text,
)
from sourcewatch.records import MediaRef, ParsedItem

CANONICAL_BASE = "https://t.me"


class TelegramPageError(ValueError):
    """The bytes are not a usable t.me page (truncated, not HTML, a post block is broken)."""


@dataclass
class WebPost:
    item: ParsedItem
    post_id: int
    # index into item.media -> direct file URL (CDN) that can be downloaded
    files: dict[int, str] = field(default_factory=dict)
    # ids the post covers: its own and its album members (gaps that are not deletions)
    covered_ids: tuple[int, ...] = ()


@dataclass
class TelegramPage:
    posts: list[WebPost]
    channel: str | None = None
    channel_title: str | None = None
    service_ids: list[int] = field(default_factory=list)  # "pinned", "photo changed", ...
    before: int | None = None  # page further back: ?before=<id>
    no_messages: bool = False  # the tme_no_messages_found page
    error: str | None = None  # embed page: "Post not found"
    is_document: bool = False  # a full page (has <html>) rather than a fragment

    @property
    def max_id(self) -> int | None:
        ids = [i for post in self.posts for i in post.covered_ids] + self.service_ids
        return max(ids) if ids else None

    @property
    def min_id(self) -> int | None:
        ids = [post.post_id for post in self.posts] + self.service_ids
        return min(ids) if ids else None


class _Classes:
    """Elements of a subtree by class token, in document order: one pass instead of an
    XPath scan per question (the parser's hot path; see bench/bench_telegram.py)."""

    def __init__(self, node: Any) -> None:
        self.by_class: dict[str, list[Any]] = {}
        for element in node.iter():
            classes = element.get("class")
            if classes:
                for name in classes.split():
                    self.by_class.setdefault(name, []).append(element)

    def all(self, name: str) -> list[Any]:
        return self.by_class.get(name, [])

    def first(self, name: str) -> Any | None:
        found = self.by_class.get(name)
        return found[0] if found else None

    def text(self, name: str) -> str | None:
        found = self.first(name)
        return (_flat(found) or None) if found is not None else None


_BACKGROUND_URL = re.compile(r"background-image:\s*url\(['\"]?([^'\")]+)['\"]?\)")
_WHITESPACE = re.compile(r"[ \t\n\r\f]+")
_POST_REF = re.compile(r"^(?:https?:)?//[^/]+/(?:s/)?([A-Za-z0-9_]{3,64})/(\d+)")
# Plain lxml elements: lxml.html's element classes cost a lookup per node touched.
_PARSER = etree.HTMLParser(encoding="utf-8", recover=True, no_network=True, remove_comments=True)


def parse_page(data: bytes | str) -> TelegramPage:
    """Parse a t.me/s page, an embed page or a saved message fragment (UTF-8, as t.me serves).

    Raises :class:`TelegramPageError` when the bytes cannot be a whole page: a document
    cut off before ``</html>``, no HTML at all, or a post block without id or time.
    """
    raw = data if isinstance(data, bytes) else data.encode("utf-8")
    is_document = b"<html" in raw[:4096].lower()
    if is_document and b"</html>" not in raw[-4096:].lower():
        raise TelegramPageError(f"page truncated: {len(raw)} bytes and no closing </html>")
    try:
        root = etree.fromstring(raw, parser=_PARSER)
    except (etree.ParserError, etree.XMLSyntaxError, ValueError) as exc:
        raise TelegramPageError(f"not an HTML page: {exc}") from exc
    if root is None:
        raise TelegramPageError("not an HTML page: no elements")
    index = _Classes(root)
    page = TelegramPage(posts=[], is_document=is_document)
    page.no_messages = index.first("tme_no_messages_found") is not None
    if (error := index.first("tgme_widget_message_error")) is not None:
        page.error = _flat(error) or "error"
    page.channel_title = index.text("tgme_channel_info_header_title")
    page.before = _before(root, index)
    for block in index.all("tgme_widget_message"):
        if block.get("data-post") is None:
            continue
        channel, post_id = _post_ref(block)
        page.channel = page.channel or channel
        if "service_message" in block.get("class", "").split():
            page.service_ids.append(post_id)
            continue
        page.posts.append(_parse_post(block, channel, post_id, page.channel_title))
    return page


def _before(root: Any, index: _Classes) -> int | None:
    for more in index.all("tme_messages_more"):
        if (more.get("data-before") or "").isdigit():
            return int(more.get("data-before"))
    for link in root.iter("link"):
        if link.get("rel") == "prev":
            match = re.search(r"[?&]before=(\d+)", link.get("href") or "")
            if match:
                return int(match.group(1))
    return None


def _post_ref(block: Any) -> tuple[str, int]:
    channel, _, post = (block.get("data-post") or "").partition("/")
    if not post.isdigit() or not re.fullmatch(r"[A-Za-z0-9_]{1,64}", channel):
        raise TelegramPageError(f"post block with a bad data-post {block.get('data-post')!r}")
    return channel, int(post)


def _parse_post(block: Any, channel: str, post_id: int, title: str | None) -> WebPost:
    index = _Classes(block)
    published = _published(index, channel, post_id)
    text = index.first("tgme_widget_message_text")
    signature = index.text("tgme_widget_message_from_author")
    item = ParsedItem(
        external_id=str(post_id),
        url=f"{CANONICAL_BASE}/{channel}/{post_id}",
        author=signature or f"@{channel}",
        published_at=published,
        text=render_text(text) if text is not None else "",
        edited=_is_edited(index),
    )
    extra: dict[str, Any] = {"channel": channel}
    if title or (owner := index.text("tgme_widget_message_owner_name")):
        extra["channel_title"] = title or owner
    if signature:
        extra["signature"] = signature
    if (count := parse_count(index.text("tgme_widget_message_views"))) is not None:
        extra["views"] = count
    _forward(index, item, extra)
    _reply(index, channel, item, extra)
    post = WebPost(item=item, post_id=post_id)
    members = _media(index, channel, post)
    post.covered_ids = tuple(sorted({post_id, *members}))
    if len(post.covered_ids) > 1:
        extra["album"] = list(post.covered_ids)
    if reactions := _reactions(index):
        extra["reactions"] = reactions
    if poll := _poll(index):
        extra["poll"] = poll
        item.media.append(MediaRef(kind="poll", url=item.url, name=poll["question"]))
    item.extra = extra
    return post


def _published(index: _Classes, channel: str, post_id: int) -> datetime:
    for link in index.all("tgme_widget_message_date"):
        for time in link.iter("time"):
            if time.get("datetime"):
                return _utc(time.get("datetime"), channel, post_id)
    raise TelegramPageError(f"post {channel}/{post_id} has no time[datetime] (truncated?)")


def _utc(value: str, channel: str, post_id: int) -> datetime:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise TelegramPageError(f"post {channel}/{post_id}: bad datetime {value!r}") from None
    if moment.tzinfo is None:
        raise TelegramPageError(f"post {channel}/{post_id}: datetime {value!r} has no zone")
    return moment.astimezone(UTC)


def _is_edited(index: _Classes) -> bool:
    # The marker is loose text inside the meta span, beside the signature and the date link.
    for meta in index.all("tgme_widget_message_meta"):
        loose = [meta.text or ""] + [child.tail or "" for child in meta]
        if any("edited" in part.split() for part in loose):
            return True
    return False


def _forward(index: _Classes, item: ParsedItem, extra: dict[str, Any]) -> None:
    name_node = index.first("tgme_widget_message_forwarded_from_name")
    if name_node is None:
        return
    name = _flat(name_node)
    href = name_node.get("href")
    item.forwarded_from = href if href and href.startswith(SAFE_SCHEMES) else name
    extra["forwarded_from_name"] = name


def _reply(index: _Classes, channel: str, item: ParsedItem, extra: dict[str, Any]) -> None:
    reply = index.first("tgme_widget_message_reply")
    if reply is None:
        return
    href = reply.get("href") or ""
    match = _POST_REF.match(href)
    if match and match.group(1).lower() == channel.lower():
        item.reply_to = match.group(2)
    elif href.startswith(SAFE_SCHEMES):
        item.reply_to = href
    if text := _Classes(reply).text("tgme_widget_message_metatext"):
        extra["reply_to_text"] = text


def _inside(element: Any, name: str) -> bool:
    return any(name in (a.get("class") or "").split() for a in element.iterancestors())


def _media(index: _Classes, channel: str, post: WebPost) -> set[int]:
    """Append the post's media to its item; return the album member ids seen."""
    item = post.item
    members: set[int] = set()

    def add(ref: MediaRef, file_url: str | None) -> None:
        if file_url and file_url.startswith("//"):
            file_url = "https:" + file_url
        if file_url and file_url.startswith(("http://", "https://")):
            post.files[len(item.media)] = file_url
        item.media.append(ref)

    def stable_url(anchor: Any) -> str:
        match = _POST_REF.match(anchor.get("href") or "")
        if not match:
            return item.url or ""
        member = int(match.group(2))
        members.add(member)
        single = "?single" if "single" in (anchor.get("href") or "") else ""
        return f"{CANONICAL_BASE}/{channel}/{member}{single}"

    for photo in index.all("tgme_widget_message_photo_wrap"):
        if _inside(photo, "tgme_widget_message_link_preview"):
            continue
        style = _BACKGROUND_URL.search(photo.get("style") or "")
        add(MediaRef(kind="photo", url=stable_url(photo)), style.group(1) if style else None)
    players = index.all("tgme_widget_message_video_player")
    for video in players + index.all("tgme_widget_message_roundvideo_player"):
        sources = [v.get("src") for v in video.iter("video") if v.get("src")]
        inner = _Classes(video)
        label = inner.text("message_media_not_supported_label")
        duration = inner.text("message_video_duration") or inner.text(
            "tgme_widget_message_roundvideo_duration"
        )
        ref = MediaRef(kind="video", url=stable_url(video), name=duration)
        if "not_supported" in (video.get("class") or "").split() or not sources:
            ref.note = f"not offered by the web preview: {label or 'no video source'}"
        add(ref, sources[0] if sources else None)
    for document in index.all("tgme_widget_message_document_wrap"):
        inner = _Classes(document)
        size_text = inner.text("tgme_widget_message_document_extra")
        ref = MediaRef(
            kind="document",
            url=stable_url(document) if document.get("href") else item.url,
            name=inner.text("tgme_widget_message_document_title"),
            size=parse_size(size_text),
            note=f"file not offered by the web preview ({size_text or 'size unknown'})",
        )
        add(ref, None)
    for audio in index.all("tgme_widget_message_voice"):
        if audio.tag == "audio" and audio.get("src"):
            add(MediaRef(kind="audio", url=item.url), audio.get("src"))
    for preview in index.all("tgme_widget_message_link_preview"):
        href = preview.get("href") or ""
        inner = _Classes(preview)
        name = inner.text("link_preview_title") or inner.text("link_preview_site_name")
        safe_href = href if href.startswith(SAFE_SCHEMES) else None
        add(MediaRef(kind="link_preview", url=safe_href, name=name), None)
    for label in index.all("message_media_not_supported_label"):
        if not _inside(label, "tgme_widget_message_video_player"):
            add(MediaRef(kind="other", url=item.url, note=_flat(label)), None)
    for kind in ("sticker", "location"):
        if index.first(f"tgme_widget_message_{kind}_wrap") is not None:
            add(MediaRef(kind="other", url=item.url, name=kind), None)
    return members


def _reactions(index: _Classes) -> dict[str, int]:
    reactions: dict[str, int] = {}
    for reaction in index.all("tgme_reaction"):
        if not _inside(reaction, "tgme_widget_message_reactions"):
            continue
        emoji = [_flat(b) for i in _Classes(reaction).all("emoji") for b in i.iter("b")]
        custom = [e.get("emoji-id") for e in reaction.iter("tg-emoji") if e.get("emoji-id")]
        if emoji and emoji[0]:
            key = emoji[0]
        elif custom:
            key = f"custom:{custom[0]}"
        elif "tgme_reaction_paid" in (reaction.get("class") or "").split():
            key = "paid"
        else:
            key = "?"
        # The count is the loose text after the emoji element.
        tail = "".join(child.tail or "" for child in reaction) or (reaction.text or "")
        count = parse_count(tail)
        if count is not None:
            reactions[key] = reactions.get(key, 0) + count
    return reactions


def _poll(index: _Classes) -> dict[str, Any] | None:
    poll = index.first("tgme_widget_message_poll")
    if poll is None:
        return None
    inner = _Classes(poll)
    options = []
    for option in inner.all("tgme_widget_message_poll_option"):
        parts = _Classes(option)
        options.append(
            {
                "text": parts.text("tgme_widget_message_poll_option_text") or "",
                "percent": parts.text("tgme_widget_message_poll_option_percent"),
            }
        )
    question = inner.text("tgme_widget_message_poll_question") or ""
    return {"question": question, "options": options}


def _flat(node: Any) -> str:
    return _WHITESPACE.sub(" ", "".join(node.itertext())).strip()
