"""HTML fragments (feed descriptions, WordPress post bodies) -> plain text and links."""

from __future__ import annotations

import re
from urllib.parse import urljoin

import lxml.etree
import lxml.html

_TEXT_BLOCKS = ("p", "div", "br", "li", "ul", "ol", "blockquote", "pre", "tr", "table", "section")
_HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6", "figure", "figcaption")
_BLOCKS = frozenset(_TEXT_BLOCKS + _HEADINGS)
_HIDDEN = frozenset(("script", "style"))
# Text html_to_text answers without a parse: no markup or entity start, and none of the
# characters lxml alters or refuses (NUL becomes U+FFFD; other C0 controls but tab/LF/CR,
# lone surrogates and U+FFFE/U+FFFF make it refuse the string, see _fragment). For such
# text the parse gives one text node, so the answer is that text with its whitespace
# collapsed (tests/test_feedparse.py checks both ways give the same over many strings).
_NOT_PLAIN = re.compile(r"[<&\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# libxml2 drops a text node over 10,000,000 bytes (the answer is then ""): stay far below.
_PLAIN_MAX_CHARS = 100_000


def _fragment(html: str) -> lxml.html.HtmlElement | None:
    if not html.strip():
        return None
    try:
        return lxml.html.fragment_fromstring(html, create_parent="div")
    except (lxml.etree.ParserError, ValueError):
        return None


def html_to_text(html: str) -> str:
    """Visible text with one line per block element; scripts and styles dropped."""
    if len(html) <= _PLAIN_MAX_CHARS and not _NOT_PLAIN.search(html):
        return " ".join(html.split())  # what _parsed_text gives for it, without the parse
    return _parsed_text(html)


def _parsed_text(html: str) -> str:
    root = _fragment(html)
    if root is None:
        return html.strip() if "<" not in html else ""
    lines: list[str] = []
    current: list[str] = []

    def flush() -> None:
        line = " ".join("".join(current).split())
        if line:
            lines.append(line)
        current.clear()

    # Scripts and styles are skipped as the tree is walked, their tails kept: the same
    # text as dropping them from the tree first, but without writing to the tree, which
    # lxml refuses for text holding control characters its parser let through.
    hidden = 0  # depth inside script/style
    # Comments and processing instructions hide nothing but themselves: the text after
    # one (its tail) is text (WordPress content is full of <!-- wp:paragraph -->).
    events = ("start", "end", "comment", "pi")
    for event, element in lxml.etree.iterwalk(root, events=events):
        tag = element.tag if isinstance(element.tag, str) else ""
        if event in ("comment", "pi"):
            if element.tail and not hidden:
                current.append(element.tail)
            continue
        if event == "start":
            if tag in _HIDDEN or hidden:
                hidden += 1
                continue
            if tag in _BLOCKS:
                flush()
            if element.text:
                current.append(element.text)
        else:
            if hidden:
                hidden -= 1
                if hidden:
                    continue
            elif tag in _BLOCKS:
                flush()
            if element.tail and element is not root:
                current.append(element.tail)
    flush()
    return "\n".join(lines)


def links_in(html: str, base_url: str) -> list[str]:
    """Absolute URLs of ``<a href>``, ``<img src>``, ``<source src>``, ``<audio/video src>``."""
    root = _fragment(html)
    if root is None:
        return []
    found: list[str] = []
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        for attribute in ("href", "src"):
            value = element.get(attribute)
            if value and not value.startswith(("#", "mailto:", "javascript:", "data:")):
                absolute = urljoin(base_url, value.strip())
                if absolute.startswith(("http://", "https://")) and absolute not in found:
                    found.append(absolute)
    return found
