"""Feed and sitemap bytes -> :class:`FeedEntry` list, shared by the collectors and imports.

RSS 0.9x/1.0/2.0 and Atom go through feedparser, always handed bytes we fetched
(as a stream, so it can never fetch a URL or open a file itself). Sitemaps
(``urlset``, Google News extensions, ``sitemapindex``) go through lxml with
entities and network access off. The charset is settled by
:func:`sourcewatch.net.decode_body` first, so an undeclared windows-1251 feed
does not reach feedparser as mojibake.

Malformed input is an error with its line and column: a truncated feed is never
half-ingested. Per source, ``lenient_xml = true`` accepts feedparser's
best-effort parse of a feed that is complete but not well-formed.
"""

from __future__ import annotations

import copy
import functools
import hashlib
import io
import logging
import mimetypes
import re
import types
import xml.sax
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import feedparser
import feedparser.api
import feedparser.mixin
import feedparser.urls
import feedparser.util
import lxml.etree

from sourcewatch.net.decoding import decode_body
from sourcewatch.records import MediaRef
from sourcewatch.text.cut import DEFAULT_MAX_ITEM_TEXT_CHARS, cut_note, cut_record
from sourcewatch.text.htmltext import html_to_text
from sourcewatch.text.urls import canonical_url

log = logging.getLogger(__name__)

_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>", re.I)
_ROOT = re.compile(r"<([A-Za-z_][\w.\-]*:)?([A-Za-z_][\w.\-]*)")
_PROLOG_NOISE = re.compile(
    r"^(\s|<\?.*?\?>|<!--.*?-->|<!DOCTYPE[^\[>]*(\[.*?\])?\s*>)*", re.S | re.I
)
_HTML_START = re.compile(r"^\s*(<!doctype\s+html|<html|<head|<body)", re.I)
_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.I | re.S)
# expat/libxml2 messages that mean the document stopped early (reached end of input).
_TRUNCATION = ("no element found", "unclosed", "premature end", "not properly terminated")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_SITEMAP_NS = {
    "sm": "http://www.sitemaps.org/schemas/sitemap/0.9",
    "news": "http://www.google.com/schemas/sitemap-news/0.9",
}


# Per-parse costs of feedparser 6.0 that change nothing in what it returns
# (bench/bench_feedparse.py: together about a third of a small feed's parse):
# - it asks xml.sax for "drv_libxml2" first, a failed import (a sys.path scan) on every
#   parse before it settles for expat; and if that module were ever installed, it would
#   parse our hostile input with other entity rules. The stdlib expat reader, always.
feedparser.api.PREFERRED_XML_PARSERS = ["xml.sax.expatreader"]
# - every start tag re-derives the xml:base as make_safe_absolute_uri(base, xml:base or
#   base): one urljoin per element, nearly always with the same two strings. It is a pure
#   function of its arguments, so a small cache gives the same answers; long (hostile)
#   strings are not kept.
# - every text/html value (an RSS description, plain text or not) goes through its
#   sgmllib-based relative-URI resolver. Without "<" or "&" there is no tag, reference or
#   declaration to rewrite: the resolver hands the text back as it is (it would raise on
#   a lone surrogate, which expat never gives: those still go through it).
# tests/test_feedparse.py checks both against feedparser's own functions.
_BASE_CACHE_MAX_CHARS = 2048
_NOT_PLAIN = re.compile(r"[<&\ud800-\udfff]")
_safe_absolute_uri = feedparser.urls.make_safe_absolute_uri
_safe_absolute_uri_cached = functools.lru_cache(maxsize=64)(_safe_absolute_uri)
_resolve_relative_uris = feedparser.urls.resolve_relative_uris


def _make_safe_absolute_uri(base: Any, rel: Any = None) -> Any:
    if (
        type(base) is str
        and (rel is None or type(rel) is str)
        and len(base) + len(rel or "") <= _BASE_CACHE_MAX_CHARS
    ):
        return _safe_absolute_uri_cached(base, rel)
    return _safe_absolute_uri(base, rel)


def _resolve_relative_uris_in(html_source: Any, base_uri: Any, encoding: Any, type_: Any) -> Any:
    if type(html_source) is str and not _NOT_PLAIN.search(html_source):
        return html_source
    return _resolve_relative_uris(html_source, base_uri, encoding, type_)


