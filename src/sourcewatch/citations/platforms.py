"""Capture one cited URL the way its platform is best read.

* ``telegram``: the post's embed page ``<telegram.web_base_url>/<ch>/<id>?embed=1&mode=tme``
  parsed with the t.me parser, its photos/videos downloaded under the media cap;
  "Post not found" is a deletion.
* ``x``: :func:`capture_x_post` (syndication JSON, oEmbed fallback, media); a
  tombstone or a confirmed 404 is a deletion. It fetches only the configured X
  endpoints, never a host taken from the footnote.
* ``jihadology``: the post page, its article text, and its attachments (PDF,
  audio, video) downloaded through the WordPress collector's attachment code.
* a ``t.me/c/<channel id>/<n>`` link: captured as ``t.me/<name>/<n>`` when the channel's
  public name is known (see :mod:`.privatelinks`; the caller rewrites it), else not
  fetched at all and ``blocked`` (only members can open such a link).
* ``web`` (and a t.me channel or an X profile, which are not posts): the page, and its
  article text when it has one.

Every fetch of a host named by the footnote goes through the address guard.
Every answer is archived, whatever it says; its status follows :mod:`.status`
(404/410 ``deleted``, 401/403/451 ``blocked``, 5xx and the rest ``unreachable``), and a
2xx page that is a login wall, a challenge or a geoblock is ``blocked`` (:mod:`.walls`).
A t.me embed's error is ``deleted`` only for "Post not found".
Only a ``deleted`` answer marks the cited item deleted.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from lxml import html as lxml_html

from sourcewatch.citations.privatelinks import private_post
from sourcewatch.citations.status import (
    BLOCKED,
    DELETED,
    LIVE,
    UNREACHABLE,
    failure,
    http_status,
)
from sourcewatch.citations.walls import telegram_error_status, wall_reason
from sourcewatch.collectors.attachments import Candidate, download, is_attachment_link
from sourcewatch.collectors.base import CollectContext, CollectorError
from sourcewatch.collectors.news.article import ArticleError, article_item, extract_article
from sourcewatch.collectors.telegram.webpage import TelegramPageError, parse_page
from sourcewatch.collectors.x.syndication import capture_x_post
from sourcewatch.net import FetchError
from sourcewatch.records import ParsedItem, PollResult, RawCapture
from sourcewatch.sources.config import SourceConfig
from sourcewatch.text.urls import telegram_post, x_status_id

if TYPE_CHECKING:
    from sourcewatch.config import Settings
    from sourcewatch.net import Fetched, Http

MAX_ATTACHMENTS = 20


class CaptureFailed(Exception):
    """No citable answer arrived, for a reason that is not a FetchError (an unusable page,
    X endpoints that both failed). ``status`` is ``unreachable`` or ``blocked``."""

    def __init__(self, reason: str, *, status: str = UNREACHABLE) -> None:
        super().__init__(reason)
        self.status = status


@dataclass
class Captured:
    """What one capture produced: the archive material and what it says about the URL."""

    primary: RawCapture  # the response that answers "what did this URL say"
    result: PollResult = field(default_factory=PollResult)
    status: str = LIVE  # see .status: live, deleted, blocked or unreachable
    note: str | None = None  # the raw reason when not live, or what was left out


async def capture(
    http: Http, settings: Settings, kind: str, canonical: str, source: SourceConfig
) -> Captured:
    """Capture ``canonical`` now. Raises FetchError (network, guard, caps) or CaptureFailed."""
    if kind == "telegram" and telegram_post(canonical) is not None:
        return await _telegram(http, settings, canonical, source)
    if kind == "telegram" and private_post(canonical) is not None:
        raise CaptureFailed(
            "t.me/c/ link: only members of the channel can open it, and no public name "
            "of the channel is known",
            status=BLOCKED,
        )
    if kind == "x" and x_status_id(canonical) is not None:
        return await _x(http, settings, canonical, source)
    return await _page(http, settings, canonical, source, attachments=kind == "jihadology")


async def _get(http: Http, url: str, source: SourceConfig, *, kind: str = "snapshot") -> Fetched:
    return await http.fetch(url, kind=kind, guard_private=True, source=source.name)


async def _telegram(
    http: Http, settings: Settings, canonical: str, source: SourceConfig
) -> Captured:
    channel, post_id = telegram_post(canonical) or ("", 0)
    base = settings.telegram.web_base_url.rstrip("/")
    fetched = await _get(http, f"{base}/{channel}/{post_id}?embed=1&mode=tme", source)
    done = Captured(primary=fetched.capture, result=PollResult(captures=[fetched.capture]))
    if not fetched.ok:
        return _answered(done, canonical, f"t.me embed answered HTTP {fetched.status}")
    try:
        page = parse_page(fetched.body)
    except TelegramPageError as exc:
        raise CaptureFailed(f"t.me embed page unusable: {exc}") from exc
    post = next((p for p in page.posts if p.post_id == post_id), None)
    if post is None:
        if page.error:  # t.me's own words: "Post not found", or why it withholds the post
            status = telegram_error_status(page.error)
            if status == DELETED:
                return _dead(done, canonical, page.error)
            done.status, done.note = status, f"t.me: {page.error}"
            return done
        raise CaptureFailed("t.me embed page holds no post and no error")
    item = post.item
    item.external_id = canonical
    item.capture_sha256s = [fetched.capture.sha256]
    for index, file_url in post.files.items():
        try:
            media = await http.fetch(
                file_url,
                kind="media",
                guard_private=True,
                max_bytes=settings.media.max_bytes,
                source=source.name,
            )
        except FetchError as exc:
            item.media[index].note = f"not fetched: {exc.problem}"
            continue
        if media.ok:
            done.result.captures.append(media.capture)
            item.media[index].sha256 = media.capture.sha256
            item.media[index].size = media.capture.size
            item.capture_sha256s.append(media.capture.sha256)
    done.result.items = [item]
    return done


async def _x(http: Http, settings: Settings, canonical: str, source: SourceConfig) -> Captured:
    try:
        result = await capture_x_post(http, settings, canonical, source=source.name)
    except CollectorError as exc:
        if isinstance(exc.__cause__, FetchError):
            status, why = failure(exc.__cause__)
            raise CaptureFailed(f"{exc.problem} ({why})", status=status) from exc
        blocked = "HTTP 403" in exc.problem or "not public" in exc.problem
        raise CaptureFailed(exc.problem, status=BLOCKED if blocked else UNREACHABLE) from exc
    if not result.captures:
        raise CaptureFailed("X post: no answer was archived")
    item = result.items[0]
    item.external_id = canonical
    done = Captured(primary=result.captures[0], result=result)
    if item.deleted:  # a tombstone, or the X endpoints' 404
        done.status = DELETED
        done.note = str(item.extra.get("unavailable") or "deleted")
    return done


async def _page(
    http: Http, settings: Settings, canonical: str, source: SourceConfig, *, attachments: bool
) -> Captured:
    fetched = await _get(http, canonical, source)
    done = Captured(primary=fetched.capture, result=PollResult(captures=[fetched.capture]))
    if not fetched.ok:
        return _answered(done, canonical, f"HTTP {fetched.status}")
    if (fetched.media_type or "text/html") not in ("text/html", "application/xhtml+xml"):
        return done  # a PDF, an image: the bytes are the citation
    html = fetched.text()
    wall = wall_reason(canonical, fetched.url, html)
    if wall is not None:  # a login wall, a challenge or a geoblock served with 200
        done.status, done.note = BLOCKED, wall
        return done
    try:
        # trafilatura is CPU-bound: keep the event loop free for the other snapshots
        article = await asyncio.to_thread(extract_article, html, fetched.url)
    except ArticleError as exc:
        done.note = f"no article text: {exc}"
        return done
    item = article_item(article, external_id=canonical)
    item.capture_sha256s = [fetched.capture.sha256]
    if attachments:
        context = CollectContext(settings=settings, http=http)
        for link in _attachment_links(html, fetched.url)[:MAX_ATTACHMENTS]:
            ref, stored = await download(source, context, Candidate(url=link))
            item.media.append(ref)
            if stored is not None:
                done.result.captures.append(stored)
                item.capture_sha256s.append(stored.sha256)
    done.result.items = [item]
    return done


def _answered(done: Captured, canonical: str, why: str) -> Captured:
    """A non-2xx answer: archived, its status from the code; only 404/410 is a deletion."""
    done.status = http_status(done.primary.status)
    if done.status == LIVE:  # a 3xx left over (redirects exhausted upstream): not citable
        done.status = UNREACHABLE
    if done.status == DELETED:
        return _dead(done, canonical, why)
    done.note = why
    return done


def _dead(done: Captured, canonical: str, why: str) -> Captured:
    """The platform said the post is gone: the item is recorded as deleted."""
    done.status = DELETED
    done.note = why
    done.result.items = [
        ParsedItem(
            external_id=canonical,
            url=canonical,
            deleted=True,
            extra={"unavailable": why},
            capture_sha256s=[done.primary.sha256],
        )
    ]
    return done


def _attachment_links(html: str, base_url: str) -> list[str]:
    try:
        # An HtmlElement (lxml-stubs types document_fromstring's result as a bare _Element).
        tree: lxml_html.HtmlElement = lxml_html.document_fromstring(html)
    except (ValueError, lxml_html.etree.ParserError):
        return []
    tree.make_links_absolute(base_url, resolve_base_href=True)
    links = [a.get("href", "") for a in tree.iter("a")]
    wanted = [href for href in links if href.startswith(("http://", "https://"))]
    return list(dict.fromkeys(h for h in wanted if is_attachment_link(h)))
