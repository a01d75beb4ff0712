"""The registry of collectors and import formats.

A new source kind is one new module plus one line in ``COLLECTORS``; a new
import format is one line in ``FORMATS``. Entries are "module:attribute"
strings so that importing the registry does not import every collector.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from sourcewatch.collectors.base import Collector, CollectorError
from sourcewatch.errors import InvalidInput

# kind -> "module:Class" implementing Collector
COLLECTORS: dict[str, str] = {
    "telegram": "sourcewatch.collectors.telegram.collector:TelegramCollector",
    "x": "sourcewatch.collectors.x.collector:XCollector",
    "feed": "sourcewatch.collectors.news.feed:FeedCollector",
    "web": "sourcewatch.collectors.news.feed:WebCollector",
    "wordpress": "sourcewatch.collectors.wordpress.collector:WordPressCollector",
}

# import --format name -> "module:function" with the signature of ImportParser
# (sourcewatch.collectors.formats): (data: bytes, ctx: ImportContext) -> list[ParsedItem]
FORMATS: dict[str, str] = {
    "jsonl": "sourcewatch.collectors.formats:parse_jsonl",
    "telegram-html": "sourcewatch.collectors.telegram.collector:parse_telegram_html",
    "telethon-json": "sourcewatch.collectors.telegram.collector:parse_telethon_json",
    "x-json": "sourcewatch.collectors.x.collector:parse_x_json",
    "rss": "sourcewatch.collectors.news.feed:parse_rss",
    "html": "sourcewatch.collectors.news.article:parse_html",
    "wp-json": "sourcewatch.collectors.wordpress.posts:parse_wp_json",
}

# Formats that can also be read one item at a time, when the file is a JSON array:
# name -> "module:function" (stream: BinaryIO, ctx: ImportContext) -> Iterator[ParsedItem].
# JSON lines are always streamed (collectors/formats.py). The others need the whole file
# (telethon-json merges albums across it, x-json keeps each post's newest version).
STREAMED_FORMATS: dict[str, str] = {
    "wp-json": "sourcewatch.collectors.wordpress.posts:iter_wp_json",
}


def _load(spec: str) -> Any:
    module_name, _, attribute = spec.partition(":")
    return getattr(importlib.import_module(module_name), attribute)


def get_collector(kind: str) -> Collector:
    try:
        spec = COLLECTORS[kind]
    except KeyError:
        raise CollectorError(kind, f"no collector for source kind {kind!r} yet") from None
    collector: Collector = _load(spec)()
    return collector


def get_format(name: str) -> Callable[..., Any]:
    try:
        spec = FORMATS[name]
    except KeyError:
        known = ", ".join(sorted(FORMATS))
        raise InvalidInput(f"unknown import format {name!r}; known: {known}") from None
    parse: Callable[..., Any] = _load(spec)
    return parse


def get_streamed_format(name: str) -> Callable[..., Any] | None:
    """The one-item-at-a-time parser of format ``name``, if it has one."""
    spec = STREAMED_FORMATS.get(name)
    return _load(spec) if spec is not None else None


__all__ = [
    "COLLECTORS",
    "FORMATS",
    "STREAMED_FORMATS",
    "Collector",
    "CollectorError",
    "get_collector",
    "get_format",
    "get_streamed_format",
]
