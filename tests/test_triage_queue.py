"""Queue rules: what enters the queue, its areas and priority, edits, near-duplicates."""

from __future__ import annotations

import json
import unicodedata
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from sourcewatch.config import Settings
from sourcewatch.matching.results import NO_MATCH
from sourcewatch.store.tables import TRIAGE, TRIAGE_EVENT, TRIAGE_FACET, TRIAGE_ITEM
from sourcewatch.triage import ItemHit, enqueue, fingerprint, priority_for
from sourcewatch.triage.fingerprint import normalized_text, text_fingerprint
from sourcewatch.workspace import Workspace
from triage_support import T0, Post, channel, ingest_posts, watchlist_matcher, with_test_watchlists


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return with_test_watchlists(settings)


CLAIM = "JNIM claimed the attack on the army post near Boni in central Mali on Sunday."
WAGNER = "Wagner convoy seen moving north from Bamako towards Gao, locals report."
NOTHING = "Weather: heavy rain expected in the capital tomorrow afternoon."


def entries(ws: Workspace) -> list[sa.Row]:
    with ws.engine.connect() as conn:
        return conn.execute(sa.select(TRIAGE).order_by(TRIAGE.c.id)).all()


def events(ws: Workspace, triage_id: int) -> list[sa.Row]:
    with ws.engine.connect() as conn:
        return conn.execute(
            sa.select(TRIAGE_EVENT)
            .where(TRIAGE_EVENT.c.triage_id == triage_id)
            .order_by(TRIAGE_EVENT.c.id)
        ).all()


def test_a_matching_item_enters_new_with_areas_and_priority(workspace: Workspace) -> None:
    source = channel("sahel_watch", weight=2, areas=("west-africa",))
    ids = ingest_posts(workspace, source, [Post("1", CLAIM), Post("2", NOTHING)])

    [entry] = entries(workspace)
    assert entry.item_id == ids["1"]
    assert entry.status == "new"
    # jnim (5) + mali + rule: 10 * 5 * 2 + breadth (jnim, mali, rule -> 2)
    assert entry.priority == 102
    # The source's area first (primary); sahel from the rule and jnim + mali (a place).
    assert entry.areas == ["west-africa", "sahel"]
    assert entry.queued_at == T0
    with workspace.engine.connect() as conn:
        facets = conn.execute(
            sa.select(
                TRIAGE_FACET.c.facet,
                TRIAGE_FACET.c.value,
                TRIAGE_FACET.c.status,
                TRIAGE_FACET.c.priority,
            ).where(TRIAGE_FACET.c.triage_id == entry.id)
        ).all()
    assert sorted(facets) == [
        ("area", "sahel", "new", 102),
        ("area", "west-africa", "new", 102),
        ("entity", "jnim", "new", 102),
        ("entity", "mali", "new", 102),
        ("source", "sahel_watch", "new", 102),
    ]
    assert [e.action for e in events(workspace, entry.id)] == ["queued"]


def test_queue_all_source_queues_unmatched_items_at_priority_zero(workspace: Workspace) -> None:
    source = channel("everything", queue_all=True, areas=("sahel",))
    ids = ingest_posts(workspace, source, [Post("1", NOTHING)])
    [entry] = entries(workspace)
    assert (entry.item_id, entry.priority, entry.areas) == (ids["1"], 0, ["sahel"])


def test_priority_formula() -> None:
    matcher = watchlist_matcher()
    assert priority_for(NO_MATCH, 5) == 0
    assert priority_for(matcher.match("Mali"), 1) == 10
    assert priority_for(matcher.match("TTP"), 3) == 120
    # A heavy entity from a minor source ties with a light one from a trusted source...
    assert priority_for(matcher.match("TTP"), 1) == priority_for(matcher.match("Mali"), 4)
    # ...and among equals, mentioning more of the watchlist ranks higher.
    assert priority_for(matcher.match("TTP and Mali"), 1) == 41


