"""Telegram web-preview backend: poll ``<base>/s/<channel>``, re-check through single-post embeds.

Polling reads the newest page, then pages backwards with ``?before=<id>`` until it
reaches the newest id already stored (``cursor["last_id"]``) or, on a channel's first
poll, ``telegram.backfill_pages`` pages. If a burst of posts is deeper than
``options.max_pages`` (default 20) pages, the unread id range is kept in
``cursor["gaps"]`` and read on the following polls, so a busy hour never loses posts.

A page that redirects away from ``<base path>/s/`` (the channel has no public preview, or does not
exist), a ``tme_no_messages_found`` page (Telegram serves it under load) or a page with
no posts at all is a :class:`CollectorError`, never "0 new posts".

Posts already stored that a fetched page shows again are returned too, marked
``text_only``: ingest records a new revision when their text differs, so an edit is
seen whenever a page shows it, not only within the re-check window.
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from sourcewatch.collectors.base import CollectorError, ItemRef
from sourcewatch.collectors.telegram.webpage import (
    TelegramPage,
    TelegramPageError,
    WebPost,
    parse_page,
)
from sourcewatch.net import FetchError, ResponseTooLarge
from sourcewatch.records import ParsedItem, PollResult, RawCapture, SourceState

if TYPE_CHECKING:
    from sourcewatch.collectors.base import CollectContext
    from sourcewatch.sources.config import SourceConfig

log = logging.getLogger(__name__)

DEFAULT_MAX_PAGES = 20
_CHANNEL = re.compile(r"^[A-Za-z0-9_]{1,64}$")


def channel_name(target: str) -> str:
    """``rybar``, ``@rybar``, ``t.me/rybar``, ``https://t.me/s/rybar`` -> ``rybar``."""
    name = target.strip()
    name = re.sub(r"^(?:https?://)?(?:www\.)?(?:t\.me|telegram\.me)/(?:s/)?", "", name)
    name = name.lstrip("@").split("/")[0].split("?")[0]
    if not _CHANNEL.match(name):
        raise ValueError(f"not a public channel username: {target!r}")
    return name


