"""Building triage test data with the real pipeline: ``ingest`` matches new and edited
items against the test watchlist (tests/fixtures/triage/watchlists) and queues them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

from sourcewatch.config import Settings
from sourcewatch.ingest.writer import ingest
from sourcewatch.matching import Matcher, load_matcher
from sourcewatch.records import MediaRef, ParsedItem, PollResult, RawCapture
from sourcewatch.sources.config import SourceConfig
from sourcewatch.store.tables import ITEM, SOURCE
from sourcewatch.workspace import Workspace

WATCHLISTS = Path(__file__).parent / "fixtures" / "triage" / "watchlists"
T0 = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)


def watchlist_matcher() -> Matcher:
    return load_matcher(WATCHLISTS)


def channel(
    name: str, *, weight: int = 1, areas: tuple[str, ...] = (), **extra: object
) -> SourceConfig:
    return SourceConfig(
        name=name, kind="telegram", target=name, weight=weight, areas=areas, **extra
    )


@dataclass
class Post:
    external_id: str
    text: str
    author: str | None = None
    title: str | None = None
    forwarded_from: str | None = None
    media: list[MediaRef] = field(default_factory=list)


def with_test_watchlists(settings: Settings) -> Settings:
    """``settings`` whose watchlists are the triage test watchlist (ingest matches with it)."""
    return settings.model_copy(update={"watchlists_dir": WATCHLISTS})


def ingest_posts(
    ws: Workspace, source: SourceConfig, posts: list[Post], *, now: datetime = T0
) -> dict[str, int]:
    """Ingest ``posts`` (one capture each) for real; returns external_id -> item id."""
    captures, items = [], []
    for post in posts:
        capture = RawCapture(
            url=f"https://t.me/s/{source.target}?before={post.external_id}",
            body=f"<html>{post.external_id}:{post.text}</html>".encode(),
            fetched_at=now,
            status=200,
            media_type="text/html",
        )
        captures.append(capture)
        items.append(
            ParsedItem(
                external_id=post.external_id,
                url=f"https://t.me/{source.target}/{post.external_id}",
                author=post.author,
                published_at=now - timedelta(minutes=5),
                text=post.text,
                title=post.title,
                forwarded_from=post.forwarded_from,
                media=post.media,
                capture_sha256s=[capture.sha256],
            )
        )
    ingest(ws, source, PollResult(captures=captures, items=items), now=now)
    with ws.engine.connect() as conn:
        rows = conn.execute(
            sa.select(ITEM.c.external_id, ITEM.c.id)
            .join(SOURCE, SOURCE.c.id == ITEM.c.source_id)
            .where(SOURCE.c.name == source.name)
        ).all()
    return {row.external_id: row.id for row in rows}
