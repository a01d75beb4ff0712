"""Helpers shared by the news / WordPress collector tests (not a test module)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from sourcewatch.collectors.base import CollectContext, ItemRef, SourceState
from sourcewatch.collectors.registry import get_collector
from sourcewatch.config import MediaSettings, NetSettings, Settings
from sourcewatch.net import Http
from sourcewatch.records import PollResult
from sourcewatch.sources.config import SourceConfig

NEWS = Path(__file__).parent / "fixtures" / "news"
ARABIC = "أعلن تنظيم الدولة الإسلامية مسؤوليته عن الهجوم في دير الزور"
RUSSIAN = "Министерство обороны сообщило об ударе по позициям боевиков в Сирии"


def fixture_bytes(name: str) -> bytes:
    return (NEWS / name).read_bytes()


def news_settings(media_max_bytes: int | None = None, **net: Any) -> Settings:
    """Settings for loopback tests: no politeness delay, no retries, loopback allowed."""
    net_values: dict[str, Any] = {
        "per_host_interval": 0.0,
        "retries": 0,
        "allow_private_addresses": True,
    }
    net_values.update(net)
    media = MediaSettings(max_bytes=media_max_bytes) if media_max_bytes else MediaSettings()
    return Settings(net=NetSettings(**net_values), media=media)


def source(kind: str, target: str, **fields: Any) -> SourceConfig:
    return SourceConfig(name=fields.pop("name", f"test-{kind}"), kind=kind, target=target, **fields)


def poll(
    src: SourceConfig, state: SourceState | None = None, settings: Settings | None = None
) -> PollResult:
    settings = settings or news_settings()

    async def go() -> PollResult:
        async with Http(settings.net) as http:
            collector = get_collector(src.kind)
            return await collector.poll(src, state or SourceState(), CollectContext(settings, http))

    return asyncio.run(go())


def reread(src: SourceConfig, refs: list[ItemRef], settings: Settings | None = None) -> PollResult:
    settings = settings or news_settings()

    async def go() -> PollResult:
        async with Http(settings.net) as http:
            collector = get_collector(src.kind)
            return await collector.reread(src, refs, CollectContext(settings, http))

    return asyncio.run(go())


def next_state(result: PollResult, previous: SourceState | None = None) -> SourceState:
    """What the database would hold after ingesting ``result`` (as polling.load_state)."""
    previous = previous or SourceState()
    cursor = result.cursor if result.cursor is not None else previous.cursor
    return SourceState(
        cursor=cursor,
        etag=result.etag or previous.etag,
        last_modified=result.last_modified or previous.last_modified,
        body_sha256=cursor.get("body_sha256"),
    )


def rss(items: list[dict[str, str]], *, encoding: str | None = None, title: str = "Test") -> str:
    decl = f'<?xml version="1.0" encoding="{encoding}"?>' if encoding else ""
    body = "".join(
        "<item>"
        f"<title>{i['title']}</title><link>{i['link']}</link>"
        f"<guid>{i.get('guid', i['link'])}</guid>"
        f"<description>{i.get('description', '')}</description>"
        f"<pubDate>{i.get('date', 'Sun, 17 Sep 2023 10:00:00 GMT')}</pubDate>"
        "</item>"
        for i in items
    )
    return f'{decl}<rss version="2.0"><channel><title>{title}</title>{body}</channel></rss>'


def article_page(title: str, paragraphs: list[str], *, lang: str = "en") -> str:
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (
        f'<html lang="{lang}"><head><title>{title}</title>'
        '<meta property="article:published_time" content="2023-09-17T09:30:00Z">'
        f"</head><body><article><h1>{title}</h1>{body}</article></body></html>"
    )


LONG = (
    "Fighting between the tribal forces and the SDF continued for a third day in the "
    "eastern countryside of Deir ez-Zor, according to local sources and activists who "
    "described clashes near the river crossings and the towns along the Euphrates valley."
)
