"""X's oEmbed answer (``publish.twitter.com/oembed``) -> ParsedItem: the last resort.

oEmbed gives an HTML blockquote: the text (links still as t.co, media as a
``pic.twitter.com`` link), the author, and the day. It has no media, no
language beyond the ``<p lang>`` attribute, and no edit history, so items
read from it carry ``extra["via"] = "oembed"`` and are not compared as
revisions by the collector's re-read.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from bs4 import BeautifulSoup, Tag
from bs4.element import NavigableString

from sourcewatch.collectors.x.v2 import (
    MAX_TEXT_CHARS,
    XPayloadError,
    language_tag,
    snowflake_time,
)
from sourcewatch.records import ParsedItem
from sourcewatch.text.urls import x_post_url, x_status_handle

_PROFILE = re.compile(r"^https?://(?:www\.)?(?:twitter|x)\.com/([A-Za-z0-9_]{1,50})/?$")
_MEDIA_LINK_TEXT = ("pic.twitter.com/", "pic.x.com/")


def parse_oembed(payload: Any, post_id: str) -> ParsedItem:
    if not isinstance(payload, Mapping):
        raise XPayloadError(f"expected a JSON object, got {type(payload).__name__}")
    markup = payload.get("html")
    if not isinstance(markup, str) or not markup.strip():
        raise XPayloadError("oEmbed answer without html")
    if len(markup) > MAX_TEXT_CHARS:
        raise XPayloadError(f"oEmbed html is {len(markup)} characters, over {MAX_TEXT_CHARS}")
    paragraph = BeautifulSoup(markup, "html.parser").find("p")
    if not isinstance(paragraph, Tag):
        raise XPayloadError("oEmbed html has no <p> with the post text")
    author_url = payload.get("author_url")
    match = _PROFILE.match(author_url) if isinstance(author_url, str) else None
    handle = match.group(1) if match else None
    if handle is None and isinstance(payload.get("url"), str):
        handle = x_status_handle(payload["url"])
    lang = paragraph.get("lang")
    author_name = payload.get("author_name")
    return ParsedItem(
        external_id=post_id,
        url=x_post_url(post_id, handle),
        author=f"@{handle}" if handle else None,
        published_at=snowflake_time(post_id),
        text=_paragraph_text(paragraph),
        lang=language_tag(lang),
        extra={
            "via": "oembed",
            **({"author_name": author_name} if isinstance(author_name, str) else {}),
        },
    )


def _paragraph_text(paragraph: Tag) -> str:
    parts: list[str] = []
    for node in paragraph.descendants:
        if isinstance(node, Tag):
            if node.name == "br":
                parts.append("\n")
            elif node.name == "a":
                parts.append(_link_text(node))
            continue
        if type(node) is NavigableString and not _inside_link(node, paragraph):  # not Comment
            parts.append(str(node))
    return "".join(parts).strip()


def _link_text(anchor: Tag) -> str:
    label = anchor.get_text()
    href = anchor.get("href")
    if label.startswith(_MEDIA_LINK_TEXT):
        return ""  # the post's own photo or video
    if isinstance(href, str) and href.startswith(("https://t.co/", "http://t.co/")):
        return href  # the display text is shortened with "…"; t.co is the real link
    return label  # @mentions and #hashtags


def _inside_link(node: NavigableString, root: Tag) -> bool:
    parent = node.parent
    while parent is not None and parent is not root:
        if parent.name == "a":
            return True
        parent = parent.parent
    return False
