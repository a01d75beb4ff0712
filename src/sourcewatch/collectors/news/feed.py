"""News sources: kind ``feed`` (target is a feed or sitemap URL) and ``web`` (target is a
site whose feed is discovered, see :mod:`sourcewatch.collectors.news.discovery`).

One poll: conditional GET of the feed (ETag/Last-Modified, and the body's
SHA-256 in ``cursor["body_sha256"]`` for servers whose validators lie), parse,
then for every entry that is new or whose feed text changed, fetch the linked
article, archive its HTML and extract it. The cursor remembers each entry's
fingerprint (bounded), so unchanged entries are not fetched again.

Options (``[sources.options]``): ``fetch_articles`` (true), ``max_articles_per_poll``
(20; the rest wait for the next poll), ``lenient_xml`` (false), ``max_age_days``
(7; sitemap entries older than this are ignored), ``max_seen`` (2000).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar
from urllib.parse import urlsplit

from sourcewatch.collectors.base import CollectContext, CollectorError, ItemRef
from sourcewatch.collectors.cpupool import ParserCrashed
from sourcewatch.collectors.formats import ImportContext, ImportFileError
from sourcewatch.collectors.news.article import Article, ArticleError, extract_article
from sourcewatch.collectors.news.discovery import discover
from sourcewatch.collectors.news.feedparse import FeedEntry, FeedFormatError, ParsedFeed, parse_feed
from sourcewatch.collectors.options import read_options
from sourcewatch.collectors.reread import recheck_articles
from sourcewatch.collectors.webfetch import fetch_for, require_ok
from sourcewatch.net import BlockedAddress, Fetched, ResponseTooLarge, TooManyRedirects
from sourcewatch.records import Cursor, ParsedItem, PollResult, RawCapture, SourceState, utcnow
from sourcewatch.sources.config import SourceConfig

# Article answers that will not change by asking again: use the feed's own text.
_PERMANENT_STATUSES = frozenset({401, 402, 403, 404, 410, 451})
_MAX_ARTICLE_TRIES = 3
# Fetch failures of an article link that asking again will not cure.
_PERMANENT_FAILURES = (ResponseTooLarge, BlockedAddress, TooManyRedirects)

_UNDATED = datetime(1970, 1, 1, tzinfo=UTC)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FeedOptions:
    fetch_articles: bool = True
    max_articles_per_poll: int = 20
    lenient_xml: bool = False
    max_age_days: float = 7.0
    max_seen: int = 2000


class FeedGone(CollectorError):
    """The feed URL no longer gives a feed (404/410, an HTML page, not XML): for a
    ``web`` source, a reason to discover the feed again."""


class FeedCollector:
    kind: ClassVar[str] = "feed"

    async def poll(
        self, source: SourceConfig, state: SourceState, ctx: CollectContext
    ) -> PollResult:
        return await poll_feed(source, state, ctx, source.target, dict(state.cursor))

    async def recheck(
        self, source: SourceConfig, items: list[ItemRef], ctx: CollectContext
    ) -> PollResult:
        return await recheck_articles(source, items, ctx)


class WebCollector(FeedCollector):
    kind: ClassVar[str] = "web"

    async def poll(
        self, source: SourceConfig, state: SourceState, ctx: CollectContext
    ) -> PollResult:
        cursor = dict(state.cursor)
        if cursor.get("feed_url"):
            try:
                return await poll_feed(source, state, ctx, cursor["feed_url"], cursor)
            except FeedGone as gone:
                # The site may have moved its feed: look again, once, in this poll.
                discovery = await discover(source, ctx)
                if discovery.url == cursor["feed_url"]:
                    raise
                log.warning("%s: feed moved to %s (%s)", source.name, discovery.url, gone)
        else:
            discovery = await discover(source, ctx)
        cursor.update(feed_url=discovery.url, feed_found_by=discovery.how)
        cursor.pop("sitemap_index", None)
        fresh = SourceState(cursor=cursor)  # a new URL: the old validators do not apply
        result = await poll_feed(source, fresh, ctx, discovery.url, cursor)
        result.captures[:0] = discovery.captures
        return result


async def poll_feed(
    source: SourceConfig, state: SourceState, ctx: CollectContext, url: str, cursor: Cursor
) -> PollResult:
    options = read_options(FeedOptions, source)
    # A sitemap index can stay byte-identical while the sitemap it points to changes:
    # its validators prove nothing, so it is always fetched and the child compared.
    is_index = bool(cursor.get("sitemap_index"))
    fetched = await fetch_for(
        source,
        ctx,
        url,
        what="feed",
        etag=None if is_index else state.etag,
        last_modified=None if is_index else state.last_modified,
        # A web source's discovered feed on another host came from fetched content.
        from_content=_host(url) != _host(source.target),
    )
    if fetched.not_modified:
        return PollResult(not_modified=True)
    if fetched.status in (404, 410):
        raise FeedGone(source.name, f"feed {fetched.url} answered HTTP {fetched.status}")
    require_ok(source, fetched, "feed")
    etag, last_modified = fetched.etag, fetched.last_modified
    if fetched.capture.sha256 == state.body_sha256:  # same bytes, whatever the validators say
        return PollResult(not_modified=True, etag=etag, last_modified=last_modified)
    captures = [fetched.capture]
    feed = await _parse(source, ctx, fetched, options)
    cursor["sitemap_index"] = feed.kind == "sitemapindex"
    if feed.kind == "sitemapindex":
        if not feed.sitemaps:
            raise FeedGone(source.name, f"sitemap index {url} lists no sitemaps")
        child = await fetch_for(source, ctx, feed.sitemaps[0], what="sitemap", from_content=True)
        require_ok(source, child, "sitemap")
        if child.capture.sha256 == state.body_sha256:
            return PollResult(not_modified=True)
        captures.append(child.capture)
        feed = await _parse(source, ctx, child, options)
    feed_sha = captures[-1].sha256
    entries = _select(source, feed, options)

    seen: dict[str, str] = dict(cursor.get("seen") or {})
    failures: dict[str, int] = dict(cursor.get("article_failures") or {})
    budget = options.max_articles_per_poll
    items: list[ParsedItem] = []
    for entry in entries:
        fingerprint = entry.fingerprint  # a hash of the entry: once per entry
        if seen.get(entry.key) == fingerprint:
            continue
        article: Article | None = None
        note: str | None = None
        shas = [feed_sha]
        if options.fetch_articles and entry.link:
            if budget <= 0:
                continue  # not marked seen: the next poll picks it up
            budget -= 1
            article, article_capture, note, permanent = await _fetch_article(source, ctx, entry)
            if article_capture is not None:
                captures.append(article_capture)
                shas.append(article_capture.sha256)
            if article is None and not permanent:
                failures[entry.key] = failures.get(entry.key, 0) + 1
                if failures[entry.key] < _MAX_ARTICLE_TRIES:
                    continue  # try again next poll before settling for the feed's text
        failures.pop(entry.key, None)
        item = entry_item(entry, article, source.language)
        item.capture_sha256s = shas
        if note:
            item.extra["article_error"] = note
        items.append(item)
        seen.pop(entry.key, None)
        seen[entry.key] = fingerprint  # re-insert: most recent last
    keep = list(seen.items())[-options.max_seen :]
    current = {e.key for e in entries}
    failures = {key: n for key, n in failures.items() if key in current}
    cursor.update(seen=dict(keep), article_failures=failures, body_sha256=feed_sha)
    return PollResult(
        captures=captures, items=items, cursor=cursor, etag=etag, last_modified=last_modified
    )


async def _parse(
    source: SourceConfig, ctx: CollectContext, fetched: Fetched, options: FeedOptions
) -> ParsedFeed:
    content_type = fetched.headers.get("content-type")
    try:
        # CPU-bound (about 70 ms for a 150 KB feed): off the event loop, so other
        # sources' requests keep moving meanwhile.
        return await ctx.cpu.run(
            parse_feed,
            fetched.body,
            url=fetched.url,
            content_type=content_type,
            lenient=options.lenient_xml,
        )
    except FeedFormatError as exc:
        raise FeedGone(source.name, f"feed {fetched.url}: {exc}") from exc
    except ParserCrashed as exc:
        raise CollectorError(source.name, f"feed {fetched.url}: {exc}") from exc


def _host(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()


def _select(source: SourceConfig, feed: ParsedFeed, options: FeedOptions) -> list[FeedEntry]:
    """Newest first; for sitemaps only recent, dated entries (a sitemap lists the archive)."""
    entries = feed.entries
    if feed.kind == "sitemap":
        oldest = utcnow() - timedelta(days=options.max_age_days)
        dated = [e for e in entries if e.published_at is not None]
        if entries and not dated:
            raise CollectorError(
                source.name, "sitemap has no dates: cannot tell new articles from the archive"
            )
        entries = [e for e in dated if e.published_at and e.published_at >= oldest]
    # Newest first so the article budget goes to the latest news; undated entries last,
    # ties in feed order (a reverse sort in Python is stable).
    return sorted(entries, key=lambda e: e.published_at or _UNDATED, reverse=True)


async def _fetch_article(
    source: SourceConfig, ctx: CollectContext, entry: FeedEntry
) -> tuple[Article | None, RawCapture | None, str | None, bool]:
    """(article, capture, problem, problem_is_permanent) for the entry's link."""
    assert entry.link is not None
    try:
        fetched = await fetch_for(source, ctx, entry.link, what="article", from_content=True)
    except CollectorError as exc:
        return None, None, exc.problem, isinstance(exc.__cause__, _PERMANENT_FAILURES)
    if not fetched.ok:
        permanent = fetched.status in _PERMANENT_STATUSES
        return None, fetched.capture, f"article answered HTTP {fetched.status}", permanent
    try:
        article = await ctx.cpu.run(extract_article, fetched.text(), fetched.url)
        return article, fetched.capture, None, False
    except ArticleError as exc:
        return None, fetched.capture, f"article {fetched.url}: {exc}", True
    except ParserCrashed as exc:
        return None, fetched.capture, f"article {fetched.url}: {exc}", False


