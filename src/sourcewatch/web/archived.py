"""An archived page shown from our own capture only, and never able to run or fetch.

Three walls, each enough on its own for scripts and most for the network:

1. The page is rewritten before it is served (the stored bytes are never changed):
   scripts, frames, objects, ``<base>``, every ``<meta http-equiv>`` (refresh), event
   attributes and link targets are removed; images and stylesheets point at
   ``/archived/res`` with the absolute URL they had (resolved against the capture's
   URL, never a ``<base>`` the page declares).
2. It is served with ``Content-Security-Policy: sandbox`` and ``default-src 'none'``;
   images, styles and fonts only from ``/archived/res`` on this server.
3. Our item page shows it in ``<iframe sandbox>`` without ``allow-scripts``,
   ``allow-forms``, ``allow-same-origin`` or ``allow-popups``.

``/archived/res`` serves a resource only if we captured that URL, and then only as an
image, stylesheet or font; anything else is a 404 "missing": nothing is fetched live.
Links into ``/archived`` carry an HMAC of what they name (the process's secret), so a
frame with an opaque origin, which sends no session cookie, can still load them, and
nobody can ask for a capture the page did not name.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from urllib.parse import quote, urljoin, urlsplit

import lxml.html
from lxml import etree

from sourcewatch.text.urls import canonical_url

REMOVED_TAGS = (
    "script", "noscript", "iframe", "frame", "frameset", "object", "embed", "applet",
    "base", "meta", "portal", "template", "dialog", "style",
)  # fmt: skip
UNWRAPPED_TAGS = ("form",)  # its fields stay readable; it can no longer submit
URL_ATTRIBUTES = {"img": ("src",), "source": ("src",), "video": ("poster",), "input": ("src",)}
SRCSET_TAGS = ("img", "source")
STYLESHEET_RELS = {"stylesheet"}
REMOVED_ATTRIBUTES = ("srcdoc", "ping", "formaction", "action", "target", "style", "http-equiv")
SAFE_RESOURCE_TYPES = {
    "image/jpeg", "image/png", "image/gif", "image/webp", "image/avif", "image/x-icon",
    "image/vnd.microsoft.icon", "text/css", "font/woff", "font/woff2", "font/ttf",
    "font/otf", "application/font-woff",
}  # fmt: skip
_SRCSET_ITEM = re.compile(r"\s*(\S+)(\s+[^,]*)?")


def frame_csp(origin: str) -> str:
    """The policy of an archived page: no script, no network but our archive."""
    res = f"{origin}/archived/res"
    return (
        f"default-src 'none'; img-src {res}; style-src {res}; font-src {res}; "
        "base-uri 'none'; form-action 'none'; frame-ancestors 'self'; sandbox"
    )


class Signer:
    """HMACs for ``/archived`` links (see the module docstring)."""

    def __init__(self, secret: bytes) -> None:
        self._secret = secret

    def sign(self, what: str) -> str:
        return hmac.new(self._secret, what.encode("utf-8", "replace"), hashlib.sha256).hexdigest()

    def valid(self, what: str, token: object) -> bool:
        return isinstance(token, str) and hmac.compare_digest(self.sign(what), token)

    def resource_link(self, url: str) -> str:
        return f"/archived/res?u={quote(url, safe='')}&t={self.sign('res:' + url)}"

    def page_link(self, capture_id: int) -> str:
        return f"/archived/{capture_id}?t={self.sign(f'page:{capture_id}')}"


def rewrite(body: bytes, page_url: str, signer: Signer) -> bytes:
    """The page made inert, its images and stylesheets pointed at our archive."""
    try:
        root = lxml.html.document_fromstring(body)
    except (etree.ParserError, ValueError):
        return b"<!doctype html><p>This capture could not be read as HTML.</p>"
    for element in list(root.iter(*REMOVED_TAGS)):
        _drop(element)
    for element in list(root.iter(*UNWRAPPED_TAGS)):
        if element.getparent() is not None:
            element.drop_tag()  # type: ignore[attr-defined]  # lxml.html elements have it
    for element in root.iter(etree.Element):
        _clean_attributes(element)
        _point_at_archive(element, page_url, signer)
    for comment in list(root.iter(etree.Comment, etree.ProcessingInstruction)):
        _drop(comment)
    html: bytes = lxml.html.tostring(root, doctype="<!DOCTYPE html>", encoding="utf-8")
    head = b'<meta charset="utf-8">'
    return html.replace(b"<head>", b"<head>" + head, 1) if b"<head>" in html else head + html


def _drop(element: etree._Element) -> None:
    """Remove an element and its content, keeping the text that follows it."""
    parent = element.getparent()
    if parent is None:
        return
    tail = element.tail
    previous = element.getprevious()
    parent.remove(element)
    if tail:
        if previous is not None:
            previous.tail = (previous.tail or "") + tail
        else:
            parent.text = (parent.text or "") + tail


def _clean_attributes(element: etree._Element) -> None:
    for name in list(element.attrib):
        lowered = str(name).lower()
        if lowered.startswith("on") or lowered in REMOVED_ATTRIBUTES or ":" in lowered:
            del element.attrib[name]
    if element.tag not in ("a", "area", "link"):
        element.attrib.pop("href", "")  # svg <image>/<use>/<feImage>: not ours to load
    if element.tag in ("a", "area") and "href" in element.attrib:
        href = str(element.attrib.pop("href"))
        element.set("title", f"link (not followed here): {href}"[:500])


def _point_at_archive(element: etree._Element, page_url: str, signer: Signer) -> None:
    tag = element.tag if isinstance(element.tag, str) else ""
    if tag == "link":
        rels = set((element.get("rel") or "").lower().split())
        href = element.get("href")
        parent = element.getparent()
        if not rels & STYLESHEET_RELS or not href:
            if parent is not None:
                _drop(element)
            return
        element.set("href", _local(href, page_url, signer))
        for name in list(element.attrib):
            if name not in ("rel", "href", "media"):
                del element.attrib[name]
        return
    for attribute in URL_ATTRIBUTES.get(tag, ()):
        value = element.get(attribute)
        if value:
            element.set(attribute, _local(value, page_url, signer))
    if tag in SRCSET_TAGS and element.get("srcset"):
        element.set("srcset", _srcset(element.get("srcset") or "", page_url, signer))
    if tag in ("video", "audio", "source", "track"):
        if tag != "source":
            element.attrib.pop("src", "")  # no media streams: only the poster image
        element.set("preload", "none")


def _local(value: str, page_url: str, signer: Signer) -> str:
    absolute = urljoin(page_url, value.strip())
    if urlsplit(absolute).scheme not in ("http", "https"):
        return "about:blank"  # data:, javascript:, blob: ... none of ours
    return signer.resource_link(absolute)


def _srcset(value: str, page_url: str, signer: Signer) -> str:
    parts = []
    for candidate in value.split(","):
        match = _SRCSET_ITEM.match(candidate)
        if match and match.group(1):
            parts.append(_local(match.group(1), page_url, signer) + (match.group(2) or ""))
    return ", ".join(parts)


def lookup_keys(url: str) -> list[str]:
    """The URL as captured, and its canonical form (captures are stored by fetched URL)."""
    keys = [url]
    try:
        canonical = canonical_url(url)
    except ValueError:
        return keys
    if canonical != url:
        keys.append(canonical)
    return keys
