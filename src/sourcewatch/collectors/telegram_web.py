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

lxml is used directly: BeautifulSoup on the same page is about 20x slower
(see bench/results/telegram.md).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from lxml import etree, html

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


def _cls(name: str) -> str:
    return f"contains(concat(' ', normalize-space(@class), ' '), ' {name} ')"


_X = {
    key: etree.XPath(expr)
    for key, expr in {
        "posts": f"//div[{_cls('tgme_widget_message')}][@data-post]",
        "more": f"//a[{_cls('tme_messages_more')}][@data-before]/@data-before",
        "prev": "//link[@rel='prev']/@href",
        "no_messages": f"//*[{_cls('tme_no_messages_found')}]",
        "error": f"//*[{_cls('tgme_widget_message_error')}]",
        "title": f"//*[{_cls('tgme_channel_info_header_title')}]",
        "text": f".//div[{_cls('tgme_widget_message_text')}]",
        "time": f".//a[{_cls('tgme_widget_message_date')}]//time[@datetime]/@datetime",
        "views": f".//*[{_cls('tgme_widget_message_views')}]",
        "meta": f".//*[{_cls('tgme_widget_message_meta')}]",
        "signature": f".//*[{_cls('tgme_widget_message_from_author')}]",
        "owner": f".//*[{_cls('tgme_widget_message_owner_name')}]",
        "fwd": f".//*[{_cls('tgme_widget_message_forwarded_from_name')}]",
        "reply": f".//a[{_cls('tgme_widget_message_reply')}]",
        "reply_text": f".//*[{_cls('tgme_widget_message_metatext')}]",
        "photos": f".//a[{_cls('tgme_widget_message_photo_wrap')}]",
        "videos": f".//a[{_cls('tgme_widget_message_video_player')}"
        f" or {_cls('tgme_widget_message_roundvideo_player')}]",
        "video_src": ".//video/@src",
        "duration": f".//time[{_cls('message_video_duration')}"
        f" or {_cls('tgme_widget_message_roundvideo_duration')}]",
        "not_supported": f".//*[{_cls('message_media_not_supported_label')}]",
        "documents": f".//*[{_cls('tgme_widget_message_document_wrap')}]",
        "doc_title": f".//*[{_cls('tgme_widget_message_document_title')}]",
        "doc_extra": f".//*[{_cls('tgme_widget_message_document_extra')}]",
        "audio": f".//audio[{_cls('tgme_widget_message_voice')}]/@src",
        "previews": f".//a[{_cls('tgme_widget_message_link_preview')}]",
        "preview_title": f".//*[{_cls('link_preview_title')}]",
        "preview_site": f".//*[{_cls('link_preview_site_name')}]",
        "poll": f".//*[{_cls('tgme_widget_message_poll')}]",
        "poll_question": f".//*[{_cls('tgme_widget_message_poll_question')}]",
        "poll_options": f".//*[{_cls('tgme_widget_message_poll_option')}]",
        "poll_option_text": f".//*[{_cls('tgme_widget_message_poll_option_text')}]",
        "poll_option_percent": f".//*[{_cls('tgme_widget_message_poll_option_percent')}]",
        "unsupported": f".//*[{_cls('message_media_not_supported_wrap')}]"
        f"[not(ancestor::a[{_cls('tgme_widget_message_video_player')}])]"
        f"//*[{_cls('message_media_not_supported_label')}]",
        "sticker": f".//*[{_cls('tgme_widget_message_sticker_wrap')}]",
        "location": f".//*[{_cls('tgme_widget_message_location_wrap')}]",
        "reactions": f".//*[{_cls('tgme_widget_message_reactions')}]//*[{_cls('tgme_reaction')}]",
        "reaction_emoji": ".//i[contains(@class, 'emoji')]//b",
        "reaction_custom": ".//tg-emoji/@emoji-id",
    }.items()
}

