"""What ``sources check`` asks of each source beyond the watch list's own schema.

The watch list (:mod:`sourcewatch.sources.config`) checks the fields every source has;
only the collectors know their options, the shape of their targets and their
backends. Checking them up front means a typo (``fetch_artcles = true``) fails
``sources check`` rather than being ignored, or failing the source on its first poll.
Each check reuses the collector's own parser, so the check and the poll cannot disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from sourcewatch.collectors.base import CollectorError
from sourcewatch.collectors.options import read_options
from sourcewatch.sources.config import SourceConfig, SourceProblem, check_sources

# A problem: (the key it is about, the message)
Problem = tuple[str, str]

_WEB_KINDS = ("feed", "web", "wordpress")
_PROXY_SCHEMES = ("http", "https", "socks4", "socks4a", "socks5", "socks5h")
_TELEGRAM_BACKENDS = (None, "web", "telethon")


@dataclass(frozen=True)
class TelegramOptions:
    """Options of the telegram collector's two backends (web preview, Telethon)."""

    max_pages: int = 20
    download_media: bool = True
    max_messages: int = 500


@dataclass(frozen=True)
class XOptions:
    mode: str = "account"


def check_watch_list(path: Path) -> tuple[list[SourceConfig], list[SourceProblem]]:
    """``sources check``: the watch list's problems and every collector's, each with its
    file and line; the sources that passed every check."""
    return check_sources(path, extra_checks=source_problems)


def source_problems(source: SourceConfig) -> list[Problem]:
    """Every problem the collector of ``source`` would find, before any poll."""
    problems = _option_problems(source)
    problems += _target_problems(source)
    if source.proxy is not None:
        problems += [("proxy", p) for p in _proxy_problems(source.proxy)]
    return problems


def _option_problems(source: SourceConfig) -> list[Problem]:
    try:
        read_options(_options_class(source.kind), source)
    except CollectorError as exc:
        return [("options", exc.problem)]
    for name, value in source.options.items():
        if isinstance(value, int | float) and not isinstance(value, bool) and value < 0:
            return [("options", f"option {name} must not be negative, got {value!r}")]
    return []


def _options_class(kind: str) -> type:
    if kind in ("feed", "web"):
        from sourcewatch.collectors.news.feed import FeedOptions

        return FeedOptions
    if kind == "wordpress":
        from sourcewatch.collectors.wordpress.collector import WordPressOptions

        return WordPressOptions
    return TelegramOptions if kind == "telegram" else XOptions


def _target_problems(source: SourceConfig) -> list[Problem]:
    if source.kind in _WEB_KINDS:
        return [("target", p) for p in _url_problems(source.target, ("http", "https"))]
    if source.kind == "telegram":
        if source.backend not in _TELEGRAM_BACKENDS:
            return [("backend", f"telegram backend must be web or telethon: {source.backend!r}")]
        if source.backend == "telethon":
            return []
        from sourcewatch.collectors.telegram.web_backend import channel_name

        try:
            channel_name(source.target)
        except ValueError as exc:
            return [("target", str(exc))]
        return []
    from sourcewatch.collectors.x.target import parse_target

    try:
        parse_target(source)
    except CollectorError as exc:
        return [("target", exc.problem)]
    return []


def _proxy_problems(proxy: str) -> list[str]:
    return _url_problems(proxy, _PROXY_SCHEMES, need_port=True)


def _url_problems(url: str, schemes: tuple[str, ...], *, need_port: bool = False) -> list[str]:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        return [f"not a valid URL: {url!r} ({exc})"]
    if parts.scheme.lower() not in schemes:
        return [f"{url!r}: scheme must be one of {', '.join(schemes)}"]
    if not parts.hostname:
        return [f"{url!r} has no host"]
    if need_port and port is None:
        return [f"{url!r} has no port"]
    return []
