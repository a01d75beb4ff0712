"""Translating stored items, on both databases: stored beside the original per revision,
never twice, third parties only where opted in, and the background job's choice of
items, backoff and refusals."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
import sqlalchemy as sa
from pytest_httpserver import HTTPServer

from sourcewatch.config import Settings
from sourcewatch.store.tables import ITEM, TRANSLATION
from sourcewatch.translate.background import BackgroundTranslator, due_candidates
from sourcewatch.translate.policy import NotAllowed
from sourcewatch.translate.service import (
    ALREADY,
    FAILED,
    NO_ENGINE,
    TRANSLATED,
    NoEngineConfigured,
    translate_now,
)
from sourcewatch.translate.store import (
    iter_translation_texts,
    latest_translation,
    revision_translation,
)
from sourcewatch.workspace import Workspace
from translate_support import AR_TEXT, AR_TITLE, DEEPL_KEY, RU_TEXT, FakeDeepL, FakeLibreTranslate
from triage_support import T0, Post, channel, ingest_posts, with_test_watchlists

WAGNER_AR = "فاغنر " + AR_TEXT  # matches the test watchlist (wagner), so it is queued


def with_translate(settings: Settings, **translate: object) -> Settings:
    return with_test_watchlists(settings).model_copy(
        update={"translate": settings.translate.model_copy(update=translate)}
    )


def libre_settings(settings: Settings, url: str, **more: object) -> Settings:
    lt = settings.translate.libretranslate.model_copy(update={"url": url})
    return with_translate(settings, engines=["libretranslate"], libretranslate=lt, **more)


@pytest.fixture
def lt(httpserver: HTTPServer) -> FakeLibreTranslate:
    return FakeLibreTranslate(httpserver)


def arabic_item(ws: Workspace, text: str = WAGNER_AR, external_id: str = "1") -> int:
    source = channel("sahel_ar", areas=("mali",), language="ar")
    return ingest_posts(ws, source, [Post(external_id, text, title=AR_TITLE)])[external_id]


def test_a_translation_is_stored_beside_the_original_and_never_made_twice(
    settings: Settings, lt: FakeLibreTranslate
) -> None:
    config = libre_settings(settings, lt.url)
    with Workspace.open(config) as ws:
        item_id = arabic_item(ws)
        first = translate_now(config, ws.engine, [item_id])
        again = translate_now(config, ws.engine, [item_id])
        with ws.engine.connect() as conn:
            stored = latest_translation(conn, item_id)
            original = conn.execute(sa.select(ITEM.c.text).where(ITEM.c.id == item_id)).scalar()
            rows = conn.execute(sa.select(sa.func.count()).select_from(TRANSLATION)).scalar()
    assert [o.status for o in first] == [TRANSLATED]
    assert [o.status for o in again] == [ALREADY]
    assert len(lt.requests) == 1  # the second call sent nothing
    assert rows == 1
    assert original == WAGNER_AR  # the original is untouched
    assert stored is not None
    assert (stored.engine, stored.source_language, stored.target_language) == (
        "libretranslate",
        "ar",
        "en",
    )
    assert stored.title == "Statement"
    assert stored.text == f"[en] {WAGNER_AR}"
    assert stored.revision == 1 and stored.model == lt.url


def test_an_edit_is_translated_again_and_the_old_translation_is_not_shown_for_it(
    settings: Settings, lt: FakeLibreTranslate
) -> None:
    config = libre_settings(settings, lt.url)
    with Workspace.open(config) as ws:
        item_id = arabic_item(ws)
        translate_now(config, ws.engine, [item_id])
        source = channel("sahel_ar", areas=("mali",), language="ar")
        edited = Post("1", AR_TEXT, title=AR_TITLE)
        ingest_posts(ws, source, [edited], now=T0 + timedelta(hours=1))
        with ws.engine.connect() as conn:
            assert latest_translation(conn, item_id) is None  # not for words no longer said
            old = revision_translation(conn, item_id, 1)
        [outcome] = translate_now(config, ws.engine, [item_id])
        with ws.engine.connect() as conn:
            new = latest_translation(conn, item_id)
            texts = list(iter_translation_texts(conn, target="en"))
    assert old is not None and old.revision == 1
    assert outcome.status == TRANSLATED
    assert new is not None and new.revision == 2
    assert new.text == "JNIM claimed responsibility for the attack near Boni"
    assert [(t[1], t[2]) for t in texts] == [(item_id, 1), (item_id, 2)]
    assert texts[1][3] == "Statement\nJNIM claimed responsibility for the attack near Boni"


def test_nothing_is_sent_without_a_configured_engine(settings: Settings) -> None:
    with Workspace.open(settings) as ws:
        item_id = arabic_item(ws)
        with pytest.raises(NoEngineConfigured):
            translate_now(settings, ws.engine, [item_id])


def test_deepl_sees_only_opted_in_sources_and_areas(
    settings: Settings, httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DEEPL_AUTH_KEY", DEEPL_KEY)
    server = FakeDeepL(httpserver)
    dl = settings.translate.deepl.model_copy(update={"url": server.url})
    closed = with_translate(settings, engines=["deepl"], deepl=dl)
    by_area = with_translate(settings, engines=["deepl"], deepl=dl, third_party_areas=["Mali"])
    with Workspace.open(closed) as ws:
        item_id = arabic_item(ws)
        [unsent] = translate_now(closed, ws.engine, [item_id])
        with pytest.raises(NotAllowed, match="third_party_sources"):
            translate_now(closed, ws.engine, [item_id], wanted="deepl")
        assert server.requests == []  # nothing left the machine
        [sent] = translate_now(by_area, ws.engine, [item_id], wanted="deepl")
    assert unsent.status == NO_ENGINE
    assert sent.status == TRANSLATED and sent.translation is not None
    assert sent.translation.engine == "deepl" and sent.translation.source_language == "ar"
    assert len(server.requests) == 1


def test_a_failure_is_reported_per_item_and_nothing_is_stored(
    settings: Settings, lt: FakeLibreTranslate
) -> None:
    config = libre_settings(settings, lt.url)
    lt.fail_next(500, "Cannot translate text: model crashed")
    with Workspace.open(config) as ws:
        item_id = arabic_item(ws)
        [failed, missing] = translate_now(config, ws.engine, [item_id, 999_999])
        with ws.engine.connect() as conn:
            assert latest_translation(conn, item_id) is None
    assert failed.status == FAILED and failed.error is not None
    assert "model crashed" in str(failed.error) and failed.error.retryable
    assert missing.status == FAILED and "no item 999999" in str(missing.error)


def test_background_picks_queued_items_in_its_languages_once(
    settings: Settings, lt: FakeLibreTranslate
) -> None:
    config = libre_settings(settings, lt.url, background_languages=["ar"])
    with Workspace.open(config) as ws:
        arabic = arabic_item(ws)
        russian = ingest_posts(ws, channel("ru_chan", language="ru"), [Post("7", RU_TEXT)])["7"]
        quiet = arabic_item(ws, "نص لا يطابق أي شيء في القوائم", external_id="2")  # not queued
        now = [0.0]
        job = BackgroundTranslator(config, ws.engine, lambda: now[0])
        first = asyncio.run(job.run_once())
        second = asyncio.run(job.run_once())
        with ws.engine.connect() as conn:
            translated = set(conn.execute(sa.select(TRANSLATION.c.item_id)).scalars())
    assert (first.translated, first.failed) == (1, 0)
    assert second.translated == 0 and len(lt.requests) == 1
    assert translated == {arabic}
    assert russian not in translated and quiet not in translated


def test_background_backs_off_after_an_outage_and_honours_retry_after(
    settings: Settings, lt: FakeLibreTranslate
) -> None:
    config = libre_settings(
        settings, lt.url, background_languages=["ar"], backoff_base_seconds=10.0
    )
    with Workspace.open(config) as ws:
        arabic_item(ws)
        now = [100.0]
        job = BackgroundTranslator(config, ws.engine, lambda: now[0])
        lt.fail_next(503, "down for maintenance")
        failed = asyncio.run(job.run_once())
        waiting = asyncio.run(job.run_once())  # inside the backoff: no request
        assert (failed.failed, len(lt.requests)) == (1, 1)
        assert waiting.skipped_until == 110.0 and len(lt.requests) == 1
        now[0] = 110.0
        lt.fail_next(429, "60 per 1 minute", **{"Retry-After": "300"})
        limited = asyncio.run(job.run_once())
        assert limited.failed == 1 and job.resume_at == 410.0  # Retry-After beats 20 s
        now[0] = 410.0
        recovered = asyncio.run(job.run_once())
    assert recovered.translated == 1 and job.failures == 0


def test_background_skips_a_text_the_engine_refuses_and_goes_on(
    settings: Settings, httpserver: HTTPServer
) -> None:
    lt = FakeLibreTranslate(httpserver, char_limit=len(WAGNER_AR) + len(AR_TITLE) + 5)
    config = libre_settings(settings, lt.url, background_languages=["ar"])
    with Workspace.open(config) as ws:
        too_long = arabic_item(ws, WAGNER_AR + " " + AR_TEXT, external_id="1")
        fine = arabic_item(ws, WAGNER_AR, external_id="2")
        job = BackgroundTranslator(config, ws.engine, lambda: 0.0)
        report = asyncio.run(job.run_once())
        with ws.engine.connect() as conn:
            left = due_candidates(conn, config, 10, set(job.refused))
            done = set(conn.execute(sa.select(TRANSLATION.c.item_id)).scalars())
    assert (report.translated, report.failed) == (1, 1)
    assert done == {fine}
    assert too_long not in done and left == []  # refused: not asked again before the cap


def test_background_sets_aside_items_no_engine_may_see(
    settings: Settings, httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DEEPL_AUTH_KEY", DEEPL_KEY)
    server = FakeDeepL(httpserver)
    dl = settings.translate.deepl.model_copy(update={"url": server.url})
    config = with_translate(
        settings,
        engines=["deepl"],
        deepl=dl,
        background_languages=["ar"],
        third_party_sources=["open_ar"],
        batch_size=1,
    )
    with Workspace.open(config) as ws:
        closed = arabic_item(ws)  # sahel_ar: not opted in
        opened = ingest_posts(ws, channel("open_ar", language="ar"), [Post("5", WAGNER_AR)])["5"]
        job = BackgroundTranslator(config, ws.engine, lambda: 0.0)
        runs = [asyncio.run(job.run_once()) for _ in range(3)]
        with ws.engine.connect() as conn:
            done = set(conn.execute(sa.select(TRANSLATION.c.item_id)).scalars())
    assert done == {opened}  # the closed item did not hold the one-item batch forever
    assert closed not in done
    assert sum(r.translated for r in runs) == 1
    assert all("sahel" not in str(r) for r in server.requests)
    assert len(server.requests) == 1