_BACKGROUND_URL = re.compile(r"background-image:\s*url\(['\"]?([^'\")]+)['\"]?\)")
_WHITESPACE = re.compile(r"[ \t\n\r\f]+")
_SPACES_AROUND_NEWLINE = re.compile(r" *\n *")
_MANY_SPACES = re.compile(r" {2,}")
_POST_REF = re.compile(r"^(?:https?:)?//[^/]+/(?:s/)?([A-Za-z0-9_]{3,64})/(\d+)")
_COUNT = re.compile(r"^\s*([\d.,]+)\s*([KMB]?)\s*$", re.IGNORECASE)
_SIZE = re.compile(r"([\d.,]+)\s*(B|KB|MB|GB)\b", re.IGNORECASE)
_MULTIPLIER = {"": 1, "K": 1_000, "M": 1_000_000, "B": 1_000_000_000}
_SIZE_UNIT = {"B": 1, "KB": 1024, "MB": 1024**2, "GB": 1024**3}
_SAFE_SCHEMES = ("http://", "https://", "tg://")


def parse_page(data: bytes | str) -> TelegramPage:
    """Parse a t.me/s page, an embed page or a saved message fragment.

    Raises :class:`TelegramPageError` when the bytes cannot be a whole page: a document
    cut off before ``</html>``, no HTML at all, or a post block without id or time.
    """
    raw = data if isinstance(data, bytes) else data.encode("utf-8")
    head = raw[:4096].lower()
    is_document = b"<html" in head
    if is_document and b"</html>" not in raw[-4096:].lower():
        raise TelegramPageError(f"page truncated: {len(raw)} bytes and no closing </html>")
    try:
        root = html.document_fromstring(raw, parser=_PARSER)
    except (etree.ParserError, ValueError) as exc:
        raise TelegramPageError(f"not an HTML page: {exc}") from exc
    page = TelegramPage(posts=[], is_document=is_document)
    page.no_messages = bool(_X["no_messages"](root))
    errors = _X["error"](root)
    if errors:
        page.error = _flat(errors[0]) or "error"
    titles = _X["title"](root)
    page.channel_title = _flat(titles[0]) if titles else None
    page.before = _before(root)
    for block in _X["posts"](root):
        channel, post_id = _post_ref(block)
        page.channel = page.channel or channel
        if "service_message" in (block.get("class") or ""):
            page.service_ids.append(post_id)
            continue
        page.posts.append(_parse_post(block, channel, post_id, page.channel_title))
    return page


_PARSER = html.HTMLParser(encoding="utf-8", recover=True, no_network=True, remove_comments=True)


def _before(root: Any) -> int | None:
    for value in _X["more"](root):
        if value.isdigit():
            return int(value)
    for href in _X["prev"](root):
        match = re.search(r"[?&]before=(\d+)", href)
        if match:
            return int(match.group(1))
    return None


def _post_ref(block: Any) -> tuple[str, int]:
    channel, _, post = (block.get("data-post") or "").partition("/")
    if not channel or not post.isdigit() or not re.fullmatch(r"[A-Za-z0-9_]{1,64}", channel):
        raise TelegramPageError(f"post block with a bad data-post {block.get('data-post')!r}")
    return channel, int(post)


def _parse_post(block: Any, channel: str, post_id: int, title: str | None) -> WebPost:
    times = _X["time"](block)
    if not times:
        raise TelegramPageError(f"post {channel}/{post_id} has no time[datetime] (truncated?)")
    published = _utc(times[0], channel, post_id)
    texts = _X["text"](block)
    signature = _first_text(block, "signature")
    item = ParsedItem(
        external_id=str(post_id),
        url=f"{CANONICAL_BASE}/{channel}/{post_id}",
        author=signature or f"@{channel}",
        published_at=published,
        text=render_text(texts[0]) if texts else "",
        edited=_is_edited(block),
    )
    extra: dict[str, Any] = {"channel": channel}
    if title or (owner := _first_text(block, "owner")):
        extra["channel_title"] = title or owner
    if signature:
        extra["signature"] = signature
    views = _X["views"](block)
    if views and (count := parse_count(_flat(views[0]))) is not None:
        extra["views"] = count
    _forward(block, item, extra)
    _reply(block, channel, item, extra)
    post = WebPost(item=item, post_id=post_id)
    members = _media(block, channel, post)
    post.covered_ids = tuple(sorted({post_id, *members}))
    if len(post.covered_ids) > 1:
        extra["album"] = list(post.covered_ids)
    if reactions := _reactions(block):
        extra["reactions"] = reactions
    if poll := _poll(block):
        extra["poll"] = poll
        item.media.append(MediaRef(kind="poll", url=item.url, name=poll["question"]))
    item.extra = extra
    return post