# - every text element's content parameters (a FeedParserDict of a few strings) are
#   copied with copy.deepcopy: ~6 us of reduce/reconstruct machinery for what is, with
#   values that cannot change, the same dict built key by key (as deepcopy does).
# - FeedParserDict.get/__getitem__ test five special keys one by one and look the key up
#   in its alias map before the dict itself, ~50 times per entry: a key that is neither
#   goes straight to the dict, with the same answer; the others take feedparser's path.
# Together about a fifth of a small feed's parse (bench_daemon.py's: 0.9 -> 0.73 ms).
_FeedParserDict = feedparser.util.FeedParserDict
_SPECIAL_KEYS = frozenset({"category", "enclosures", "license", "updated", "updated_parsed"})
_IMMUTABLE = (str, type(None), bool, int)
_feedparser_get = _FeedParserDict.get
_feedparser_getitem = _FeedParserDict.__getitem__


def _deepcopy(value: Any) -> Any:
    if (
        type(value) is _FeedParserDict
        and not value.__dict__
        and all(type(v) in _IMMUTABLE for v in value.values())
    ):
        copied = _FeedParserDict()
        for key, item in value.items():
            copied[key] = item
        return copied
    return copy.deepcopy(value)


def _dict_get(self: Any, key: Any, default: Any = None) -> Any:
    if type(key) is str and key not in _SPECIAL_KEYS and key not in self.keymap:
        return dict.get(self, key, default)
    return _feedparser_get(self, key, default)


def _dict_getitem(self: Any, key: Any) -> Any:
    if type(key) is str and key not in _SPECIAL_KEYS and key not in self.keymap:
        return dict.__getitem__(self, key)
    return _feedparser_getitem(self, key)


if feedparser.mixin.make_safe_absolute_uri is _safe_absolute_uri:
    feedparser.mixin.make_safe_absolute_uri = _make_safe_absolute_uri
if feedparser.mixin.resolve_relative_uris is _resolve_relative_uris:
    feedparser.mixin.resolve_relative_uris = _resolve_relative_uris_in
if feedparser.mixin.copy is copy:
    feedparser.mixin.copy = types.SimpleNamespace(deepcopy=_deepcopy)
if _FeedParserDict.get is _feedparser_get:
    _FeedParserDict.get = _dict_get
    _FeedParserDict.__getitem__ = _dict_getitem


class FeedFormatError(Exception):
    """The bytes are not a usable feed or sitemap; the message says why and where."""


@dataclass
class FeedEntry:
    key: str  # GUID / Atom id, else the canonical link, else a hash of the content
    link: str | None
    title: str | None
    text: str
    author: str | None = None
    published_at: datetime | None = None
    updated_at: datetime | None = None
    lang: str | None = None
    categories: list[str] = field(default_factory=list)
    media: list[MediaRef] = field(default_factory=list)
    # The entry's content as HTML (relative links resolved, not sanitized), only for the
    # links inside it (htmltext.links_in): never rendered nor stored.
    html: str = ""
    # Set when the content was over max_item_text_chars and only its start was read
    # (sourcewatch.text.cut): {"kept_chars", "original_chars"}; ``text`` ends with a note.
    text_cut: dict[str, Any] | None = None

    @property
    def fingerprint(self) -> str:
        """Changes when what the feed says about the entry changes."""
        parts = [
            self.title or "",
            self.text,
            self.link or "",
            self.updated_at.isoformat() if self.updated_at else "",
            *sorted(m.url or "" for m in self.media),
        ]
        return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32]


@dataclass
class ParsedFeed:
    kind: str  # "feed", "sitemap" or "sitemapindex"
    entries: list[FeedEntry]
    title: str | None = None
    sitemaps: list[str] = field(default_factory=list)  # children of a sitemapindex
    # Entries that did not become a FeedEntry, each as "entry #N (title): reason".
    skipped: list[str] = field(default_factory=list)


def parse_feed(
    body: bytes,
    *,
    url: str,
    content_type: str | None = None,
    lenient: bool = False,
    max_text_chars: int = DEFAULT_MAX_ITEM_TEXT_CHARS,
) -> ParsedFeed:
    """Parse a feed or sitemap; FeedFormatError names the problem (and line/column).

    An entry's content longer than ``max_text_chars`` is cut before its text is
    extracted, and the cut recorded (:mod:`sourcewatch.text.cut`)."""
    if not body.strip():
        raise FeedFormatError("empty body, not a feed")
    text = decode_body(body, content_type).text
    if _HTML_START.match(text):
        title = _TITLE.search(text[:20000])
        shown = f" titled {' '.join(title.group(1).split())[:80]!r}" if title else ""
        raise FeedFormatError(f"got an HTML page{shown}, not a feed (an error or login page?)")
    # Hand the parsers UTF-8 with a matching declaration, whatever the original charset.
    utf8 = ('<?xml version="1.0" encoding="utf-8"?>' + _XML_DECL.sub("", text, count=1)).encode()
    head = _PROLOG_NOISE.sub("", text[:4096], count=1)
    if not head.lstrip().startswith("<"):
        raise FeedFormatError(f"not XML: the body starts with {head.lstrip()[:20]!r}")
    root = _ROOT.search(head[:512])
    root_name = root.group(2).lower() if root else ""
    if root_name in ("urlset", "sitemapindex"):
        return _parse_sitemap(utf8)
    del text, head  # the str copy of the body: not held while feedparser builds its own
    return _parse_with_feedparser(utf8, url, lenient, root_name, max_text_chars)


