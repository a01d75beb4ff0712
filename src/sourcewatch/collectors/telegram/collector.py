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

    async def recheck(
        self, source: SourceConfig, items: list[ItemRef], ctx: CollectContext
    ) -> PollResult:
        return await backend_for(source, ctx).recheck(items)


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
        items_from_dump,
    )

    channel = None
    if ctx.source is not None and ctx.source.kind == "telegram":
        channel = _try_channel(ctx.source.target)
    try:
        return items_from_dump(data, channel)
    except TelethonDumpError as exc:
        raise ImportFileError(f"{ctx.filename}: {exc}") from exc


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