def _utc(value: str, channel: str, post_id: int) -> datetime:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise TelegramPageError(f"post {channel}/{post_id}: bad datetime {value!r}") from None
    if moment.tzinfo is None:
        raise TelegramPageError(f"post {channel}/{post_id}: datetime {value!r} has no zone")
    return moment.astimezone(UTC)


def _is_edited(block: Any) -> bool:
    # The marker is loose text inside the meta span, beside the signature and the date link.
    for meta in _X["meta"](block):
        loose = [meta.text or ""] + [child.tail or "" for child in meta]
        if any("edited" in part.split() for part in loose):
            return True
    return False


def _forward(block: Any, item: ParsedItem, extra: dict[str, Any]) -> None:
    names = _X["fwd"](block)
    if not names:
        return
    name = _flat(names[0])
    href = names[0].get("href")
    item.forwarded_from = href if href and href.startswith(_SAFE_SCHEMES) else name
    extra["forwarded_from_name"] = name


def _reply(block: Any, channel: str, item: ParsedItem, extra: dict[str, Any]) -> None:
    replies = _X["reply"](block)
    if not replies:
        return
    href = replies[0].get("href") or ""
    match = _POST_REF.match(href)
    if match and match.group(1).lower() == channel.lower():
        item.reply_to = match.group(2)
    elif href.startswith(_SAFE_SCHEMES):
        item.reply_to = href
    if text := _first_text(replies[0], "reply_text"):
        extra["reply_to_text"] = text


def _media(block: Any, channel: str, post: WebPost) -> set[int]:
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

    for photo in _X["photos"](block):
        if photo.xpath(f"ancestor::a[{_cls('tgme_widget_message_link_preview')}]"):
            continue
        style = _BACKGROUND_URL.search(photo.get("style") or "")
        add(MediaRef(kind="photo", url=stable_url(photo)), style.group(1) if style else None)
    for video in _X["videos"](block):
        sources = _X["video_src"](video)
        label = _first_text(video, "not_supported")
        too_big = "not_supported" in (video.get("class") or "").split()
        ref = MediaRef(kind="video", url=stable_url(video), name=_first_text(video, "duration"))
        if too_big or not sources:
            ref.note = f"not offered by the web preview: {label or 'no video source'}"
        add(ref, sources[0] if sources else None)
    for document in _X["documents"](block):
        size_text = _first_text(document, "doc_extra")
        add(
            MediaRef(
                kind="document",
                url=stable_url(document) if document.get("href") else item.url,
                name=_first_text(document, "doc_title"),
                size=parse_size(size_text),
                note=f"file not offered by the web preview ({size_text or 'size unknown'})",
            ),
            None,
        )
    for source in _X["audio"](block):
        add(MediaRef(kind="audio", url=item.url), source)
    for preview in _X["previews"](block):
        href = preview.get("href") or ""
        name = _first_text(preview, "preview_title") or _first_text(preview, "preview_site")
        add(MediaRef(kind="link_preview", url=href if href.startswith(_SAFE_SCHEMES) else None,
                     name=name), None)  # fmt: skip
    for label in _X["unsupported"](block):
        add(MediaRef(kind="other", url=item.url, note=_flat(label)), None)
    for kind in ("sticker", "location"):
        if _X[kind](block):
            add(MediaRef(kind="other", url=item.url, name=kind), None)
    return members