def _parse_with_feedparser(
    data: bytes, url: str, lenient: bool, root_name: str, max_text_chars: int
) -> ParsedFeed:
    parsed = feedparser.parse(
        io.BytesIO(data),
        response_headers={
            "content-type": "application/xml; charset=utf-8",
            "content-location": url,
        },
        sanitize_html=False,  # we keep text (lxml) and http(s) links only; 30% faster
        resolve_relative_uris=True,
    )
    if parsed.get("bozo"):
        problem = parsed.get("bozo_exception")
        if isinstance(problem, xml.sax.SAXParseException):
            where = f"line {problem.getLineNumber()}, column {problem.getColumnNumber()}"
            message = problem.getMessage()
            if any(hint in message for hint in _TRUNCATION):
                raise FeedFormatError(f"truncated XML ({message} at {where})")
            if not lenient:
                raise FeedFormatError(
                    f"not well-formed XML ({message} at {where}); "
                    "set options.lenient_xml = true to accept a best-effort parse"
                )
            log.warning("%s: accepting not well-formed feed (%s at %s)", url, message, where)
    if not parsed.get("version"):
        shown = f"<{root_name}>" if root_name else "no XML element"
        raise FeedFormatError(f"not an RSS or Atom feed (root is {shown})")
    feed_lang = parsed.feed.get("language")
    entries, skipped = _entries(parsed.entries, feed_lang, max_text_chars)
    return ParsedFeed("feed", entries, title=parsed.feed.get("title"), skipped=skipped)


def _entries(
    raws: list[Any], feed_lang: str | None, max_text_chars: int = DEFAULT_MAX_ITEM_TEXT_CHARS
) -> tuple[list[FeedEntry], list[str]]:
    """The feed's entries in feed order, and why any was left out.

    Two entries under one key would be stored as one item, the later overwriting the
    earlier: the first (usually the newest) is kept and the other reported.
    """
    entries: list[FeedEntry] = []
    skipped: list[str] = []
    first_at: dict[str, int] = {}
    for number, raw in enumerate(raws, start=1):
        entry = _entry(raw, feed_lang, max_text_chars)
        label = f"entry #{number}" + (f" ({entry.title[:60]!r})" if entry and entry.title else "")
        if entry is None:
            skipped.append(f"{label}: no id, no link, no title and no content")
        elif entry.key in first_at:
            skipped.append(f"{label}: same id {entry.key!r} as entry #{first_at[entry.key]}")
        else:
            first_at[entry.key] = number
            entries.append(entry)
    return entries, skipped


def _entry(raw: Any, feed_lang: str | None, max_text_chars: int) -> FeedEntry | None:
    link = (raw.get("link") or "").strip() or None
    content = raw.get("content") or []
    body_html = (content[0].get("value", "") if content else raw.get("summary", "")) or ""
    key = (raw.get("id") or "").strip() or (canonical_url(link) if link else None)
    key = key or content_key(raw.get("title") or "", body_html)
    if not key:
        return None
    text, cut = _entry_text(body_html, max_text_chars)
    return FeedEntry(
        key=key,
        link=link,
        title=_title(raw),
        text=text,
        html=body_html[:max_text_chars],
        text_cut=cut,
        author=(raw.get("author") or "").strip() or None,
        # RSS 1.0 has only dc:date, which feedparser files under "updated".
        published_at=_struct_time(
            dict.get(raw, "published_parsed") or dict.get(raw, "updated_parsed")
        ),
        updated_at=_struct_time(dict.get(raw, "updated_parsed")),
        lang=raw.get("language") or feed_lang,
        categories=[t.get("term") for t in raw.get("tags") or [] if t.get("term")],
        media=_media(raw),
    )


def _entry_text(body_html: str, max_text_chars: int) -> tuple[str, dict[str, Any] | None]:
    """The entry's text, and the record of its cut when its content (as the feed sent it,
    markup included) was over ``max_text_chars``: only that much of it is read, so a
    20 MiB description does not become a 20 MiB tree, text and pickle."""
    if len(body_html) <= max_text_chars:
        return html_to_text(body_html), None
    text = html_to_text(body_html[:max_text_chars])
    return text + cut_note(len(text), len(body_html)), cut_record(len(text), len(body_html))