def test_an_edit_reopens_a_triaged_item_with_the_edit_in_history(workspace: Workspace) -> None:
    source = channel("sahel_watch")
    ids = ingest_posts(workspace, source, [Post("1", WAGNER)])
    [entry] = entries(workspace)
    with workspace.engine.begin() as conn:  # an analyst decided it
        conn.execute(
            sa.update(TRIAGE).where(TRIAGE.c.id == entry.id).values(status="irrelevant", version=2)
        )
    later = T0 + timedelta(hours=3)
    ingest_posts(workspace, source, [Post("1", WAGNER + " Edit: JNIM claimed it.")], now=later)

    [reopened] = entries(workspace)
    assert reopened.status == "new"
    assert reopened.version == 3  # whoever held version 2 must re-read
    assert reopened.queued_at == later
    assert reopened.priority >= entry.priority
    last = events(workspace, entry.id)[-1]
    assert last.action == "reopened"
    assert last.detail["item_id"] == ids["1"]
    assert last.detail["revision"] == 2
    assert last.detail["previous_status"] == "irrelevant"
    assert "jnim" in last.detail["entities"]


def test_an_edit_that_removes_every_match_still_reopens(workspace: Workspace) -> None:
    source = channel("sahel_watch")
    ids = ingest_posts(workspace, source, [Post("1", WAGNER)])
    with workspace.engine.begin() as conn:
        conn.execute(sa.update(TRIAGE).values(status="relevant"))
    # enqueue is handed the edit even though nothing matches in it any more
    edit = ItemHit(ids["1"], 2, is_edit=True, title=None, text=NOTHING, result=NO_MATCH)
    with workspace.engine.begin() as conn:
        assert enqueue(conn, source, [edit], T0 + timedelta(hours=1)) == 1
    [entry] = entries(workspace)
    assert entry.status == "new"
    assert events(workspace, entry.id)[-1].detail["entities"] == []


def test_an_edit_of_an_untriaged_item_keeps_it_new_and_records_it(workspace: Workspace) -> None:
    source = channel("sahel_watch")
    ingest_posts(workspace, source, [Post("1", WAGNER)])
    ingest_posts(workspace, source, [Post("1", WAGNER + " (updated)")], now=T0 + timedelta(1))
    [entry] = entries(workspace)
    assert entry.status == "new"
    assert [e.action for e in events(workspace, entry.id)] == ["queued", "edited"]


def test_forwarded_copies_in_several_channels_are_one_entry(workspace: Workspace) -> None:
    first = channel("sahel_watch", weight=1, areas=("mali",))
    second = channel("mirror_channel", weight=3, areas=("burkina",))
    ids_a = ingest_posts(workspace, first, [Post("10", CLAIM)])
    forwarded = "⚡️ " + CLAIM.upper() + "\n\nSubscribe: https://t.me/mirror_channel @mirror_channel"
    ids_b = ingest_posts(
        workspace,
        second,
        [Post("77", forwarded, forwarded_from="sahel_watch")],
        now=T0 + timedelta(hours=1),
    )

    [entry] = entries(workspace)
    assert entry.item_id == ids_a["10"]
    assert entry.areas == ["mali", "burkina", "sahel"]  # the first copy's primary stays first
    assert entry.priority == 10 * 5 * 3 + 2  # the heavier source lifts the group
    with workspace.engine.connect() as conn:
        members = conn.execute(
            sa.select(TRIAGE_ITEM.c.item_id).where(TRIAGE_ITEM.c.triage_id == entry.id)
        ).scalars()
        assert sorted(members) == sorted([ids_a["10"], ids_b["77"]])
    assert [e.action for e in events(workspace, entry.id)] == ["queued", "duplicate"]


def test_an_identical_text_after_the_window_is_queued_again(workspace: Workspace) -> None:
    ingest_posts(workspace, channel("a"), [Post("1", CLAIM)])
    ingest_posts(workspace, channel("b"), [Post("1", CLAIM)], now=T0 + timedelta(days=30))
    assert len(entries(workspace)) == 2


def test_short_texts_are_never_grouped(workspace: Workspace) -> None:
    ingest_posts(workspace, channel("a"), [Post("1", "JNIM claimed")])
    ingest_posts(workspace, channel("b"), [Post("1", "JNIM claimed")])
    assert len(entries(workspace)) == 2


