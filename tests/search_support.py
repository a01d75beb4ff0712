"""A workspace holding real recorded posts in several languages, for the search tests.

- Russian: the real t.me/s/topwar_official page (tests/fixtures/telegram, see SOURCES.md);
- English: the real Guardian US RSS feed (tests/fixtures/news, see SOURCES.md);
- Arabic, Persian, Pashto, French: the labeled multilingual posts of
  bench/data/labeled_posts.jsonl (written for issue 21 in the style of real posts; no
  recorded page in those languages is in the fixtures);
- two posts with the issue's own examples (Кидале, للجيش المالي).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sourcewatch.collectors.news.feedparse import parse_feed
from sourcewatch.collectors.telegram.webpage import parse_page
from sourcewatch.ingest.writer import ingest
from sourcewatch.records import MediaRef, ParsedItem, PollResult, RawCapture
from sourcewatch.sources.config import SourceConfig
from sourcewatch.workspace import Workspace

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).parent / "fixtures"
WATCHLISTS = ROOT / "watchlists"
T0 = datetime(2023, 9, 20, 12, 0, tzinfo=UTC)

TOPWAR = SourceConfig(
    name="tg-topwar", kind="telegram", target="topwar_official", areas=("ukraine",)
)
GUARDIAN = SourceConfig(
    name="guardian-us", kind="feed", target="https://www.theguardian.com/us/rss", areas=("us",)
)
SAHEL = SourceConfig(name="sahel-posts", kind="telegram", target="sahel", areas=("sahel",))
AFPAK = SourceConfig(name="afpak-posts", kind="x", target="afpak", areas=("af-pak",))

KIDAL_RU = "Колонна ВСМ вошла в Кидаль? Нет: бои идут у Кидале, сообщают источники."
ARMY_AR = "مصدر: لا انسحاب للجيش المالي من مواقعه قرب كيدال"


def poll(
    ws: Workspace, source: SourceConfig, body: bytes, items: list[ParsedItem], when: datetime
) -> None:
    """Ingest ``items`` as one poll of ``source`` that fetched ``body`` at ``when``."""
    capture = RawCapture(
        url=f"https://example.test/{source.name}", body=body, status=200, fetched_at=when
    )
    for item in items:
        item.capture_sha256s = [capture.sha256]
    ingest(ws, source, PollResult(captures=[capture], items=items), now=when)


def topwar_items() -> list[ParsedItem]:
    page = parse_page(
        (FIXTURES / "telegram" / "any2feed_topwar_official_channel_page.html").read_bytes()
    )
    return [post.item for post in page.posts]


def guardian_items() -> list[ParsedItem]:
    body = (FIXTURES / "news" / "rss-parser__guardian.rss").read_bytes()
    feed = parse_feed(body, url=GUARDIAN.target)
    return [
        ParsedItem(
            external_id=entry.key,
            url=entry.link,
            title=entry.title,
            text=entry.text,
            author=entry.author,
            published_at=entry.published_at,
            lang="en",
        )
        for entry in feed.entries
    ]


PER_LANGUAGE = 20  # the first posts of each language (the tests name some of them)


def labeled(lang: str) -> list[ParsedItem]:
    rows = [
        json.loads(line)
        for line in (ROOT / "bench/data/labeled_posts.jsonl").open(encoding="utf-8")
    ]
    return [
        ParsedItem(
            external_id=row["id"],
            text=row["text"],
            lang=row["lang"],
            url=f"https://t.me/sahel/{row['id']}",
            published_at=T0,
        )
        for row in rows
        if row["lang"] == lang
    ][:PER_LANGUAGE]


def fill(ws: Workspace) -> dict[str, int]:
    """Ingest everything; external id -> item id."""
    poll(ws, TOPWAR, b"topwar page", topwar_items(), T0)
    poll(ws, GUARDIAN, b"guardian feed", guardian_items(), T0)
    poll(ws, SAHEL, b"sahel ar fr", labeled("ar") + labeled("fr"), T0 + timedelta(days=1))
    poll(ws, AFPAK, b"afpak fa ps", labeled("fa") + labeled("ps"), T0 + timedelta(days=2))
    examples = [
        ParsedItem(
            external_id="kidal-ru",
            text=KIDAL_RU,
            lang="ru",
            published_at=T0 + timedelta(days=3),
            url="https://t.me/sahel/kidal-ru",
        ),
        ParsedItem(
            external_id="army-ar",
            text=ARMY_AR,
            lang="ar",
            published_at=T0 + timedelta(days=3),
            url="https://t.me/sahel/army-ar",
            media=[
                MediaRef(
                    kind="link_preview", url="https://example.test/a", name="Bamako communiqué"
                )
            ],
        ),
    ]
    poll(ws, SAHEL, b"examples", examples, T0 + timedelta(days=3))
    import sqlalchemy as sa

    from sourcewatch.store.tables import ITEM

    with ws.engine.connect() as conn:
        return {
            row.external_id: row.id
            for row in conn.execute(sa.select(ITEM.c.id, ITEM.c.external_id))
        }