def entry_item(
    entry: FeedEntry, article: Article | None, default_lang: str | None = None
) -> ParsedItem:
    """One ParsedItem from a feed entry and, when fetched, its article (whose own title,
    text and language win: feeds often shorten titles and carry only a teaser)."""
    extra: dict[str, Any] = {}
    if entry.categories:
        extra["categories"] = entry.categories
    if article is not None and article.url != entry.link:
        extra["canonical_url"] = article.url
    lang = (article.lang if article else None) or entry.lang or default_lang
    return ParsedItem(
        external_id=entry.key,
        url=entry.link,
        author=entry.author or (article.author if article else None),
        published_at=entry.published_at or (article.published_at if article else None),
        text=article.text if article is not None else entry.text,
        title=(article.title if article else None) or entry.title,
        lang=lang.replace("_", "-").split("-")[0].lower() if lang else None,
        media=entry.media,
        edited_at=entry.updated_at if entry.updated_at != entry.published_at else None,
        extra=extra,
    )


def parse_rss(data: bytes, ctx: ImportContext) -> list[ParsedItem]:
    """``import --format rss``: a saved RSS/Atom feed (or sitemap); items from the feed's
    own text, as the collector makes them when articles are not fetched."""
    url = ctx.url or (ctx.source.target if ctx.source else f"file:{ctx.filename}")
    try:
        feed = parse_feed(data, url=url, lenient=bool(ctx.source and _lenient(ctx.source)))
    except FeedFormatError as exc:
        raise ImportFileError(f"{ctx.filename}: {exc}") from exc
    if feed.kind == "sitemapindex":
        raise ImportFileError(f"{ctx.filename}: a sitemap index lists sitemaps, not articles")
    language = ctx.source.language if ctx.source else None
    return [entry_item(e, None, language) for e in feed.entries]


def _lenient(source: SourceConfig) -> bool:
    return source.options.get("lenient_xml") is True
