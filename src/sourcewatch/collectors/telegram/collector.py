"""The ``telegram`` source kind: one collector, two backends, two import formats.

``source.backend`` picks how a channel is read: ``"web"`` (default; the public
``t.me/s/<channel>`` preview, no credentials) or ``"telethon"`` (an MTProto user
session; see ``sourcewatch telegram login``). Both produce the same ParsedItem shape:
``external_id`` is the message id, ``url`` ``https://t.me/<channel>/<id>``.

Import formats (``sourcewatch import FILE --format ...``) run the same parsers:
``telegram-html`` (a saved t.me/s page, embed page or message fragment) and
``telethon-json`` (a JSON list of Telethon ``Message.to_dict()`` objects).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from sourcewatch.collectors.base import CollectorError
from sourcewatch.collectors.telegram.web_backend import TelegramWebBackend, channel_name
from sourcewatch.collectors.telegram.webpage import TelegramPageError, parse_page

if TYPE_CHECKING:
    from sourcewatch.collectors.base import CollectContext, ItemRef
    from sourcewatch.collectors.formats import ImportContext
    from sourcewatch.collectors.telegram.telethon_backend import TelethonBackend
    from sourcewatch.records import ParsedItem, PollResult, SourceState
    from sourcewatch.sources.config import SourceConfig

BACKENDS = ("web", "telethon")


class TelegramCollector:
    kind: ClassVar[str] = "telegram"

    async def poll(
        self, source: SourceConfig, state: SourceState, ctx: CollectContext
    ) -> PollResult:
        return await backend_for(source, ctx).poll(state)

    async def reread(
        self, source: SourceConfig, items: list[ItemRef], ctx: CollectContext
    ) -> PollResult:
        return await backend_for(source, ctx).reread(items)


def backend_for(source: SourceConfig, ctx: CollectContext) -> TelegramWebBackend | TelethonBackend:
    name = (source.backend or "web").lower()
    if name == "web":
        return TelegramWebBackend(source, ctx)
    if name == "telethon":
        from sourcewatch.collectors.telegram.telethon_backend import TelethonBackend

        return TelethonBackend(source, ctx)
    raise CollectorError(source.name, f"unknown telegram backend {name!r}; use one of {BACKENDS}")


def parse_telegram_html(data: bytes, ctx: ImportContext) -> list[ParsedItem]:
    """``--format telegram-html``: the posts of a saved t.me/s page or embed page."""
    from sourcewatch.collectors.formats import ImportFileError

    try:
        page = parse_page(data)
    except TelegramPageError as exc:
        raise ImportFileError(f"{ctx.filename}: {exc}") from exc
    if page.no_messages:
        raise ImportFileError(f"{ctx.filename}: a 'no messages found' page, not channel posts")
    if not page.posts:
        said = f" (the page says {page.error!r})" if page.error else ""
        raise ImportFileError(f"{ctx.filename}: no Telegram posts found{said}")
    _check_channel(ctx, page.channel)
    return [post.item for post in page.posts]


def parse_telethon_json(data: bytes, ctx: ImportContext) -> list[ParsedItem]:
    """``--format telethon-json``: a JSON list of Telethon ``Message.to_dict()`` objects."""
    from sourcewatch.collectors.formats import ImportFileError
    from sourcewatch.collectors.telegram.telethon_items import (
        TelethonDumpError,
        dump_channel_ids,
        load_dump,
        messages_to_items,
    )

    channel = None
    if ctx.source is not None and ctx.source.kind == "telegram":
        channel = _try_channel(ctx.source.target)
    try:
        messages = load_dump(data)
        _check_dump_channel(ctx, dump_channel_ids(messages))
        return messages_to_items(messages, channel)
    except TelethonDumpError as exc:
        raise ImportFileError(f"{ctx.filename}: {exc}") from exc


def _check_dump_channel(ctx: ImportContext, channel_ids: set[int]) -> None:
    """A dump names its channel only by numeric id: it must be the source's channel.

    The source's id is ``options.channel_id`` in the watch list, else the id the
    telethon backend resolved on a poll (kept in the cursor). When neither is known
    the dump is refused rather than guessed: ids of two channels would collide.
    """
    from sourcewatch.collectors.formats import ImportFileError
    from sourcewatch.collectors.telegram.telethon_items import TelethonDumpError

    if len(channel_ids) > 1:
        raise TelethonDumpError(
            f"messages of {len(channel_ids)} channels (ids {sorted(channel_ids)}); "
            "a source is one channel"
        )
    if ctx.source is None or ctx.source.kind != "telegram":
        return
    expected = known_channel_id(ctx)
    if not channel_ids:
        raise TelethonDumpError("no message names its channel (peer_id.channel_id)")
    (found,) = channel_ids
    if expected is None:
        raise ImportFileError(
            f"{ctx.filename}: messages of channel id {found}, and source "
            f"{ctx.source.name!r} (@{_try_channel(ctx.source.target)}) has no known channel "
            f"id to check it against; set options.channel_id = {found} on the source if "
            "that is its channel, or poll it once with the telethon backend"
        )
    if expected != found:
        raise ImportFileError(
            f"{ctx.filename}: messages of channel id {found}, but source "
            f"{ctx.source.name!r} watches channel id {expected}; message ids would collide"
        )


def known_channel_id(ctx: ImportContext) -> int | None:
    """The source's channel id: ``options.channel_id``, else the telethon cursor's."""
    assert ctx.source is not None
    configured = ctx.source.options.get("channel_id")
    if isinstance(configured, int) and not isinstance(configured, bool):
        return configured
    if isinstance(configured, str) and configured.strip().isdigit():
        return int(configured)
    entity = (ctx.state.cursor.get("entity") if ctx.state else None) or {}
    resolved = entity.get("channel_id") if isinstance(entity, dict) else None
    return resolved if isinstance(resolved, int) else None


def _check_channel(ctx: ImportContext, channel: str | None) -> None:
    from sourcewatch.collectors.formats import ImportFileError

    if ctx.source is None or ctx.source.kind != "telegram" or channel is None:
        return
    expected = _try_channel(ctx.source.target)
    if expected is not None and expected.lower() != channel.lower():
        raise ImportFileError(
            f"{ctx.filename}: posts of @{channel}, but source {ctx.source.name!r} "
            f"watches @{expected}; message ids would collide"
        )


def _try_channel(target: str) -> str | None:
    try:
        return channel_name(target)
    except ValueError:
        return None
