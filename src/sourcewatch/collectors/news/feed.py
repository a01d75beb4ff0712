"""News sources: kind ``feed`` (target is a feed or sitemap URL) and ``web`` (target is a
site whose feed is discovered, see :mod:`sourcewatch.collectors.news.discovery`).

One poll: conditional GET of the feed (ETag/Last-Modified, and the body's
SHA-256 in ``cursor["body_sha256"]`` for servers whose validators lie), parse,
then for every entry that is new or whose feed text changed, fetch the linked
article, archive its HTML and extract it. The cursor remembers each entry's
fingerprint (bounded), so unchanged entries are not fetched again.

Options (``[sources.options]``): ``fetch_articles`` (true), ``max_articles_per_poll``
(20; the rest are stored from the feed's text at once and their articles fetched by
later polls, see :mod:`sourcewatch.collectors.news.pending`), ``article_retry_after``
(300 s, doubled at each failure), ``lenient_xml`` (false), ``max_age_days``
(7; sitemap entries older than this are ignored), ``max_seen`` (2000).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar
from urllib.parse import urlsplit

from sourcewatch.collectors.base import CollectContext, CollectorError, ItemRef
from sourcewatch.collectors.bytebudget import Claim
from sourcewatch.collectors.cpupool import BudgetBusy, ParserCrashed
from sourcewatch.collectors.formats import ImportContext, ImportFileError
from sourcewatch.collectors.news import pending
from sourcewatch.collectors.news.article import Article, ArticleError, extract_article_from
from sourcewatch.collectors.news.dates import first_plausible, plausible_or_none, url_date
from sourcewatch.collectors.news.discovery import discover
from sourcewatch.collectors.news.feedparse import FeedEntry, FeedFormatError, ParsedFeed, parse_feed
from sourcewatch.collectors.options import read_options
from sourcewatch.collectors.reread import reread_articles
from sourcewatch.collectors.webfetch import fetch_for, require_ok
from sourcewatch.net import BlockedAddress, Fetched, ResponseTooLarge, TooManyRedirects
from sourcewatch.records import Cursor, ParsedItem, PollResult, RawCapture, SourceState, utcnow
from sourcewatch.sources.config import SourceConfig
from sourcewatch.text.cut import EXTRA_KEY as TEXT_CUT

# Article answers that will not change by asking again: use the feed's own text.
_PERMANENT_STATUSES = frozenset({401, 402, 403, 404, 410, 451})
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
    article_retry_after: float = pending.DEFAULT_RETRY_AFTER


class FeedGone(CollectorError):
    """The feed URL no longer gives a feed (404/410, an HTML page, not XML): for a
    ``web`` source, a reason to discover the feed again."""


class FeedCollector:
    kind: ClassVar[str] = "feed"

    async def poll(
        self, source: SourceConfig, state: SourceState, ctx: CollectContext
    ) -> PollResult:
        return await poll_feed(source, state, ctx, source.target, dict(state.cursor))

    async def reread(
        self, source: SourceConfig, items: list[ItemRef], ctx: CollectContext
    ) -> PollResult:
        return await reread_articles(source, items, ctx)


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
    fetched, feed = await _fetch_parsed(
        source,
        ctx,
        url,
        options,
        what="feed",
        etag=None if is_index else state.etag,
        last_modified=None if is_index else state.last_modified,
        # A web source's discovered feed on another host came from fetched content.
        from_content=_host(url) != _host(source.target),
        known_sha256=state.body_sha256,
    )
    now = utcnow()
    validators: dict[str, str | None] = {}
    if not fetched.not_modified:
        validators = {"etag": fetched.etag, "last_modified": fetched.last_modified}
    if feed is None:  # not modified, or the same bytes whatever the validators say
        return await _retry_pending(source, ctx, cursor, options, now, [], validators)
    captures = [fetched.capture]
    cursor["sitemap_index"] = feed.kind == "sitemapindex"
    if feed.kind == "sitemapindex":
        if not feed.sitemaps:
            raise FeedGone(source.name, f"sitemap index {url} lists no sitemaps")
        child, child_feed = await _fetch_parsed(
            source,
            ctx,
            feed.sitemaps[0],
            options,
            what="sitemap",
            from_content=True,
            known_sha256=state.body_sha256,
        )
        if child_feed is None:
            return await _retry_pending(source, ctx, cursor, options, now, [], {})
        captures.append(child.capture)
        feed = child_feed
    feed_sha = captures[-1].sha256
    entries = _select(source, feed, options)

    seen: dict[str, str] = dict(cursor.get("seen") or {})
    waiting = pending.load(cursor)
    budget = options.max_articles_per_poll
    items: list[ParsedItem] = []
    for entry in entries:
        fingerprint = entry.fingerprint  # a hash of the entry: once per entry
        if seen.get(entry.key) == fingerprint:
            continue
        article: Article | None = None
        note: str | None = None
        shas = [feed_sha]
        owed = False  # the article is still to come: stored from the feed, kept pending
        waiting.pop(entry.key, None)  # a changed entry starts afresh
        if options.fetch_articles and entry.link:
            if budget > 0:
                budget -= 1
                article, capture, note, permanent = await _fetch_article(source, ctx, entry.link)
                if capture is not None:
                    captures.append(capture)
                    shas.append(capture.sha256)
                owed = article is None and not permanent
            else:
                owed = True
        item = entry_item(entry, article, source.language)
        item.capture_sha256s = shas
        if note and not owed:
            item.extra["article_error"] = note
        items.append(item)
        if owed:
            record = pending.PendingArticle(
                item=entry_item(entry, None, source.language), tries=0, due=now
            )
            if note is not None:
                pending.failed(record, now, options.article_retry_after)
            waiting[entry.key] = record
        seen.pop(entry.key, None)
        seen[entry.key] = fingerprint  # re-insert: most recent last
    keep = list(seen.items())[-options.max_seen :]
    cursor.update(seen=dict(keep), body_sha256=feed_sha)
    cursor.pop("article_failures", None)  # the older, feed-bound retry count
    result = await _retry_pending(
        source, ctx, cursor, options, now, items, validators, captures, waiting, budget
    )
    result.skipped.extend(feed.skipped)  # entries left out, each with its reason
    return result


async def _retry_pending(
    source: SourceConfig,
    ctx: CollectContext,
    cursor: Cursor,
    options: FeedOptions,
    now: datetime,
    items: list[ParsedItem],
    validators: dict[str, str | None],
    captures: list[RawCapture] | None = None,
    waiting: dict[str, pending.PendingArticle] | None = None,
    budget: int | None = None,
) -> PollResult:
    """Fetch the due pending articles (within what is left of the budget) and finish the
    poll's result. Runs whether or not the feed changed: entries scroll off a feed long
    before it stops changing, and an unchanged feed says nothing about its articles."""
    captures = captures if captures is not None else []
    waiting = waiting if waiting is not None else pending.load(cursor)
    budget = options.max_articles_per_poll if budget is None else budget
    fresh = {item.external_id for item in items}
    for key in pending.due(waiting, now):
        if budget <= 0 or not options.fetch_articles:
            break
        record = waiting[key]
        if key in fresh or not record.item.url:
            continue
        budget -= 1
        article, capture, note, permanent = await _fetch_article(source, ctx, record.item.url)
        if capture is not None:
            captures.append(capture)
        if article is not None:
            item = with_article(record.item, article)
            item.capture_sha256s = [capture.sha256] if capture is not None else []
            items.append(item)
            del waiting[key]
        elif permanent or not pending.failed(record, now, options.article_retry_after):
            log.warning(
                "%s: article for %s not fetched, the feed's text stands: %s", source.name, key, note
            )
            del waiting[key]
    had = bool(cursor.get("pending_articles"))
    etag, last_modified = validators.get("etag"), validators.get("last_modified")
    if not waiting and not had and not items and not captures:
        return PollResult(not_modified=True, etag=etag, last_modified=last_modified)
    cursor["pending_articles"] = pending.dump(waiting, options.max_seen)
    return PollResult(
        captures=captures,
        items=items,
        cursor=cursor,
        not_modified=not items,
        etag=etag,
        last_modified=last_modified,
    )


async def _fetch_parsed(
    source: SourceConfig,
    ctx: CollectContext,
    url: str,
    options: FeedOptions,
    *,
    what: str,
    from_content: bool,
    known_sha256: str | None,
    etag: str | None = None,
    last_modified: str | None = None,
) -> tuple[Fetched, ParsedFeed | None]:
    """The feed or sitemap at ``url`` and its parse, both within one claim on the daemon's
    byte budget (held from before the body is read to the end of its parse, and released
    before any article is fetched: a poll never waits for the budget while holding some).
    No parse (None) when the server says not modified or sends the ``known_sha256``
    bytes again. FeedGone when a feed answers 404/410; CollectorError for other non-2xx."""
    async with ctx.cpu.claim() as claim:
        fetched = await fetch_for(
            source,
            ctx,
            url,
            what=what,
            etag=etag,
            last_modified=last_modified,
            from_content=from_content,
            claim=claim,
        )
        if fetched.not_modified:
            return fetched, None
        if what == "feed" and fetched.status in (404, 410):
            raise FeedGone(source.name, f"feed {fetched.url} answered HTTP {fetched.status}")
        require_ok(source, fetched, what)
        if fetched.capture.sha256 == known_sha256:
            return fetched, None
        return fetched, await _parse(source, ctx, fetched, options, claim)


async def _parse(
    source: SourceConfig, ctx: CollectContext, fetched: Fetched, options: FeedOptions, claim: Claim
) -> ParsedFeed:
    content_type = fetched.headers.get("content-type")
    try:
        # CPU-bound (about 70 ms for a 150 KB feed): off the event loop, so other
        # sources' requests keep moving meanwhile.
        return await ctx.cpu.run_claimed(
            claim,
            len(fetched.body),
            parse_feed,
            fetched.body,
            url=fetched.url,
            content_type=content_type,
            lenient=options.lenient_xml,
            max_text_chars=ctx.settings.max_item_text_chars,
        )
    except FeedFormatError as exc:
        raise FeedGone(source.name, f"feed {fetched.url}: {exc}") from exc
    except (ParserCrashed, BudgetBusy) as exc:
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
    source: SourceConfig, ctx: CollectContext, link: str
) -> tuple[Article | None, RawCapture | None, str | None, bool]:
    """(article, capture, problem, problem_is_permanent) for an entry's link; the page is
    read and extracted within one claim on the daemon's byte budget."""
    async with ctx.cpu.claim() as claim:
        return await _fetch_article_within(source, ctx, link, claim)


