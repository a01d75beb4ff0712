"""Language on every item: declared by the source, stated by the platform, or detected
offline (lingua), with the method recorded; on real recorded posts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from sourcewatch.collectors.telegram.telethon_items import items_from_dump
from sourcewatch.collectors.telegram.webpage import parse_page
from sourcewatch.ingest.writer import ingest
from sourcewatch.records import PollResult, RawCapture
from sourcewatch.sources.config import SourceConfig
from sourcewatch.text.language import detect_language, item_language

TELEGRAM = Path(__file__).parent / "fixtures" / "telegram"
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
