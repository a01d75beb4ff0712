"""Language on every item: declared by the source, stated by the platform, or detected
offline (lingua), with the method recorded; on real recorded posts."""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from sourcewatch.collectors.news.feedparse import parse_feed
from sourcewatch.collectors.telegram.telethon_items import items_from_dump
from sourcewatch.collectors.telegram.webpage import parse_page
from sourcewatch.ingest.writer import ingest
from sourcewatch.records import PollResult, RawCapture
from sourcewatch.sources.config import SourceConfig
from sourcewatch.text.language import MAX_CHARS, detect_language, item_language, language_sample

FIXTURES = Path(__file__).parent / "fixtures"
TELEGRAM = FIXTURES / "telegram"
LABELED = Path(__file__).parent.parent / "bench" / "data" / "labeled_posts.jsonl"
TOPWAR = (TELEGRAM / "any2feed_topwar_official_channel_page.html").read_bytes()


@pytest.mark.parametrize(
    ("fixture", "channel", "language"),
    [
        ("telethon_tapForUkraine_channel_messages.json", None, "it"),
        ("telethon_chp_chechnya_channel_messages.json", "chp_chechnya", "ru"),
        ("telethon_newsgraber_message_999.json", None, "ru"),
    ],
)
def test_recorded_posts_are_detected_in_their_language(
    fixture: str, channel: str | None, language: str
) -> None:
    items = items_from_dump((TELEGRAM / fixture).read_bytes(), channel)
    found = [detect_language(item.text) for item in items if len(item.text) > 40]
    assert found and all(code == language for code in found)


def test_ukrainian_is_not_taken_for_russian() -> None:
    items = items_from_dump(
        (TELEGRAM / "telethon_ditirodt_Ukraine_channel_messages.json").read_bytes(), None
    )
    found = [detect_language(item.text) for item in items if len(item.text) > 200]
    assert found.count("uk") >= 0.9 * len(found)


def test_too_little_text_is_undetermined_not_a_guess() -> None:
    assert detect_language("ok") is None  # lingua alone says Zulu
    assert detect_language("🇺🇦🇺🇦 https://t.me/x") is None
    assert item_language(None, None, None, "ok") == (None, "undetermined")


def test_the_order_source_platform_detected() -> None:
    text = "Пользователи сообщают о взрывах в районе аэропорта"
    assert item_language(None, "ar", None, text) == ("ar", "source")
    assert item_language("en", None, None, text) == ("en", "platform")
    assert item_language("AR", "ar", None, text) == ("ar", "source")
    assert item_language("pt_BR", "en", None, text) == ("pt-br", "platform")
    assert item_language(None, None, None, text) == ("ru", "detected")


def _stored_languages(workspace: Any, source: SourceConfig) -> list[tuple[str, str, str]]:
    with workspace.engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT i.external_id, i.language, i.language_method FROM item i "
                "JOIN source s ON s.id = i.source_id WHERE s.name = :name ORDER BY i.external_id"
            ),
            {"name": source.name},
        ).all()
    return [tuple(row) for row in rows]


def test_telegram_items_take_the_source_declared_language(workspace: Any) -> None:
    """Issue 18: Telegram items got ``lang: null`` although the source said ``ar``."""
    source = SourceConfig(name="tw-ar", kind="telegram", target="topwar_official", language="ar")
    capture = RawCapture(url="https://t.me/s/topwar_official", body=TOPWAR)
    items = [post.item for post in parse_page(TOPWAR).posts]
    for item in items:
        item.capture_sha256s.append(capture.sha256)
    ingest(workspace, source, PollResult(captures=[capture], items=items))

    stored = _stored_languages(workspace, source)
    assert len(stored) == 12 and all(row[1:] == ("ar", "source") for row in stored)


def test_items_of_a_source_without_a_language_are_detected(workspace: Any) -> None:
    source = SourceConfig(name="tw", kind="telegram", target="topwar_official")
    capture = RawCapture(url="https://t.me/s/topwar_official", body=TOPWAR)
    items = [post.item for post in parse_page(TOPWAR).posts]
    for item in items:
        item.capture_sha256s.append(capture.sha256)
    ingest(workspace, source, PollResult(captures=[capture], items=items))

    stored = _stored_languages(workspace, source)
    assert len(stored) == 12 and all(row[1:] == ("ru", "detected") for row in stored)


def test_a_dump_imported_keeps_json_lang_as_platform(workspace: Any, tmp_path: Path) -> None:
    from sourcewatch.ingest.imports import import_file

    source = SourceConfig(
        name="notes", kind="feed", target="https://example.org/feed", language="fr"
    )
    path = tmp_path / "items.jsonl"
    lines = [
        {
            "external_id": "1",
            "text": "Ceci est un communiqué sur la situation au Sahel.",
            "lang": "fr",
        },
        {
            "external_id": "2",
            "text": "This is a statement on the situation in the Sahel.",
            "lang": "en",
        },
        {"external_id": "3", "text": "Texte sans langue indiquée, la source dit français."},
    ]
    path.write_text("\n".join(json.dumps(line) for line in lines))
    import_file(workspace, path, source, "jsonl")

    assert _stored_languages(workspace, source) == [
        ("1", "fr", "source"),
        ("2", "en", "platform"),
        ("3", "fr", "source"),
    ]


