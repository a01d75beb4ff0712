"""Match changed items against the watchlists, store the matches, queue what matters.

Runs inside ingest's transaction (so an item, its matches and its queue entry
appear together or not at all) and in ``rescan`` for retro-hunts. Title and text
are matched as one string so rules can combine them; each stored span is mapped
back into the field it came from.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from sourcewatch.alerts.outbox import record as record_alerts
from sourcewatch.matching import Matcher, MatchResult
from sourcewatch.matching.itemtext import matchable_text
from sourcewatch.sources.config import SourceConfig
from sourcewatch.store.tables import MATCH
from sourcewatch.triage import ItemHit, enqueue


@dataclass(frozen=True)
class ItemContent:
    item_id: int
    revision: int
    title: str | None
    text: str


def match_rows(content: ItemContent, result: MatchResult) -> list[dict[str, Any]]:
    _, text_start = matchable_text(content.title, content.text)
    rows = []
    for match in result.matches:
        in_title = match.start < text_start
        offset = 0 if in_title else text_start
        rows.append(
            {
                "item_id": content.item_id,
                "revision": content.revision,
                "entity_id": match.entity,
                "rule_id": None,
                "alias": match.alias,
                "field": "title" if in_title else "text",
                "start": match.start - offset,
                "end": match.end - offset,
                "matched_text": match.text,
                "score": match.score,
            }
        )
    rows.extend(
        {
            "item_id": content.item_id,
            "revision": content.revision,
            "entity_id": None,
            "rule_id": rule_id,
            "alias": None,
            "field": "text",
            "start": None,
            "end": None,
            "matched_text": None,
            "score": 1.0,
        }
        for rule_id in result.rules
    )
    return rows


_DELETE_REVISION_MATCHES = sa.delete(MATCH).where(
    MATCH.c.item_id == sa.bindparam("item"), MATCH.c.revision == sa.bindparam("rev")
)


def match_and_queue(
    conn: sa.Connection,
    matcher: Matcher,
    source: SourceConfig,
    contents: Sequence[ItemContent],
    now: datetime,
    *,
    replace: bool = False,
) -> tuple[int, int]:
    """Store matches for each content revision and queue the hits.

    ``replace`` (rescan) first drops the matches stored for those revisions.
    Returns (matches stored, queue entries created or re-opened).
    """
    rows: list[dict[str, Any]] = []
    to_queue: list[tuple[ItemContent, MatchResult]] = []
    for content in contents:
        text, _ = matchable_text(content.title, content.text)
        result = matcher.match(text)
        rows.extend(match_rows(content, result))
        # Edits always go on: an edit that removes the last match re-opens a queued
        # item too (enqueue ignores edits of items that were never queued).
        if result or source.queue_all or content.revision > 1:
            to_queue.append((content, result))
    if replace:
        # One compiled statement run for every revision (executemany): a tuple IN list
        # built 500 SQL expressions per chunk, a third of a rescan's CPU.
        conn.execute(
            _DELETE_REVISION_MATCHES,
            [{"item": c.item_id, "rev": c.revision} for c in contents],
        )
    if rows:
        conn.execute(sa.insert(MATCH), rows)
    # A rescan's retro-hunt finds old posts: they go to the queue, not to the alert channels.
    return len(rows), _queue(conn, source, to_queue, now, alert=not replace)


def _queue(
    conn: sa.Connection,
    source: SourceConfig,
    to_queue: list[tuple[ItemContent, MatchResult]],
    now: datetime,
    *,
    alert: bool = True,
) -> int:
    if not to_queue:
        return 0
    hits = [
        ItemHit(
            item_id=content.item_id,
            revision=content.revision,
            is_edit=content.revision > 1,
            title=content.title,
            text=content.text,
            result=result,
        )
        for content, result in to_queue
    ]
    queued = enqueue(conn, source, hits, now)
    if alert:  # same transaction as the queue entry: they exist together or not at all
        record_alerts(conn, source, [(h.item_id, h.revision, h.result) for h in hits], now)
    return queued
