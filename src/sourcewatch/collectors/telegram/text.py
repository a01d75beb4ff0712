"""Text of Telegram posts, the same from the web preview and from Telethon.

- HTML whitespace collapses as in a browser; only ``<br>`` makes a line break.
- A link is kept as ``label (href)`` unless the label already says where it goes
  (the bare URL, ``@name`` for t.me/name, ``#tag``/``$TICKER`` for a Telegram search of
  it; a text link labelled "#Something" that goes elsewhere keeps its URL); hrefs
  that are not http(s)/tg (``javascript:``, relative search links) are dropped and
  their label kept.
- The label's own leading and trailing whitespace (spaces, line breaks) stays outside
  the ``(href)``: ``<a>word </a>next`` is ``word (href) next``, never ``word (href)next``,
  and a label ending in a line break keeps its URL on its own line. A link whose label
  is only whitespace (Telegram lets a line break carry a link) keeps its URL as
  `` (href)`` before that whitespace: the URL is never dropped.
- Telethon entity offsets and lengths count UTF-16 code units, as Telegram defines them
  (:func:`utf16_spans`); an emoji outside the BMP is two units.
- Escape and control characters are kept as data: they are part of what was said.
  Display code strips them with :func:`sourcewatch.text.sanitize.terminal_safe`.
"""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlsplit

_WHITESPACE = re.compile(r"[ \t\n\r\f]+")
SAFE_SCHEMES = ("http://", "https://", "tg://")
_SPACES_AROUND_NEWLINE = re.compile(r" *\n *")
_MANY_SPACES = re.compile(r"[ \t]{2,}|\t")
_COUNT = re.compile(r"^\s*([\d.,]+)\s*([KMB]?)\s*$", re.IGNORECASE)
_SIZE = re.compile(r"([\d.,]+)\s*(B|KB|MB|GB)\b", re.IGNORECASE)
_MULTIPLIER = {"": 1, "K": 1_000, "M": 1_000_000, "B": 1_000_000_000}
_SIZE_UNIT = {"B": 1, "KB": 1024, "MB": 1024**2, "GB": 1024**3}


def render_text(node: Any) -> str:
    """The text of a message element: links kept as ``label (href)``, ``<br>`` as newline."""
    parts: list[str] = []
    _render(node, parts)
    return tidy_text("".join(parts))


def tidy_text(text: str) -> str:
    """Runs of spaces as one, no spaces around line breaks: the same text from both backends."""
    return _SPACES_AROUND_NEWLINE.sub("\n", _MANY_SPACES.sub(" ", text)).strip()


def _render(node: Any, parts: list[str]) -> None:
    # Source whitespace collapses as in a browser; only <br> makes a line break.
    if node.text:
        parts.append(_WHITESPACE.sub(" ", node.text))
    for child in node:
        tag = child.tag if isinstance(child.tag, str) else ""
        if tag == "br":
            parts.append("\n")
        elif tag == "a":
            # The label keeps its whitespace and <br> line breaks: link_text puts them
            # outside the "(href)", so words around the link never glue together.
            label_parts: list[str] = []
            _render(child, label_parts)
            parts.append(link_text("".join(label_parts), child.get("href") or ""))
        elif tag in ("script", "style"):
            pass
        else:
            _render(child, parts)
        if child.tail:
            parts.append(_WHITESPACE.sub(" ", child.tail))


def link_text(label: str, href: str) -> str:
    """``label (href)``, or just the label when it already says where the link goes.

    Whitespace at either end of ``label`` is kept, outside the ``(href)``; a label with
    nothing visible (whitespace, or an invisible character such as the zero-width space
    of a hidden link preview) gives `` (href)`` followed by that label.
    """
    if not href.startswith(SAFE_SCHEMES):
        return label
    core = label.strip()
    if not _visible(core):
        return f" ({href}) {label}" if core else f" ({href}){label}"
    if _says_where(core, href):
        return label
    lead = label[: len(label) - len(label.lstrip())]
    trail = label[len(label.rstrip()) :]
    return f"{lead}{core} ({href}){trail}"


def _visible(text: str) -> bool:
    # Cf: zero-width space, word joiner, BOM, direction marks; none shows anything.
    return any(not char.isspace() and unicodedata.category(char) != "Cf" for char in text)


_MENTION = re.compile(r"@([A-Za-z0-9_]{3,64})")
_TAG = re.compile(r"[#$]\w+")
_TELEGRAM_HOSTS = ("t.me", "www.t.me", "telegram.me", "www.telegram.me")


def _says_where(label: str, href: str) -> bool:
    """The label is the link's own destination: the same URL, ``@name`` for
    t.me/name, or ``#tag`` for Telegram's search of that tag. A text link labelled
    "#Something" that goes elsewhere keeps its URL."""
    if _same_place(label, href):
        return True
    parts = urlsplit(href)
    if parts.hostname not in _TELEGRAM_HOSTS:
        return False
    if mention := _MENTION.fullmatch(label):
        path = parts.path.strip("/").removeprefix("s/")
        return path.lower() == mention.group(1).lower()
    return _TAG.fullmatch(label) is not None and "q=" in parts.query


def utf16_spans(text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int] | None]:
    """Telegram's (offset, length) pairs, counted in UTF-16 code units, as str indexes.

    None for a span outside the text or one that starts or ends inside a surrogate pair
    (a malformed entity: no str index corresponds to it).
    """
    # str index of every UTF-16 boundary; None where a boundary splits a surrogate pair
    boundary: list[int | None] = []
    for index, char in enumerate(text):
        boundary.append(index)
        if ord(char) > 0xFFFF:
            boundary.append(None)
    boundary.append(len(text))
    result: list[tuple[int, int] | None] = []
    for offset, length in spans:
        end = offset + length
        if offset < 0 or length <= 0 or end >= len(boundary):
            result.append(None)
            continue
        start_index, end_index = boundary[offset], boundary[end]
        if start_index is None or end_index is None:
            result.append(None)
        else:
            result.append((start_index, end_index))
    return result


def _same_place(label: str, href: str) -> bool:
    def norm(url: str) -> str:
        url = re.sub(r"^(?:https?:)?//", "", url.strip().lower())
        return url.removeprefix("www.").rstrip("/")

    return norm(label) == norm(href)


def parse_count(text: str | None) -> int | None:
    """ "214.4K" -> 214400, "1.2M" -> 1200000, "37" -> 37; None when it is not a count."""
    match = _COUNT.match((text or "").replace("\u202f", "").replace("\xa0", ""))
    return _scaled(match, _MULTIPLIER)


def parse_size(text: str | None) -> int | None:
    """ "2.3 MB" -> bytes (binary units, as Telegram shows them)."""
    return _scaled(_SIZE.search(text or ""), _SIZE_UNIT)


def _scaled(match: re.Match[str] | None, units: dict[str, int]) -> int | None:
    """A matched number (group 1, decimal comma or point) times its unit (group 2)."""
    if not match:
        return None
    try:
        number = Decimal(match.group(1).replace(",", "."))
    except InvalidOperation:
        return None
    return int(number * units[match.group(2).upper()])
