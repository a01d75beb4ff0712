"""Kind ``wordpress`` (jihadology.net): posts through the REST API, RSS when it is closed.

API mode reads ``{target}/wp-json/wp/v2/posts`` ordered by modification time,
``modified_after`` the newest change seen (less a day of slack: WordPress
compares in the site's local time), paging by ``X-WP-TotalPages``. A post whose
``modified_gmt`` differs from the one remembered in the cursor is yielded again
(ingest records the revision). Attachments linked from the body or listed by
``/wp/v2/media?parent=ID`` are downloaded under the media cap and archived.

When the API answers 401/403/404/410, HTML or a non-list, the site's RSS feed
(``{target}/feed/`` or ``options.feed_url``) is read instead, with conditional
GET and the body hash as for ``feed`` sources.

Options: ``per_page`` (20), ``max_pages`` (5), ``api_base``, ``feed_url``,
``list_media`` (true), ``download_attachments`` (true), ``max_attachments_per_post``
(30), ``max_seen`` (5000), ``lenient_xml`` (false).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, ClassVar
from urllib.parse import urlencode

from sourcewatch.collectors.attachments import Candidate, download, media_kind
from sourcewatch.collectors.base import CollectContext, CollectorError, ItemRef
from sourcewatch.collectors.news.feedparse import FeedFormatError, parse_feed
from sourcewatch.collectors.options import read_options
from sourcewatch.collectors.reread import reread_articles
from sourcewatch.collectors.webfetch import fetch_for, require_ok
from sourcewatch.collectors.wordpress.posts import (
    PostFormatError,
    WpPost,
    media_candidates,
    parse_post,
    posts_from_json,
    rss_post,
)
from sourcewatch.net import Fetched
from sourcewatch.records import Cursor, MediaRef, PollResult, RawCapture, SourceState
from sourcewatch.sources.config import SourceConfig

_API_CLOSED = frozenset({401, 403, 404, 410})
_SLACK = timedelta(days=1)


@dataclass(frozen=True)
class WordPressOptions:
    per_page: int = 20
    max_pages: int = 5
    api_base: str = ""
    feed_url: str = ""
    list_media: bool = True
    download_attachments: bool = True
    max_attachments_per_post: int = 30
    max_seen: int = 5000
    lenient_xml: bool = False


class WordPressCollector:
    kind: ClassVar[str] = "wordpress"

    async def poll(
        self, source: SourceConfig, state: SourceState, ctx: CollectContext
    ) -> PollResult:
        options = read_options(WordPressOptions, source)
        cursor = dict(state.cursor)
        captures: list[RawCapture] = []
        posts = await _api_posts(source, ctx, options, cursor, captures)
        if posts is None:
            return await _poll_rss(source, state, ctx, options, cursor, captures)
        result = await _changed_items(source, ctx, options, cursor, posts, captures, api=True)
        newest = max((p.modified for p, _ in posts if p.modified), default=None)
        if newest and newest > str(cursor.get("newest_modified_gmt", "")):
            cursor["newest_modified_gmt"] = newest
        cursor["mode"] = "api"
        result.cursor = cursor
        return result

    async def reread(
        self, source: SourceConfig, items: list[ItemRef], ctx: CollectContext
    ) -> PollResult:
        return await reread_articles(source, items, ctx)


def _api_base(source: SourceConfig, options: WordPressOptions) -> str:
    return (options.api_base or f"{source.target.rstrip('/')}/wp-json/wp/v2").rstrip("/")


async def _api_posts(
    source: SourceConfig,
    ctx: CollectContext,
    options: WordPressOptions,
    cursor: Cursor,
    captures: list[RawCapture],
) -> list[tuple[WpPost, str]] | None:
    """(post, sha256 of the page it came from) for every post returned; None if the API
    is closed."""
    params: dict[str, Any] = {"per_page": options.per_page, "orderby": "modified"}
    params["_embed"] = "author,wp:term"
    newest = cursor.get("newest_modified_gmt")
    pages = 1
    since = datetime.min
    if newest:
        since = datetime.fromisoformat(str(newest)) - _SLACK
        params.update(modified_after=since.strftime("%Y-%m-%dT%H:%M:%S"), order="asc")
        pages = options.max_pages
    else:
        params["order"] = "desc"  # first poll: the latest page only, not the whole archive
    posts: list[tuple[WpPost, str]] = []
    page = 1
    while page <= pages:
        url = f"{_api_base(source, options)}/posts?{urlencode({**params, 'page': page})}"
        fetched = await fetch_for(source, ctx, url, what="WordPress API", kind="api")
        if page == 1 and _api_closed(fetched):
            return None
        require_ok(source, fetched, "WordPress API")
        captures.append(fetched.capture)
        try:
            raw_posts = posts_from_json(fetched.json())
            posts += [(parse_post(p, i), fetched.capture.sha256) for i, p in enumerate(raw_posts)]
        except (ValueError, PostFormatError) as exc:
            raise CollectorError(source.name, f"WordPress API {url}: {exc}") from exc
        if "modified_after" in params and page == 1 and _filter_ignored(posts, since):
            # WordPress before 5.7 ignores modified_after: ascending order would then
            # walk the archive from its oldest post. Read the newest page instead.
            params.pop("modified_after")
            params["order"] = "desc"
            posts, pages = [], 1
            continue
        if newest:
            total = fetched.headers.get("x-wp-totalpages", "1").strip()
            pages = min(int(total) if total.isdigit() else 1, options.max_pages)
        page += 1
    return posts


def _filter_ignored(posts: list[tuple[WpPost, str]], since: datetime) -> bool:
    """True when the answer has posts clearly older than the filter asked for (by more
    than the time-zone slack: WordPress filters on the site's local time)."""
    limit = (since - _SLACK).strftime("%Y-%m-%dT%H:%M:%S")
    return any(p.modified and p.modified < limit for p, _ in posts)


def _api_closed(fetched: Fetched) -> bool:
    if fetched.status in _API_CLOSED:
        return True
    if not fetched.ok:
        return False
    if fetched.media_type == "text/html":
        return True
    try:
        data = fetched.json()
    except ValueError:
        return True
    return not isinstance(data, list)


async def _poll_rss(
    source: SourceConfig,
    state: SourceState,
    ctx: CollectContext,
    options: WordPressOptions,
    cursor: Cursor,
    captures: list[RawCapture],
) -> PollResult:
    feed_url = options.feed_url or f"{source.target.rstrip('/')}/feed/"
    fetched = await fetch_for(
        source,
        ctx,
        feed_url,
        what="feed (API closed)",
        etag=state.etag,
        last_modified=state.last_modified,
    )
    if fetched.not_modified:
        return PollResult(captures=captures, not_modified=True)
    require_ok(source, fetched, "feed (API closed)")
    etag, last_modified = fetched.etag, fetched.last_modified
    if fetched.capture.sha256 == state.body_sha256:
        return PollResult(
            captures=captures, not_modified=True, etag=etag, last_modified=last_modified
        )
    captures.append(fetched.capture)
    try:
        feed = parse_feed(
            fetched.body,
            url=fetched.url,
            content_type=fetched.headers.get("content-type"),
            lenient=options.lenient_xml,
            max_text_chars=ctx.settings.max_item_text_chars,
        )
    except FeedFormatError as exc:
        raise CollectorError(source.name, f"feed {feed_url} (API closed): {exc}") from exc
    posts = [(rss_post(entry), fetched.capture.sha256) for entry in feed.entries]
    result = await _changed_items(source, ctx, options, cursor, posts, captures, api=False)
    cursor.update(mode="rss", body_sha256=fetched.capture.sha256)
    result.cursor = cursor
    result.etag, result.last_modified = etag, last_modified
    result.skipped = feed.skipped  # entries the feed listed that are not items, with why
    return result


async def _changed_items(
    source: SourceConfig,
    ctx: CollectContext,
    options: WordPressOptions,
    cursor: Cursor,
    posts: list[tuple[WpPost, str]],
    captures: list[RawCapture],
    *,
    api: bool,
) -> PollResult:
    """Items for new or modified posts, with their attachments downloaded."""
    seen: dict[str, str] = dict(cursor.get("seen") or {})
    result = PollResult(captures=captures)
    for post, page_sha in posts:
        item = post.item
        if seen.get(item.external_id) == post.modified:
            continue
        candidates = list(post.attachments)
        if api and options.list_media and "wp_id" in item.extra:
            candidates += await _listed_media(source, ctx, options, item.extra["wp_id"], captures)
        item.capture_sha256s = [page_sha]
        unique = list({c.url: c for c in candidates}.values())[: options.max_attachments_per_post]
        for candidate in unique:
            if not options.download_attachments:
                ref, capture = _reference_only(candidate), None
            else:
                ref, capture = await download(source, ctx, candidate)
            item.media.append(ref)
            if capture is not None:
                captures.append(capture)
                item.capture_sha256s.append(capture.sha256)
        result.items.append(item)
        seen.pop(item.external_id, None)
        seen[item.external_id] = post.modified
    cursor["seen"] = dict(list(seen.items())[-options.max_seen :])
    return result


async def _listed_media(
    source: SourceConfig,
    ctx: CollectContext,
    options: WordPressOptions,
    post_id: int,
    captures: list[RawCapture],
) -> list[Candidate]:
    url = f"{_api_base(source, options)}/media?{urlencode({'parent': post_id, 'per_page': 100})}"
    fetched = await fetch_for(source, ctx, url, what="WordPress media listing", kind="api")
    if fetched.status in _API_CLOSED:
        return []  # listing closed on this site: the body's links are all we get
    require_ok(source, fetched, "WordPress media listing")
    captures.append(fetched.capture)
    try:
        return media_candidates(fetched.json())
    except (ValueError, PostFormatError) as exc:
        raise CollectorError(source.name, f"WordPress media listing {url}: {exc}") from exc


def _reference_only(candidate: Candidate) -> MediaRef:
    return MediaRef(
        kind=media_kind(candidate.media_type, candidate.url),
        url=candidate.url,
        name=candidate.name,
        media_type=candidate.media_type,
        size=candidate.size,
        note="not fetched: download_attachments is off",
    )