async def _fetch_article_within(
    source: SourceConfig, ctx: CollectContext, link: str, claim: Claim
) -> tuple[Article | None, RawCapture | None, str | None, bool]:
    try:
        fetched = await fetch_for(source, ctx, link, what="article", from_content=True, claim=claim)
    except CollectorError as exc:
        return None, None, exc.problem, isinstance(exc.__cause__, _PERMANENT_FAILURES)
    if not fetched.ok:
        permanent = fetched.status in _PERMANENT_STATUSES
        return None, fetched.capture, f"article answered HTTP {fetched.status}", permanent
    try:
        # The bytes, decoded in the worker: a str copy of a large page is neither made
        # in the daemon nor pickled (up to 4 bytes a character) on its way there.
        article = await ctx.cpu.run_claimed(
            claim,
            len(fetched.body),
            extract_article_from,
            fetched.body,
            fetched.headers.get("content-type"),
            fetched.url,
            max_text_chars=ctx.settings.max_item_text_chars,
        )
        return article, fetched.capture, None, False
    except ArticleError as exc:
        return None, fetched.capture, f"article {fetched.url}: {exc}", True
    except (ParserCrashed, BudgetBusy) as exc:  # the article stays pending, retried later
        return None, fetched.capture, f"article {fetched.url}: {exc}", False