def _recorded_texts() -> list[str]:
    """Every recorded text at hand: Telegram dumps and pages, two news feeds, the 308
    labeled posts of the matching benchmark (ar, fa, ru, uk, fr, en, ...)."""
    texts = [json.loads(line)["text"] for line in LABELED.read_text().splitlines()]
    for dump in sorted(TELEGRAM.glob("telethon_*.json")):
        texts += [item.text for item in items_from_dump(dump.read_bytes(), None)]
    for page in sorted(TELEGRAM.glob("*.html")):
        texts += [post.item.text for post in parse_page(page.read_bytes()).posts]
    for feed in ("rss-parser__guardian.rss", "wordpress__wordpress-org-news.xml"):
        body = (FIXTURES / "news" / feed).read_bytes()
        texts += [entry.text for entry in parse_feed(body, url="https://example.org/").entries]
    return [text for text in texts if text]


def _whole_text_sample(text: str) -> str:
    """The sample as taken before: links replaced over the first 64 x MAX_CHARS."""
    from sourcewatch.text.language import _NOT_LANGUAGE

    return _NOT_LANGUAGE.sub(" ", text[: MAX_CHARS * 64])[:MAX_CHARS]


def test_the_sample_is_the_start_of_the_text_without_links() -> None:
    text = "Claims https://t.me/amaq/1 and @amaq_agency #breaking, see www.example.org/x now"
    assert language_sample(text) == "Claims   and    , see   now"
    assert len(language_sample("word " * 1000)) == MAX_CHARS


def _links_then_text(eaten: int, token: str, token_at: int, text: str) -> str:
    """30 links that the sample loses ``eaten`` characters to, recorded text, then
    ``token`` (a link or handle) starting at ``token_at``, then the text again."""
    links = ["https://t.me/" + "x" * (eaten // 30 - 13)] * 30
    links[0] += "y" * (eaten - 30 * (len(links[1]) - 1))
    head = " ".join(links) + " "
    return head + text[: token_at - 1 - len(head)] + " " + token + " " + text


def test_the_sample_does_not_depend_on_how_much_text_is_read_at_once() -> None:
    """Links are replaced over the first lines only, cut at a space: on every recorded
    text the sample is the one the whole text gives; and so it is when links ate so
    much of the first lines that the sample's end falls where that first pass ends,
    on a link or handle there (a pass cut inside "https://" would keep "http")."""
    texts = _recorded_texts()
    assert len(texts) > 400 and sum(len(t) > 3 * MAX_CHARS for t in texts) > 30
    words = "".join(c for c in " ".join(texts[:50]) if c.isalpha() or c == " ")
    tokens = ("https://www.example.org/a", "@handle", "www.example.com/x", "#tag", "tg://x")
    crafted = [
        _links_then_text(eaten, token, at, words)
        for eaten in range(780, 801)
        for token in tokens
        for at in range(3 * MAX_CHARS - 10, 3 * MAX_CHARS + 1)
    ]
    for text in [*texts, *crafted, "x" * 5000, " " * 3000]:
        assert language_sample(text) == _whole_text_sample(text)


def test_detection_of_recorded_texts_is_unchanged() -> None:
    """The language of every recorded text, detected from the sample, is the one lingua
    gives for the sample taken from the whole text."""
    from sourcewatch.text.language import _detector

    texts = _recorded_texts()
    found = [detect_language(text) for text in texts]
    expected = []
    for text in texts:
        sample = _whole_text_sample(text)
        if sum(char.isalpha() for char in sample) < 12:
            expected.append(None)
            continue
        language = _detector().detect_language_of(sample)
        expected.append(language.iso_code_639_1.name.lower() if language else None)
    assert found == expected
    assert {"ar", "fa", "ru", "uk", "fr", "en", "it"} <= set(found)


def test_threads_detecting_at_once_build_one_detector(monkeypatch: pytest.MonkeyPatch) -> None:
    """The first detections of several threads share one detector: each built its own
    (90 MB, 0.4 s holding the GIL) when the cache was functools.cache."""
    import lingua

    from sourcewatch.text import language

    monkeypatch.setattr(language, "_built", [])
    builds: list[int] = []
    real_build = lingua.LanguageDetectorBuilder.build
    started = threading.Barrier(4)

    def counted_build(self: Any) -> Any:
        builds.append(1)
        return real_build(self)

    monkeypatch.setattr(lingua.LanguageDetectorBuilder, "build", counted_build)

    def detect() -> str | None:
        started.wait(timeout=60)  # all four ask at once (a hang guard, not a timing)
        return language.detect_language("Бойцы покинули город после трёх дней боёв.")

    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(lambda _: detect(), range(4)))
    assert answers == ["ru"] * 4
    assert builds == [1]