def content_key(title: str, body_html: str) -> str | None:
    """The id of an entry that has neither guid nor link (valid RSS 2.0: an item needs
    only a title or a description): a hash of its title and content as the feed sent
    them, whitespace runs folded. Stable across polls while the entry is unchanged; an
    edited entry of this kind cannot be told from a new one, so it becomes a new item
    (the old one stays). None when there is nothing to hash.
    """
    parts = [" ".join(title.split()), " ".join(body_html.split())]
    if not any(parts):
        return None
    digest = hashlib.sha256("\x1f".join(parts).encode("utf-8", "surrogatepass")).hexdigest()
    return f"sha256:{digest[:32]}"


def _title(raw: Any) -> str | None:
    title = raw.get("title") or ""
    detail = raw.get("title_detail") or {}
    if detail.get("type") in ("text/html", "application/xhtml+xml"):
        title = html_to_text(title)
    return " ".join(title.split()) or None


def _media(raw: Any) -> list[MediaRef]:
    refs: dict[str, MediaRef] = {}
    for enclosure in raw.get("enclosures") or []:
        href = enclosure.get("href")
        if href and href not in refs:
            media_type = enclosure.get("type")
            length = str(enclosure.get("length") or "")
            size = int(length) if length.isdigit() else None
            refs[href] = MediaRef(
                _media_kind(media_type, None, href), href, size=size, media_type=media_type
            )
    for content in raw.get("media_content") or []:
        href = content.get("url")
        if href and href not in refs:
            media_type = content.get("type")
            refs[href] = MediaRef(
                _media_kind(media_type, content.get("medium"), href), href, media_type=media_type
            )
    return list(refs.values())


def _media_kind(media_type: str | None, medium: str | None, url: str) -> str:
    guessed = mimetypes.guess_type(urlsplit(url).path)[0]
    major = (media_type or medium or guessed or "").split("/", 1)[0]
    return {"image": "photo", "video": "video", "audio": "audio"}.get(major, "document")


def _struct_time(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        return datetime(*value[:6]).replace(tzinfo=UTC)
    except (TypeError, ValueError):
        return None


def _parse_sitemap(data: bytes) -> ParsedFeed:
    parser = lxml.etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    try:
        root = lxml.etree.fromstring(data, parser=parser)
    except lxml.etree.XMLSyntaxError as exc:
        line, column = exc.position
        message = exc.msg or str(exc)
        kind = "truncated" if any(h in message.lower() for h in _TRUNCATION) else "invalid"
        where = f"line {line}, column {column}"
        raise FeedFormatError(f"{kind} sitemap XML ({message} at {where})") from None
    if lxml.etree.QName(root).localname == "sitemapindex":
        dated = [
            (_first(el, "sm:loc"), _w3c_time(_first(el, "sm:lastmod")))
            for el in _elements(root, "sm:sitemap")
        ]
        # Google News sitemaps first, then the most recently modified.
        dated.sort(key=lambda d: d[1] or _EPOCH, reverse=True)
        dated.sort(key=lambda d: "news" not in (d[0] or "").lower())
        locations = [loc for loc, _ in dated if loc]
        return ParsedFeed("sitemapindex", [], sitemaps=[u for u in locations if u])
    entries: list[FeedEntry] = []
    skipped: list[str] = []
    for number, url_el in enumerate(_elements(root, "sm:url"), start=1):
        loc = _first(url_el, "sm:loc")
        if not loc:
            skipped.append(f"url #{number}: no <loc>")
            continue
        lastmod = _w3c_time(_first(url_el, "sm:lastmod"))
        published = _w3c_time(_first(url_el, "news:news/news:publication_date"))
        entries.append(
            FeedEntry(
                key=canonical_url(loc),
                link=loc,
                title=_first(url_el, "news:news/news:title"),
                text="",
                published_at=published or lastmod,
                updated_at=lastmod,
                lang=_first(url_el, "news:news/news:publication/news:language"),
            )
        )
    return ParsedFeed("sitemap", entries, skipped=skipped)


def _elements(root: lxml.etree._Element, path: str) -> list[lxml.etree._Element]:
    """The elements an element-only XPath selects (xpath() is typed for any result)."""
    found = root.xpath(path, namespaces=_SITEMAP_NS)
    assert isinstance(found, list)
    return [element for element in found if isinstance(element, lxml.etree._Element)]


def _first(element: Any, path: str) -> str | None:
    found = element.xpath(f"{path}/text()", namespaces=_SITEMAP_NS)
    value = " ".join(str(found[0]).split()) if found else ""
    return value or None


def _w3c_time(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