def entry_item(
    entry: FeedEntry, article: Article | None, default_lang: str | None = None
) -> ParsedItem:
    """One ParsedItem from a feed entry and, when fetched, its article (whose own title,
    text and language win: feeds often shorten titles and carry only a teaser)."""
    extra: dict[str, Any] = {}
    if entry.categories:
        extra["categories"] = entry.categories
    lang = entry.lang or default_lang
    published_at, published_from = entry_published(entry, None)
    if published_from:
        extra["published_from"] = published_from
    if entry.text_cut:
        extra[TEXT_CUT] = entry.text_cut
    item = ParsedItem(
        external_id=entry.key,
        url=entry.link,
        author=entry.author,
        published_at=published_at,
        text=entry.text,
        title=entry.title,
        lang=_short_lang(lang),
        media=entry.media,
        edited_at=plausible_or_none(entry.updated_at, utcnow())
        if entry.updated_at != entry.published_at
        else None,
        extra=extra,
    )
    return with_article(item, article) if article is not None else item


def with_article(item: ParsedItem, article: Article) -> ParsedItem:
    """The feed item completed by its article: the article's title, text and language
    win, and its own plausible date (see :func:`entry_published`); the feed's author
    wins over the page's."""
    extra = dict(item.extra)
    if article.url != item.url:
        extra["canonical_url"] = article.url
    published_at = item.published_at
    if article.published_at is not None:
        published_at = article.published_at
        extra["published_from"] = article.published_from
    extra.pop(TEXT_CUT, None)  # the feed's text is replaced by the article's
    if article.text_cut:
        extra[TEXT_CUT] = article.text_cut
    return replace(
        item,
        author=item.author or article.author,
        published_at=published_at,
        text=article.text,
        title=article.title or item.title,
        lang=_short_lang(article.lang) or item.lang,
        extra=extra,
        capture_sha256s=list(item.capture_sha256s),
    )


def _short_lang(lang: str | None) -> str | None:
    return lang.replace("_", "-").split("-")[0].lower() if lang else None


def entry_published(
    entry: FeedEntry, article: Article | None, now: datetime | None = None
) -> tuple[datetime | None, str | None]:
    """The item's publication date and where it came from, in the order of
    :data:`sourcewatch.collectors.news.dates.ORDER` (the article's own reading, which
    already skipped implausible dates, then the link's URL, then the feed's date)."""
    if article is not None and article.published_at is not None:
        return article.published_at, article.published_from
    candidates = [("url", url_date(entry.link)), ("feed", entry.published_at)]
    return first_plausible(candidates, now or utcnow())


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
    ctx.skipped.extend(feed.skipped)
    return [entry_item(e, None, language) for e in feed.entries]


def _lenient(source: SourceConfig) -> bool:
    return source.options.get("lenient_xml") is True