def _reactions(block: Any) -> dict[str, int]:
    reactions: dict[str, int] = {}
    for reaction in _X["reactions"](block):
        emoji = [_flat(b) for b in _X["reaction_emoji"](reaction)]
        custom = _X["reaction_custom"](reaction)
        if emoji and emoji[0]:
            key = emoji[0]
        elif custom:
            key = f"custom:{custom[0]}"
        elif "tgme_reaction_paid" in (reaction.get("class") or ""):
            key = "paid"
        else:
            key = "?"
        # The count is the loose text after the emoji element.
        tail = "".join(child.tail or "" for child in reaction) or (reaction.text or "")
        count = parse_count(tail)
        if count is not None:
            reactions[key] = reactions.get(key, 0) + count
    return reactions


def _poll(block: Any) -> dict[str, Any] | None:
    polls = _X["poll"](block)
    if not polls:
        return None
    options = [
        {
            "text": _first_text(option, "poll_option_text") or "",
            "percent": _first_text(option, "poll_option_percent"),
        }
        for option in _X["poll_options"](polls[0])
    ]
    return {"question": _first_text(polls[0], "poll_question") or "", "options": options}


def _first_text(node: Any, key: str) -> str | None:
    found = _X[key](node)
    return (_flat(found[0]) or None) if found else None


def _flat(node: Any) -> str:
    return _WHITESPACE.sub(" ", node.text_content()).strip()


def render_text(node: Any) -> str:
    """The text of a message element: links kept as ``label (href)``, ``<br>`` as newline."""
    parts: list[str] = []
    _render(node, parts)
    text = _MANY_SPACES.sub(" ", "".join(parts))
    return _SPACES_AROUND_NEWLINE.sub("\n", text).strip()


def _render(node: Any, parts: list[str]) -> None:
    # Source whitespace collapses as in a browser; only <br> makes a line break.
    if node.text:
        parts.append(_WHITESPACE.sub(" ", node.text))
    for child in node:
        tag = child.tag if isinstance(child.tag, str) else ""
        if tag == "br":
            parts.append("\n")
        elif tag == "a":
            label_parts: list[str] = []
            _render(child, label_parts)
            label = _WHITESPACE.sub(" ", "".join(label_parts)).strip()
            parts.append(_link(label, child.get("href") or ""))
        elif tag in ("script", "style"):
            pass
        else:
            _render(child, parts)
        if child.tail:
            parts.append(_WHITESPACE.sub(" ", child.tail))


def _link(label: str, href: str) -> str:
    if not href.startswith(_SAFE_SCHEMES) or not label:
        return label
    if label.startswith(("@", "#", "$")) or _same_place(label, href):
        return label
    return f"{label} ({href})"


def _same_place(label: str, href: str) -> bool:
    def norm(url: str) -> str:
        url = re.sub(r"^(?:https?:)?//", "", url.strip().lower())
        return url.removeprefix("www.").rstrip("/")

    return norm(label) == norm(href)


def parse_count(text: str | None) -> int | None:
    """ "214.4K" -> 214400, "1.2M" -> 1200000, "37" -> 37; None when it is not a count."""
    match = _COUNT.match((text or "").replace("\u202f", "").replace("\xa0", ""))
    if not match:
        return None
    try:
        number = Decimal(match.group(1).replace(",", "."))
    except InvalidOperation:
        return None
    return int(number * _MULTIPLIER[match.group(2).upper()])


def parse_size(text: str | None) -> int | None:
    """ "2.3 MB" -> bytes (binary units, as Telegram shows them)."""
    match = _SIZE.search(text or "")
    if not match:
        return None
    try:
        number = Decimal(match.group(1).replace(",", "."))
    except InvalidOperation:
        return None
    return int(number * _SIZE_UNIT[match.group(2).upper()])