def test_fingerprint_ignores_links_handles_case_marks_and_punctuation() -> None:
    arabic = "أعلنت جماعة نصرة الإسلام والمسلمين مسؤوليتها عن الهجوم على ثكنة الجيش"
    with_marks = arabic.replace("جماعة", "جَمَاعَة").replace("الهجوم", "الهجـــوم")
    assert text_fingerprint(None, arabic) == text_fingerprint(None, with_marks + " t.me/x #عاجل")
    assert text_fingerprint(None, CLAIM) == text_fingerprint(None, f"**{CLAIM.lower()}** 🔴")
    assert text_fingerprint(None, CLAIM) != text_fingerprint(None, CLAIM.replace("Boni", "Gao"))
    assert text_fingerprint("A long enough title to be telling on its own", "") is not None
    assert normalized_text("Hello,\n\tWORLD!\nSubscribe: https://x.com/a") == "hello world"
    assert normalized_text("Read the full claim https://x.com/a here") == "read the full claim here"


def test_matching_the_same_revision_again_is_not_an_edit(workspace: Workspace) -> None:
    """A rescan after a watchlist change re-matches stored revisions: no re-open."""
    source = channel("sahel_watch")
    ids = ingest_posts(workspace, source, [Post("1", WAGNER)])
    with workspace.engine.begin() as conn:
        conn.execute(sa.update(TRIAGE).values(status="irrelevant"))
    heavier = watchlist_matcher().match(WAGNER + " JNIM")  # as if a new alias matched
    again = ItemHit(ids["1"], 1, is_edit=False, title=None, text=WAGNER, result=heavier)
    with workspace.engine.begin() as conn:
        assert enqueue(conn, source, [again], T0 + timedelta(days=1)) == 0
    [entry] = entries(workspace)
    assert (entry.status, entry.version, entry.priority) == ("irrelevant", 1, 51)
    assert [e.action for e in events(workspace, entry.id)] == ["queued", "rematched"]


def test_copies_within_one_poll_are_grouped_too(workspace: Workspace) -> None:
    ids = ingest_posts(workspace, channel("a"), [Post("1", CLAIM), Post("2", CLAIM + " ")])
    [entry] = entries(workspace)
    with workspace.engine.connect() as conn:
        members = conn.execute(
            sa.select(TRIAGE_ITEM.c.item_id).where(TRIAGE_ITEM.c.triage_id == entry.id)
        ).scalars()
        assert sorted(members) == sorted(ids.values())


def _reference_normalized_text(text: str) -> str:
    """normalized_text as first written (a character loop for the marks)."""
    lines = []
    for line in unicodedata.normalize("NFKC", text).splitlines():
        bare = fingerprint._HANDLE_OR_TAG.sub(" ", fingerprint._URL.sub(" ", line))
        words = fingerprint._NOT_WORD.sub(" ", bare).split()
        if bare != line and len(words) <= fingerprint.MAX_SIGNATURE_WORDS:
            continue
        lines.append(bare)
    joined = " ".join(lines)
    joined = "".join(
        ch for ch in unicodedata.normalize("NFD", joined) if not unicodedata.combining(ch)
    ).replace("\u0640", "")
    return " ".join(fingerprint._NOT_WORD.sub(" ", joined.casefold()).split())


def test_normalized_text_equals_the_character_loop() -> None:
    posts = Path(__file__).parent.parent / "bench" / "data" / "labeled_posts.jsonl"
    texts = [json.loads(line)["text"] for line in posts.read_text("utf-8").splitlines()]
    every = "".join(chr(cp) for cp in range(0x30000) if not 0xD800 <= cp < 0xE000)
    texts += [f"word {every[i : i + 97]} end" for i in range(0, len(every), 97)]
    texts += ["الْقَاعِدَةُ  Qaïda ــ Ελληνικά ά", "plain ascii, t.me/x @handle"]
    for text in texts:
        assert normalized_text(text) == _reference_normalized_text(text), repr(text)