class TelegramWebBackend:
    def __init__(self, source: SourceConfig, ctx: CollectContext) -> None:
        self.source = source
        self.ctx = ctx
        try:
            self.channel = channel_name(source.target)
        except ValueError as exc:
            raise CollectorError(source.name, str(exc)) from None
        base = source.base_url or ctx.settings.telegram.web_base_url
        self.base = base.rstrip("/")
        # A mirror may serve t.me under a path ("http://mirror/tg"): a channel page is
        # then at /tg/s/<channel>, and only leaving that prefix is a redirect away.
        self.preview_path = f"{urlsplit(self.base).path}/s/"
        self.max_pages = int(source.options.get("max_pages", DEFAULT_MAX_PAGES))
        self.download_media = bool(source.options.get("download_media", True))

    # -- polling ---------------------------------------------------------------------

    async def poll(self, state: SourceState) -> PollResult:
        last_id = _int_or_none(state.cursor.get("last_id"))
        gaps = [tuple(g) for g in state.cursor.get("gaps", []) if len(g) == 2]
        result = PollResult()
        posts: dict[int, tuple[WebPost, str]] = {}
        budget = self.ctx.settings.telegram.backfill_pages if last_id is None else self.max_pages

        newest, oldest, reached, used = await self._read_back(None, last_id, budget, result, posts)
        if last_id is not None and not reached:
            gaps.append((last_id, oldest))
        remaining: list[tuple[int, int]] = []
        for after, before in gaps:
            budget_left = self.max_pages - used
            if budget_left <= 0:
                remaining.append((after, before))
                continue
            _, gap_oldest, done, pages = await self._read_back(
                before, after, budget_left, result, posts
            )
            used += pages
            if not done:
                remaining.append((after, gap_oldest))

        cursor: dict[str, Any] = {"last_id": max(filter(None, [newest, last_id]), default=None)}
        if remaining:
            cursor["gaps"] = [list(g) for g in remaining]
        for post, _sha in posts.values():
            await self._fetch_media(post, result)
        result.items = [posts[i][0].item for i in sorted(posts)]
        result.cursor = cursor
        return result

    async def _read_back(
        self,
        before: int | None,
        after: int | None,
        budget: int,
        result: PollResult,
        posts: dict[int, tuple[WebPost, str]],
    ) -> tuple[int | None, int, bool, int]:
        """Read pages from ``before`` (None: newest) back to id ``after``.

        Returns (newest id seen, oldest id seen, whether ``after`` was reached, pages read).
        """
        newest: int | None = None
        oldest = before or 0
        pages = 0
        while pages < budget:
            page, capture = await self._fetch_page(before)
            pages += 1
            result.captures.append(capture)
            for post in page.posts:
                if post.post_id in posts:
                    continue
                if after is not None and post.post_id <= after:
                    # Known already, but shown: its text may have changed (an edit made
                    # after the re-check window). Compared as text; media not re-fetched.
                    post.item.text_only = True
                    post.files.clear()
                post.item.capture_sha256s.append(capture.sha256)
                posts[post.post_id] = (post, capture.sha256)
            newest = max(filter(None, [newest, page.max_id]), default=None)
            oldest = page.min_id or oldest
            if after is not None and oldest <= after + 1:
                return newest, oldest, True, pages
            if page.before is None or page.before <= 1:
                return newest, oldest, True, pages  # no "older posts" link: the channel's start
            if before is not None and page.before >= before:
                raise CollectorError(
                    self.source.name,
                    f"paging back stalled: ?before={before} offered ?before={page.before}",
                )
            before = page.before
        return newest, oldest, after is None, pages

    async def _fetch_page(self, before: int | None) -> tuple[TelegramPage, RawCapture]:
        url = f"{self.base}/s/{self.channel}" + (f"?before={before}" if before else "")
        fetched = await self._fetch(url)
        where = f"{url} (HTTP {fetched.status})"
        if not urlsplit(fetched.url).path.startswith(self.preview_path):
            raise CollectorError(
                self.source.name,
                f"{url} redirected to {fetched.url}: the channel has no public web preview "
                "(private, restricted, or does not exist); use the telethon backend",
            )
        if not fetched.ok:
            raise CollectorError(self.source.name, f"{where}: not a channel page")
        page = self._parse(fetched.capture.body, where)
        if page.no_messages:
            raise CollectorError(
                self.source.name,
                f"{where}: Telegram answered 'no messages found' (it does so under load); "
                "not taken as an empty channel",
            )
        if not page.posts and not page.service_ids:
            raise CollectorError(self.source.name, f"{where}: no posts on the page")
        return page, fetched.capture

    # -- re-checking -------------------------------------------------------------------

    async def reread(self, items: list[ItemRef]) -> PollResult:
        result = PollResult()
        failures: list[str] = []
        for ref in items:
            try:
                item = await self._reread_one(ref, result)
            except CollectorError as exc:
                log.warning("%s", exc)
                failures.append(exc.problem)
                continue
            if item is not None:
                result.items.append(item)
        if failures and len(failures) == len(items):
            raise CollectorError(self.source.name, f"re-check failed: {failures[0]}")
        return result

    async def _reread_one(self, ref: ItemRef, result: PollResult) -> ParsedItem | None:
        if not ref.external_id.isdigit():
            raise CollectorError(self.source.name, f"item id {ref.external_id!r} is not a post id")
        url = f"{self.base}/{self.channel}/{ref.external_id}?embed=1&mode=tme"
        fetched = await self._fetch(url)
        where = f"{url} (HTTP {fetched.status})"
        if not fetched.ok or urlsplit(fetched.url).path != urlsplit(url).path:
            raise CollectorError(self.source.name, f"{where}: no embed page for the post")
        page = self._parse(fetched.capture.body, where)
        result.captures.append(fetched.capture)
        post = next((p for p in page.posts if p.post_id == int(ref.external_id)), None)
        if post is None:
            if page.error is None:
                raise CollectorError(self.source.name, f"{where}: neither the post nor an error")
            return ParsedItem(
                external_id=ref.external_id,
                url=ref.url or f"https://t.me/{self.channel}/{ref.external_id}",
                published_at=ref.published_at,
                deleted=True,
                extra={"deleted_reason": page.error},
                capture_sha256s=[fetched.capture.sha256],
            )
        post.item.capture_sha256s.append(fetched.capture.sha256)
        if not await self._fetch_media(post, result, strict=True):
            log.warning("%s: media of %s not fetched; edit check skipped", self.source.name, url)
            return None
        return post.item if post.item.content_hash() != ref.content_hash else None

    # -- media -------------------------------------------------------------------------

    async def _fetch_media(self, post: WebPost, result: PollResult, strict: bool = False) -> bool:
        """Download the post's files up to media.max_bytes; False if a transport error
        (not a deterministic outcome like "too large") left one unfetched."""
        if not self.download_media:
            return True
        cap = self.ctx.settings.media.max_bytes
        complete = True
        for index, file_url in post.files.items():
            ref = post.item.media[index]
            try:
                fetched = await self.ctx.http.fetch(
                    file_url,
                    kind="media",
                    max_bytes=cap,
                    proxy=self.source.proxy,
                    source=self.source.name,
                )
            except ResponseTooLarge as exc:
                ref.size = exc.declared_size
                ref.note = f"not fetched: larger than the media.max_bytes cap ({cap} bytes)"
                continue
            except FetchError as exc:
                ref.note = f"not fetched: {exc.problem}"
                complete = False
                continue
            if not fetched.ok:
                ref.note = f"not fetched: HTTP {fetched.status}"
                complete = complete and fetched.status in (404, 410)
                continue
            ref.sha256 = fetched.capture.sha256
            ref.size = fetched.capture.size
            ref.media_type = fetched.capture.media_type
            result.captures.append(fetched.capture)
        return complete or not strict

    # -- plumbing ----------------------------------------------------------------------

    async def _fetch(self, url: str) -> Any:
        try:
            return await self.ctx.http.fetch(url, proxy=self.source.proxy, source=self.source.name)
        except FetchError as exc:
            raise CollectorError(self.source.name, str(exc), retry_after=exc.retry_after) from exc

    def _parse(self, body: bytes, where: str) -> TelegramPage:
        try:
            return parse_page(body)
        except TelegramPageError as exc:
            raise CollectorError(self.source.name, f"{where}: {exc}") from exc


def _int_or_none(value: Any) -> int | None:
    return int(value) if isinstance(value, int | str) and str(value).isdigit() else None
