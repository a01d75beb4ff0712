"""The Telethon backend, with real ``telethon.tl.types`` objects behind a fake client.

The fake stands in for ``TelegramClient`` at the iter_messages/get_messages boundary;
no network. The recorded ``Message.to_dict()`` dumps go through the same parser.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from telethon.errors import FloodWaitError
from telethon.tl import types

from sourcewatch.collectors.base import CollectContext, CollectorError, ItemRef, SourceState
from sourcewatch.collectors.telegram import telethon_backend as telegram_telethon
from sourcewatch.collectors.telegram.telethon_backend import TelethonBackend
from sourcewatch.collectors.telegram.telethon_items import items_from_dump
from sourcewatch.config import MediaSettings, Settings, TelegramSettings
from sourcewatch.sources.config import SourceConfig

FIXTURES = Path(__file__).parent / "fixtures" / "telegram"
CHANNEL = types.PeerChannel(1088459257)
WHEN = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _no_resolved_channels(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(telegram_telethon, "_RESOLVED", {})


def message(msg_id: int, text: str = "", **fields: Any) -> types.Message:
    return types.Message(id=msg_id, peer_id=CHANNEL, date=WHEN, message=text, post=True, **fields)


def photo(photo_id: int, size: int = 111_387) -> types.MessageMediaPhoto:
    sizes = [types.PhotoSize(type="x", w=800, h=600, size=size)]
    return types.MessageMediaPhoto(
        photo=types.Photo(photo_id, 1, b"ref", WHEN, sizes, dc_id=2), ttl_seconds=None
    )


def video(size: int) -> types.MessageMediaDocument:
    attributes = [
        types.DocumentAttributeVideo(duration=32, w=464, h=848),
        types.DocumentAttributeFilename(file_name="IMG_1627.MP4"),
    ]
    document = types.Document(7, 1, b"ref", WHEN, "video/mp4", size, dc_id=2, attributes=attributes)
    return types.MessageMediaDocument(document=document)


def channel_messages() -> list[Any]:
    return [
        message(100, "старый пост"),
        message(
            101,
            "Подробнее здесь и там",
            entities=[types.MessageEntityTextUrl(offset=10, length=5, url="https://example.org/a")],
            views=5123,
            reactions=types.MessageReactions(
                results=[types.ReactionCount(types.ReactionEmoji("👍"), 42)]
            ),
        ),
        message(
            102,
            "переслано",
            fwd_from=types.MessageFwdHeader(
                date=WHEN, from_id=types.PeerChannel(555), channel_post=77
            ),
        ),
        message(103, "альбом", media=photo(1), grouped_id=9001, edit_date=WHEN),
        message(104, "", media=photo(2), grouped_id=9001),
        types.MessageService(
            id=105,
            peer_id=CHANNEL,
            date=WHEN,
            action=types.MessageActionPinMessage(),
            reply_to=types.MessageReplyHeader(reply_to_msg_id=101),
        ),
        message(106, "ответ", reply_to=types.MessageReplyHeader(reply_to_msg_id=101)),
        message(107, "большое видео", media=video(size=80 * 1024 * 1024), post_author="Иван"),
    ]


class FakeClient:
    """Just the TelegramClient surface the backend uses, over a fixed channel history."""

    def __init__(self, messages: list[Any], floods: list[int] | None = None) -> None:
        self.by_id = {m.id: m for m in messages}
        self.floods = list(floods or [])
        self.resolved: list[Any] = []
        self.downloads: list[int] = []
        self.connected = False

    def _maybe_flood(self) -> None:
        if self.floods:
            raise FloodWaitError(request=None, capture=self.floods.pop(0))

    async def connect(self) -> None:
        self.connected = True

    async def disconnect(self) -> None:
        self.connected = False

    async def is_user_authorized(self) -> bool:
        return True

    async def get_input_entity(self, target: Any) -> types.InputPeerChannel:
        self._maybe_flood()
        self.resolved.append(target)
        return types.InputPeerChannel(CHANNEL.channel_id, 4242)

    async def iter_messages(
        self, entity: Any, limit: int | None = None, min_id: int = 0, reverse: bool = False
    ) -> AsyncIterator[Any]:
        assert isinstance(entity, types.InputPeerChannel) and entity.access_hash == 4242
        self._maybe_flood()
        ids = sorted((i for i in self.by_id if i > min_id), reverse=not reverse)
        for msg_id in ids[:limit]:
            yield self.by_id[msg_id]

    async def get_messages(self, entity: Any, ids: list[int]) -> list[Any]:
        self._maybe_flood()
        return [self.by_id.get(i) for i in ids]

    async def download_media(self, msg: Any, file: type = bytes) -> bytes:
        self.downloads.append(msg.id)
        return f"photo bytes {msg.media.photo.id}".encode()


def backend(
    client: FakeClient,
    slept: list[float] | None = None,
    options: dict[str, Any] | None = None,
    **telegram: Any,
) -> Any:
    settings = Settings(
        telegram=TelegramSettings(**telegram), media=MediaSettings(max_bytes=50 * 1024 * 1024)
    )
    source = SourceConfig(
        name="chp",
        kind="telegram",
        target="chp_chechnya",
        backend="telethon",
        options=options or {},
    )

    async def sleep(seconds: float) -> None:
        (slept if slept is not None else []).append(seconds)

    ctx = CollectContext(settings, http=None)  # type: ignore[arg-type]
    return TelethonBackend(source, ctx, client_factory=lambda _: client, sleep=sleep)


def test_first_poll_reads_the_newest_messages_and_caches_the_entity() -> None:
    client = FakeClient(channel_messages())
    result = asyncio.run(backend(client).poll(SourceState()))

    ids = [item.external_id for item in result.items]
    assert ids == ["100", "101", "102", "103", "106", "107"]  # album 103+104; 105 is a pin
    assert result.cursor["last_id"] == 107
    assert result.cursor["entity"] == {
        "target": "chp_chechnya",
        "channel_id": CHANNEL.channel_id,
        "access_hash": 4242,
    }
    by_id = {item.external_id: item for item in result.items}
    assert by_id["101"].text == "Подробнее здесь (https://example.org/a) и там"
    assert by_id["101"].extra["views"] == 5123 and by_id["101"].extra["reactions"] == {"👍": 42}
    assert by_id["101"].url == "https://t.me/chp_chechnya/101"
    assert by_id["102"].forwarded_from == "https://t.me/c/555/77"
    assert by_id["106"].reply_to == "101"
    assert by_id["107"].author == "Иван" and by_id["100"].author == "@chp_chechnya"
    assert by_id["100"].published_at == WHEN


def test_albums_edits_and_media() -> None:
    client = FakeClient(channel_messages())
    result = asyncio.run(backend(client).poll(SourceState()))
    album = next(item for item in result.items if item.external_id == "103")

    assert album.extra["album"] == [103, 104]
    assert album.edited and album.edited_at == WHEN
    assert [m.url for m in album.media] == [
        "https://t.me/chp_chechnya/103?single",
        "https://t.me/chp_chechnya/104?single",
    ]
    assert all(m.sha256 for m in album.media)
    assert {c.sha256 for c in result.captures} == {m.sha256 for m in album.media}
    big = next(item for item in result.items if item.external_id == "107").media[0]
    assert big.kind == "video" and big.sha256 is None and big.size == 80 * 1024 * 1024
    assert "media.max_bytes" in (big.note or "")
    assert sorted(client.downloads) == [103, 104]  # the 80 MB video was never fetched


def test_next_poll_uses_min_id_and_the_cached_entity() -> None:
    client = FakeClient(channel_messages())
    first = asyncio.run(backend(client).poll(SourceState()))
    client.by_id[108] = message(108, "новое")
    second = asyncio.run(backend(client).poll(SourceState(cursor=first.cursor)))

    assert [item.external_id for item in second.items] == ["108"]
    assert second.cursor["last_id"] == 108
    assert client.resolved == ["chp_chechnya"]  # resolved once, then from the cursor


def test_flood_wait_under_the_cap_is_waited_out() -> None:
    slept: list[float] = []
    client = FakeClient(channel_messages(), floods=[30, 20])
    result = asyncio.run(backend(client, slept, flood_wait_cap_seconds=60).poll(SourceState()))

    assert slept == [30, 20]
    assert len(result.items) == 6


def test_flood_wait_over_the_cap_backs_off_with_retry_after() -> None:
    client = FakeClient(channel_messages(), floods=[3600])
    with pytest.raises(CollectorError, match="wait 3600s") as caught:
        asyncio.run(backend(client, flood_wait_cap_seconds=300).poll(SourceState()))
    assert caught.value.retry_after == 3600
    assert client.connected is False


def test_recheck_finds_deleted_and_edited_messages() -> None:
    client = FakeClient(channel_messages())
    first = asyncio.run(backend(client).poll(SourceState()))
    stored = {item.external_id: item for item in first.items}
    del client.by_id[100]
    client.by_id[106] = message(106, "ответ (исправлено)", edit_date=WHEN,
                                reply_to=types.MessageReplyHeader(reply_to_msg_id=101))  # fmt: skip
    refs = [
        ItemRef(i, stored[i].url, stored[i].content_hash(), stored[i].published_at)
        for i in ("100", "101", "103", "106")
    ]
    result = asyncio.run(backend(client).reread(refs))

    changed = {item.external_id: item for item in result.items}
    assert sorted(changed) == ["100", "106"]  # 101 never edited, album 103 unchanged
    assert changed["100"].deleted
    assert changed["106"].text == "ответ (исправлено)" and changed["106"].edited
    assert client.resolved == ["chp_chechnya"]  # the re-read reused the poll's resolution


def test_missing_credentials_are_named() -> None:
    settings = Settings(telegram=TelegramSettings(api_id=12345))
    source = SourceConfig(name="chp", kind="telegram", target="chp_chechnya", backend="telethon")
    with pytest.raises(CollectorError, match=r"telegram\.api_hash.*session or session_file"):
        TelethonBackend(source, CollectContext(settings, http=None))  # type: ignore[arg-type]


def test_recorded_dumps_parse_with_ids_times_and_edits() -> None:
    dump = (FIXTURES / "telethon_tapForUkraine_channel_messages.json").read_bytes()
    items = items_from_dump(dump, None)

    assert [i.external_id for i in items] == [
        "7101", "7103", "7104", "7110", "7111", "7112", "7114", "7115", "7116", "7117",
    ]  # fmt: skip
    assert all(item.edited for item in items)
    assert all(item.forwarded_from is None for item in items)
    by_id = {item.external_id: item for item in items}
    assert by_id["7104"].extra["album"] == [7104, 7105, 7106, 7107, 7108, 7109]
    assert by_id["7116"].reply_to == "7114"
    assert by_id["7117"].published_at == datetime(2022, 5, 8, 17, 7, 47, tzinfo=UTC)
    assert by_id["7117"].url == "https://t.me/c/1774946085/7117"
    assert "G7" in by_id["7116"].text and "(https://www.whitehouse.gov/" in by_id["7116"].text
    assert [m.kind for m in by_id["7101"].media] == ["photo", "video"]

    chechnya = items_from_dump(
        (FIXTURES / "telethon_chp_chechnya_channel_messages.json").read_bytes(), "chp_chechnya"
    )
    assert [i.external_id for i in chechnya] == ["2011", "2012", "2015", "2016"]  # 2014: a pin
    assert all(item.edited for item in chechnya)
    assert chechnya[-1].media[0].size == 10435796 and chechnya[-1].media[0].name == "IMG_1627.MP4"


def test_an_album_cut_by_the_batch_limit_waits_for_the_next_poll() -> None:
    client = FakeClient(channel_messages())
    small = backend(client, options={"max_messages": 4})
    entity = {"target": "chp_chechnya", "channel_id": CHANNEL.channel_id, "access_hash": 4242}

    first = asyncio.run(small.poll(SourceState(cursor={"last_id": 99, "entity": entity})))
    assert [i.external_id for i in first.items] == ["100", "101", "102"]  # 103 of 103+104 held
    assert first.cursor["last_id"] == 102

    second = asyncio.run(small.poll(SourceState(cursor=first.cursor)))
    assert [i.external_id for i in second.items] == ["103", "106"]
    assert second.items[0].extra["album"] == [103, 104]
    assert second.cursor["last_id"] == 106
    assert client.resolved == []  # the cached entity was used throughout
