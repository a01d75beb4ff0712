"""Telegram through Telethon (an MTProto user session), for channels the web preview cannot read.

Needs ``telegram.api_id``, ``telegram.api_hash`` and a session: ``telegram.session``
(a StringSession, e.g. from ``SOURCEWATCH_TELEGRAM__SESSION``) or ``telegram.session_file``
(outside the repo); ``sourcewatch telegram login`` creates either.

Resolving a username costs an API call that Telegram rate-limits hard (hours-long flood
waits), so the resolved channel (id + access_hash) is kept in the source's cursor
(``cursor["entity"]``; collectors never touch the database, ingest stores the cursor)
and, for rechecks, which get no cursor, in a per-process cache.
A ``FloodWaitError`` is waited out while the total wait stays under
``telegram.flood_wait_cap_seconds``; a longer one fails the poll with ``retry_after``.

The client comes from :func:`make_client` (``client_factory`` in tests): only
``connect``, ``disconnect``, ``is_user_authorized``, ``get_input_entity``,
``iter_messages``, ``get_messages`` and ``download_media`` are used.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from telethon.errors import FloodWaitError, RPCError
from telethon.tl.types import InputPeerChannel

from sourcewatch.collectors.base import CollectorError, ItemRef
from sourcewatch.collectors.telegram.telethon_items import media_ref, messages_to_items
from sourcewatch.collectors.telegram.web_backend import channel_name
from sourcewatch.records import ParsedItem, PollResult, RawCapture, SourceState

if TYPE_CHECKING:
    from sourcewatch.collectors.base import CollectContext
    from sourcewatch.config import TelegramSettings
    from sourcewatch.sources.config import SourceConfig

PAGE_SIZE = 20  # a t.me/s page holds about as many posts; backfill_pages counts in these
DEFAULT_MAX_MESSAGES = 500
ALBUM_LOOKAHEAD = 10  # Telegram albums have at most 10 members
_DOWNLOADABLE = ("photo", "video", "document", "audio")
# Resolved channels of this process, for rechecks (which get no cursor): target -> entity.
_RESOLVED: dict[str, dict[str, Any]] = {}


def make_client(settings: TelegramSettings) -> Any:
    from telethon import TelegramClient
    from telethon.sessions import StringSession

    assert settings.api_id is not None and settings.api_hash is not None
    if settings.session is not None:
        session: Any = StringSession(settings.session.get_secret_value())
    else:
        session = str(settings.session_file)
    client = TelegramClient(session, settings.api_id, settings.api_hash.get_secret_value())
    client.flood_sleep_threshold = 0  # every flood wait comes to us, to apply our cap
    return client


def missing_settings(settings: TelegramSettings) -> list[str]:
    missing = [name for name in ("api_id", "api_hash") if getattr(settings, name) is None]
    if settings.session is None and settings.session_file is None:
        missing.append("session or session_file")
    return missing


class TelethonBackend:
    def __init__(
        self,
        source: SourceConfig,
        ctx: CollectContext,
        client_factory: Callable[[TelegramSettings], Any] | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.source = source
        self.settings = ctx.settings
        missing = missing_settings(ctx.settings.telegram)
        if missing and client_factory is None:
            raise CollectorError(
                source.name,
                f"the telethon backend needs telegram.{', telegram.'.join(missing)} "
                "(run `sourcewatch telegram login`)",
            )
        self.factory = client_factory or make_client
        self.sleep = sleep
        try:
            self.channel: str | None = channel_name(source.target)
        except ValueError:
            self.channel = None  # a numeric channel id: links use t.me/c/<id>/<msg>
        self.max_messages = int(source.options.get("max_messages", DEFAULT_MAX_MESSAGES))

    async def poll(self, state: SourceState) -> PollResult:
        cursor = dict(state.cursor)
        async with self._session() as client:
            entity = await self._entity(client, cursor)
            last_id = cursor.get("last_id")
            if isinstance(last_id, int):
                limit = self.max_messages
                messages = await self._call(
                    lambda: _collect(
                        client.iter_messages(entity, min_id=last_id, reverse=True, limit=limit)
                    )
                )
                messages = _hold_back_open_album(messages, limit)
            else:
                limit = self.settings.telegram.backfill_pages * PAGE_SIZE
                messages = await self._call(
                    lambda: _collect(client.iter_messages(entity, limit=limit))
                )
            result = PollResult()
            result.items = await self._items(client, messages, result)
        ids = [m.id for m in messages]
        cursor["last_id"] = max([*ids, last_id if isinstance(last_id, int) else 0]) or None
        result.cursor = cursor
        return result

    async def reread(self, refs: list[ItemRef]) -> PollResult:
        result = PollResult(cursor=None)
        wanted = [ref for ref in refs if ref.external_id.isdigit()]
        if not wanted:
            return result
        async with self._session() as client:
            entity = await self._entity(client, {})
            ids = [int(ref.external_id) for ref in wanted]
            found = await self._call(lambda: client.get_messages(entity, ids=ids))
            for ref, message in zip(wanted, found, strict=True):
                if message is None or type(message).__name__ == "MessageEmpty":
                    result.items.append(_tombstone(ref))
                    continue
                if getattr(message, "edit_date", None) is None:
                    continue  # never edited: the content cannot have changed
                members = [message]
                if getattr(message, "grouped_id", None):
                    span = list(range(message.id, message.id + ALBUM_LOOKAHEAD))
                    around = await self._call(
                        functools.partial(client.get_messages, entity, ids=span)
                    )
                    members = [m for m in around if m and m.grouped_id == message.grouped_id]
                for item in await self._items(client, members, result):
                    if (
                        item.external_id == ref.external_id
                        and item.content_hash() != ref.content_hash
                    ):
                        result.items.append(item)
        return result

    async def _items(
        self, client: Any, messages: list[Any], result: PollResult
    ) -> list[ParsedItem]:
        dicts = []
        for message in messages:
            data = message.to_dict()
            forward_chat = getattr(getattr(message, "forward", None), "chat", None)
            forward_username = getattr(forward_chat, "username", None)
            if data.get("fwd_from") and forward_username:
                data["fwd_from"]["from_username"] = forward_username
            dicts.append(data)
        items = messages_to_items(dicts, self.channel)
        by_id = {m.id: m for m in messages}
        for item in items:
            ids = item.extra.get("album") or [int(item.external_id)]
            with_media = [by_id[i] for i in ids if i in by_id and getattr(by_id[i], "media", None)]
            for ref, message in zip(item.media, with_media, strict=False):
                if ref.kind in _DOWNLOADABLE:
                    await self._download(client, message, ref, result)
        return items

    async def _download(self, client: Any, message: Any, ref: Any, result: PollResult) -> None:
        cap = self.settings.media.max_bytes
        if ref.size is not None and ref.size > cap:
            ref.note = f"not fetched: {ref.size} bytes is over the media.max_bytes cap ({cap})"
            return
        data = await self._call(lambda: client.download_media(message, file=bytes))
        if not isinstance(data, bytes):
            ref.note = "not fetched: Telegram returned no file"
            return
        if len(data) > cap:
            ref.note = f"not fetched: {len(data)} bytes is over the media.max_bytes cap ({cap})"
            return
        capture = RawCapture(url=ref.url or "", body=data, kind="media", media_type=ref.media_type)
        ref.sha256, ref.size = capture.sha256, capture.size
        result.captures.append(capture)

    async def _entity(self, client: Any, cursor: dict[str, Any]) -> Any:
        cached = cursor.get("entity")
        if not (isinstance(cached, dict) and cached.get("target") == self.source.target):
            cached = _RESOLVED.get(self.source.target)  # rechecks get no cursor
        if isinstance(cached, dict):
            cursor["entity"] = cached
            _RESOLVED[self.source.target] = cached
            return InputPeerChannel(int(cached["channel_id"]), int(cached["access_hash"]))
        target: Any = self.source.target
        if target.lstrip("-").isdigit():
            target = int(target)
        entity = await self._call(lambda: client.get_input_entity(target))
        if not isinstance(entity, InputPeerChannel):
            raise CollectorError(self.source.name, f"{self.source.target!r} is not a channel")
        cursor["entity"] = _RESOLVED[self.source.target] = {
            "target": self.source.target,
            "channel_id": entity.channel_id,
            "access_hash": entity.access_hash,
        }
        return entity

    async def _call(self, call: Callable[[], Awaitable[Any]]) -> Any:
        cap = self.settings.telegram.flood_wait_cap_seconds
        waited = 0.0
        while True:
            try:
                return await call()
            except FloodWaitError as exc:
                if waited + exc.seconds > cap:
                    raise CollectorError(
                        self.source.name,
                        f"Telegram asks to wait {exc.seconds}s (flood wait); over "
                        f"telegram.flood_wait_cap_seconds={cap:g}, backing off",
                        retry_after=float(exc.seconds),
                    ) from exc
                await self.sleep(exc.seconds)
                waited += exc.seconds
            except RPCError as exc:
                raise CollectorError(self.source.name, f"Telegram refused: {exc}") from exc
            except (OSError, ConnectionError) as exc:
                raise CollectorError(self.source.name, f"cannot reach Telegram: {exc}") from exc

    def _session(self) -> _Session:
        return _Session(self, self.factory(self.settings.telegram))


class _Session:
    def __init__(self, backend: TelethonBackend, client: Any) -> None:
        self.backend, self.client = backend, client

    async def __aenter__(self) -> Any:
        await self.backend._call(self.client.connect)
        if not await self.backend._call(self.client.is_user_authorized):
            await self.client.disconnect()
            raise CollectorError(
                self.backend.source.name,
                "the Telegram session is not logged in (run `sourcewatch telegram login`)",
            )
        return self.client

    async def __aexit__(self, *exc_info: object) -> None:
        await self.client.disconnect()


async def _collect(iterator: Any) -> list[Any]:
    return [message async for message in iterator]


def _hold_back_open_album(messages: list[Any], limit: int) -> list[Any]:
    """With a full batch, the last album may continue past it: leave it for the next poll."""
    if len(messages) < limit or not messages or not getattr(messages[-1], "grouped_id", None):
        return messages
    group = messages[-1].grouped_id
    kept = [m for m in messages if getattr(m, "grouped_id", None) != group]
    return kept or messages


def _tombstone(ref: ItemRef) -> ParsedItem:
    return ParsedItem(
        external_id=ref.external_id,
        url=ref.url,
        published_at=ref.published_at,
        deleted=True,
        extra={"deleted_reason": "message no longer exists"},
    )


__all__ = ["TelethonBackend", "make_client", "media_ref", "missing_settings"]
