"""HTML fragments (feed descriptions, WordPress post bodies) -> plain text and links."""

from __future__ import annotations

from urllib.parse import urljoin

import lxml.etree
import lxml.html

_TEXT_BLOCKS = ("p", "div", "br", "li", "ul", "ol", "blockquote", "pre", "tr", "table", "section")
_HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6", "figure", "figcaption")
_BLOCKS = frozenset(_TEXT_BLOCKS + _HEADINGS)


def _fragment(html: str) -> lxml.html.HtmlElement | None:
    if not html.strip():
        return None
    try:
        return lxml.html.fragment_fromstring(html, create_parent="div")
    except (lxml.etree.ParserError, ValueError):
        return None


def html_to_text(html: str) -> str:
    """Visible text with one line per block element; scripts and styles dropped."""
    root = _fragment(html)
    if root is None:
        return html.strip() if "<" not in html else ""
    for bad in root.xpath("//script|//style"):
        bad.drop_tree()
    lines: list[str] = []
    current: list[str] = []

    def flush() -> None:
        line = " ".join("".join(current).split())
        if line:
            lines.append(line)
        current.clear()

    for event, element in lxml.etree.iterwalk(root, events=("start", "end")):
        tag = element.tag if isinstance(element.tag, str) else ""
        if event == "start":
            if tag in _BLOCKS:
                flush()
            if element.text:
                current.append(element.text)
        else:
            if tag in _BLOCKS:
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
