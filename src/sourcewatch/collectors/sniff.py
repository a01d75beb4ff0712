"""What an import file looks like, from its own bytes: the check behind ``import --format``.

Each format's parser is lenient in its own way (an X API page may be only ``meta``;
trafilatura finds "article text" in JSON), so a file given the wrong ``--format`` was
stored as something else, or as nothing, with exit 0: a WordPress answer imported
as ``x-json`` became an empty X page (its posts have a ``meta`` key), and
``--format html`` turned feeds and JSON into articles. :func:`sniff` names the
format the file looks like, by the shapes each format is defined by; the import
refuses a file that looks like another format than the one given. Pure, no I/O;
only the head of the file and the first JSON values are examined closely.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from sourcewatch.net.decoding import decode_body

_HEAD_BYTES = 64 * 1024
_XML_ROOTS = frozenset({"rss", "feed", "rdf", "urlset", "sitemapindex"})
_PROLOG = re.compile(r"^(\s|<\?.*?\?>|<!--.*?-->|<!DOCTYPE[^\[>]*(\[.*?\])?\s*>)*", re.S | re.I)
_ROOT = re.compile(r"<(?:[A-Za-z_][\w.\-]*:)?([A-Za-z_][\w.\-]*)")
_HTML = re.compile(r"^\s*(<!doctype\s+html|<html|<head|<body|<meta|<title)", re.I)
_TELEGRAM_MARKS = ("tgme_widget_message", "tgme_channel_info")
_TELETHON_TYPES = frozenset({"Message", "MessageService", "MessageEmpty"})
_X_KEYS = frozenset({"data", "includes", "meta", "errors"})

DESCRIPTIONS = {
    "rss": "an RSS/Atom feed or sitemap (rss)",
    "html": "an HTML page (html)",
    "telegram-html": "a saved Telegram t.me/s page (telegram-html)",
    "wp-json": "a WordPress REST answer (wp-json)",
    "x-json": "an X API v2 or syndication answer (x-json)",
    "telethon-json": "a Telethon message dump (telethon-json)",
    "jsonl": "sourcewatch JSON lines (jsonl)",
}


@dataclass(frozen=True)
class Sniffed:
    format: str | None  # a FORMATS name, or None when the file matches none of them

    @property
    def description(self) -> str:
        return DESCRIPTIONS.get(self.format or "", "nothing sourcewatch imports")


def sniff(data: bytes) -> Sniffed:
    """The import format ``data`` looks like (None: none that we know)."""
    text = decode_body(data[:_HEAD_BYTES]).text.lstrip("\ufeff")
    start = text.lstrip()[:1]
    if start == "<":
        return Sniffed(_markup_format(text))
    if start in ("[", "{"):
        return Sniffed(_json_format(data))
    return Sniffed(None)


def _markup_format(text: str) -> str | None:
    if any(mark in text for mark in _TELEGRAM_MARKS):
        return "telegram-html"
    if _HTML.match(text):
        return "html"
    body = _PROLOG.sub("", text[:8192], count=1)
    root = _ROOT.match(body.lstrip())
    if root and root.group(1).lower() in _XML_ROOTS:
        return "rss"
    if root and root.group(1).lower() in ("html", "head", "body"):
        return "html"
    return None


def _json_format(data: bytes) -> str | None:
    try:
        document = json.loads(data.decode("utf-8-sig"))
    except (ValueError, RecursionError):
        return _jsonl_format(data)
    values = document if isinstance(document, list) else [document]
    kinds = {_json_value_format(value) for value in values[:20]}
    kinds.discard(None)
    return kinds.pop() if len(kinds) == 1 else None


def _jsonl_format(data: bytes) -> str | None:
    """JSON lines: what the first non-empty line is."""
    for raw_line in data.split(b"\n")[:50]:
        if not raw_line.strip():
            continue
        try:
            value = json.loads(raw_line.decode("utf-8-sig"))
        except (ValueError, RecursionError):
            return None
        if isinstance(value, dict) and "external_id" in value:
            return "jsonl"
        return _json_value_format(value)
    return None


def _json_value_format(value: Any) -> str | None:
    if not isinstance(value, dict):
        return None
    if value.get("_") in _TELETHON_TYPES:
        return "telethon-json"
    if _wordpress_object(value):
        return "wp-json"
    if "__typename" in value or "id_str" in value or _X_KEYS & value.keys():
        return "x-json"
    if "external_id" in value:
        return "jsonl"
    return None


def _wordpress_object(value: dict[str, Any]) -> bool:
    """A WordPress REST object: rendered fields, a taxonomy, avatars, or wp-json links."""
    for key in ("title", "content", "guid", "excerpt"):
        field = value.get(key)
        if isinstance(field, dict) and "rendered" in field:
            return True
    if "taxonomy" in value or "avatar_urls" in value or "author_avatar_urls" in value:
        return True
    links = value.get("_links")
    if not isinstance(links, dict):
        return False
    self_links = str(links.get("self", ""))
    return "wp-json" in self_links or "/wp/v2/" in self_links
