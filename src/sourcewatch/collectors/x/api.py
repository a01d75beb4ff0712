"""X API v2 backend: an account's posts or a recent-search query, read incrementally.

Targets (``SourceConfig.target``):

* ``@handle`` (or ``handle``, or a profile URL): the account's timeline,
  ``GET /2/users/:id/tweets``. The user id is looked up once
  (``GET /2/users/by/username/:handle``) and kept in the cursor.
* ``search:<query>``, or any target with ``options = {mode = "search"}``:
  ``GET /2/tweets/search/recent`` (e.g. ``search:from:a OR from:b`` follows
  several accounts for the price of one request).

The cursor keeps ``since_id`` (the newest post seen). A poll pages backwards
with ``pagination_token``/``next_token`` until it meets ``since_id``; if it
has to stop first (page cap, budget, rate limit) it keeps the token in
``resume`` and the next poll finishes the gap before moving ``since_id``. The
first poll reads only the newest ``x.first_poll_posts`` posts.

Reads are billed, so ``budget_day``/``budget_used`` count posts read per UTC
day; at ``x.daily_read_budget`` the source stops until midnight UTC. When
``x-rate-limit-remaining`` reaches 0 (or X answers 429), the cursor records
``rate_limited_until`` (``x-rate-limit-reset``) and the source waits for it.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from sourcewatch.collectors.base import CollectorError
from sourcewatch.collectors.x.api_http import (
    TOKEN_ENV_FALLBACK,
    RateLimited,
    XApi,
    XApiStatusError,
    bearer_token,
)
from sourcewatch.collectors.x.media import download_media
from sourcewatch.collectors.x.quota import ReadBudget, wait_out_rate_limit
from sourcewatch.collectors.x.target import HANDLE, XTarget, parse_target
from sourcewatch.collectors.x.v2 import (
    XPayloadError,
    parse_v2_response,
    snowflake_time,
)
from sourcewatch.records import ParsedItem, PollResult
from sourcewatch.text.urls import x_post_url

if TYPE_CHECKING:
    from sourcewatch.collectors.base import CollectContext
    from sourcewatch.config import XSettings
    from sourcewatch.records import SourceState
    from sourcewatch.sources.config import SourceConfig

log = logging.getLogger(__name__)

FIELDS = {
    "tweet.fields": "attachments,author_id,conversation_id,created_at,edit_controls,"
    "edit_history_tweet_ids,entities,lang,note_tweet,public_metrics,referenced_tweets",
    "expansions": "attachments.media_keys,author_id,referenced_tweets.id,"
    "referenced_tweets.id.author_id,referenced_tweets.id.attachments.media_keys",
    "media.fields": "height,media_key,preview_image_url,type,url,variants,width",
    "user.fields": "name,username",
}
SEARCH_WINDOW = timedelta(days=6, hours=23)  # recent search reaches back 7 days


async def poll_api(source: SourceConfig, state: SourceState, ctx: CollectContext) -> PollResult:
    settings, xs = ctx.settings, ctx.settings.x
    target = parse_target(source)
    token = bearer_token(settings)
    if token is None:
        raise CollectorError(
            source.name,
            "no X API bearer token configured: set SOURCEWATCH_X__BEARER_TOKEN "
            f"(or {TOKEN_ENV_FALLBACK}), or disable this source",
        )
    cursor = dict(state.cursor)
    if cursor.get("stream") != target.key:  # a new or changed target starts afresh
        cursor = {"stream": target.key}
    wait_out_rate_limit(source, cursor)
    now = datetime.now(UTC)
    min_page = 10 if target.mode == "search" else 5  # X's smallest max_results
    budget = ReadBudget.open(source, cursor, xs.daily_read_budget, now, min_page)

    api = XApi(ctx.http, source, (source.base_url or xs.api_base_url).rstrip("/"), token)
    stream = await _open_stream(api, target, cursor, now, min_page)
    reading = await _read_pages(api, stream, cursor, budget, xs)
    _advance_cursor(cursor, reading, api, budget)
    if reading.stopped_by == "budget":
        log.warning(
            "[%s] daily X read budget of %d posts reached; reading stops until 00:00 UTC",
            source.name,
            budget.limit,
        )
    elif reading.stopped_by:
        log.info(
            "[%s] stopped after %d pages (%s); the next poll resumes",
            source.name,
            reading.pages,
            reading.stopped_by,
        )
    if target.mode == "account":
        _fill_author(reading.items, cursor.get("username") or target.value)
    captures = list(api.captures)
    if xs.download_media:
        captures += await download_media(
            ctx.http, settings, reading.items, source=source.name, proxy=source.proxy
        )
    return PollResult(captures=captures, items=reading.items, cursor=cursor)


@dataclass(frozen=True)
class _Stream:
    """The endpoint this source reads and how it pages."""

    path: str
    params: dict[str, str]
    token_param: str
    min_page: int


@dataclass
class _Reading:
    """How far one poll got."""

    first_poll: bool
    page_token: str | None
    newest: str | None
    items: list[ParsedItem] = field(default_factory=list)
    pages: int = 0
    finished: bool = False  # reached since_id (or the first poll's limit)
    stopped_by: str | None = None  # "budget", "rate limit", "page cap"


async def _open_stream(
    api: XApi, target: XTarget, cursor: dict[str, Any], now: datetime, min_page: int
) -> _Stream:
    params = dict(FIELDS)
    if target.mode == "account":
        path = f"/2/users/{await _user_id(api, target, cursor)}/tweets"
        token_param = "pagination_token"
    else:
        path, token_param = "/2/tweets/search/recent", "next_token"
        params["query"] = target.value
        _forget_old_since_id(cursor, now)
    since_id = cursor.get("since_id")
    if isinstance(since_id, str) and since_id.isdigit():
        params["since_id"] = since_id
    else:
        cursor.pop("since_id", None)
    return _Stream(path, params, token_param, min_page)


async def _read_pages(
    api: XApi, stream: _Stream, cursor: dict[str, Any], budget: ReadBudget, xs: XSettings
) -> _Reading:
    """Page back from the newest post to since_id, stopping early at a cap or a limit."""
    resume = cursor.get("resume") if isinstance(cursor.get("resume"), dict) else None
    reading = _Reading(
        first_poll="since_id" not in cursor and resume is None,
        page_token=_opt_str(resume.get("token")) if resume else None,
        newest=_opt_str(resume.get("newest_id")) if resume else None,
    )
    while True:
        wanted = min(xs.page_size, budget.left)
        if reading.first_poll:
            wanted = min(wanted, xs.first_poll_posts - len(reading.items))
        if wanted < stream.min_page:
            reading.finished = reading.first_poll
            reading.stopped_by = "budget" if budget.left < stream.min_page else None
            return reading
        params = {**stream.params, "max_results": str(wanted)}
        if reading.page_token:
            params[stream.token_param] = reading.page_token
        try:
            payload, capture = await api.get(stream.path, params)
        except XApiStatusError as exc:
            if exc.status != 400 or reading.pages or not reading.page_token:
                raise
            # A resume token X no longer accepts: read down to since_id from the top again.
            log.warning("[%s] X refused the saved page token; reading afresh", api.source.name)
            reading.page_token = reading.newest = None
            continue
        except RateLimited as limited:
            if reading.pages == 0:
                raise CollectorError(
                    api.source.name,
                    "X API rate limit reached (HTTP 429); waiting for the reset",
                    retry_after=max(1.0, limited.until - time.time()),
                ) from None
            api.rate_limited_until, reading.stopped_by = limited.until, "rate limit"
            return reading
        reading.pages += 1
        try:
            page_items = parse_v2_response(payload)
        except XPayloadError as exc:
            raise CollectorError(api.source.name, f"X API page of {stream.path}: {exc}") from None
        data = payload.get("data")
        budget.used += len(data) if isinstance(data, list) else int(data is not None)
        for item in page_items:
            item.capture_sha256s.append(capture.sha256)
        reading.items.extend(page_items)
        reading.newest = reading.newest or _newest_id(payload, page_items)
        next_token = _opt_str(_meta(payload).get("next_token"))
        if next_token is None:
            reading.finished = True
            return reading
        reading.page_token = next_token
        if api.rate_limited_until is not None:
            reading.stopped_by = "rate limit"
            return reading
        if reading.pages >= xs.max_pages_per_poll:
            reading.stopped_by = "page cap"
            return reading


def _advance_cursor(
    cursor: dict[str, Any], reading: _Reading, api: XApi, budget: ReadBudget
) -> None:
    since_id = cursor.get("since_id")
    if reading.finished or reading.first_poll:
        # A first poll never pages back into history: what it did not read, it skips.
        if reading.newest or since_id:
            cursor["since_id"] = reading.newest or since_id
        cursor.pop("resume", None)
    else:  # a gap between since_id and what was read: the next poll closes it first
        cursor["resume"] = {"token": reading.page_token, "newest_id": reading.newest}
    if api.rate_limited_until is not None:
        cursor["rate_limited_until"] = api.rate_limited_until
    cursor.update(budget_day=budget.day, budget_used=budget.used)


async def _user_id(api: XApi, target: XTarget, cursor: dict[str, Any]) -> str:
    cached = cursor.get("user_id")
    if isinstance(cached, str) and cached.isdigit():
        return cached
    path = f"/2/users/by/username/{quote(target.value)}"
    try:
        payload, _ = await api.get(path, {"user.fields": "name,username"})
    except RateLimited as limited:
        raise CollectorError(
            api.source.name,
            "X API rate limit reached looking up the account (HTTP 429); waiting for the reset",
            retry_after=max(1.0, limited.until - time.time()),
        ) from None
    api.rate_limited_until = None  # the lookup's limit is not the timeline's
    data = payload.get("data")
    user_id = data.get("id") if isinstance(data, dict) else None
    if not isinstance(user_id, str) or not user_id.isdigit():
        raise CollectorError(api.source.name, f"X account @{target.value} not found")
    cursor["user_id"] = user_id
    username = data.get("username") if isinstance(data, dict) else None
    if isinstance(username, str) and HANDLE.match(username):
        cursor["username"] = username
    return user_id


def _forget_old_since_id(cursor: dict[str, Any], now: datetime) -> None:
    # Recent search rejects a since_id older than its 7-day window (HTTP 400).
    since_id = cursor.get("since_id")
    created = snowflake_time(since_id) if isinstance(since_id, str) and since_id.isdigit() else None
    if created is not None and now - created > SEARCH_WINDOW:
        cursor.pop("since_id", None)
        cursor.pop("resume", None)


def _fill_author(items: list[ParsedItem], username: str) -> None:
    # A timeline's posts are the account's own; the default field set names no author.
    for item in items:
        if item.author is None:
            item.author = f"@{username}"
            item.url = x_post_url(item.external_id, username)


def _opt_str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _meta(payload: dict[str, Any]) -> dict[str, Any]:
    meta = payload.get("meta")
    return meta if isinstance(meta, dict) else {}


def _newest_id(payload: dict[str, Any], items: list[ParsedItem]) -> str | None:
    newest = _meta(payload).get("newest_id")
    if isinstance(newest, str) and newest.isdigit():
        return newest
    ids = [item.extra.get("post_id", item.external_id) for item in items]
    return max(ids, key=int) if ids else None
