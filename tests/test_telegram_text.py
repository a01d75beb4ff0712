"""Telegram text as the reader saw it, from both backends, on real recorded posts.

Fixtures (provenance in fixtures/telegram/SOURCES.md): a saved t.me/s post whose links
end in ``<br>``, and Telethon dumps whose link labels are whitespace only, end in a line
break or a space, and sit after emoji (UTF-16 offsets).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from sourcewatch.collectors.telegram.telethon_items import items_from_dump, render_text
from sourcewatch.collectors.telegram.text import link_text, utf16_spans
from sourcewatch.collectors.telegram.webpage import parse_page

FIXTURES = Path(__file__).parent / "fixtures" / "telegram"
CAMARA = FIXTURES / "tchan_CamaradosDeputados_7334_link_br.html"
UKRAINE = FIXTURES / "telethon_ditirodt_Ukraine_channel_messages.json"
NEWSGRABER = FIXTURES / "telethon_newsgraber_message_999.json"
REGIONALITY = FIXTURES / "telethon_neuro_regionality_message_553.json"

URL_ON_ITS_OWN_LINE = re.compile(r"(?:^|\n)\((?:https?|tg)://")


def test_web_link_ending_in_br_keeps_its_line_break() -> None:
    text = parse_page(CAMARA.read_bytes()).posts[0].item.text

    assert "crimes sexuais contra crianças (http://bit.ly/3Tq1C4G)\n#Punição_ampliada\n" in text
    assert "clicando aqui! (http://bit.ly/3PCX1vn)\n____\n" in text
    assert ")#" not in text and ")_" not in text


def test_web_text_equals_the_page_with_link_urls_taken_out() -> None:
    """What a browser shows (``<br>`` as newline, whitespace collapsed), link for link."""
    text = parse_page(CAMARA.read_bytes()).posts[0].item.text
    shown = re.sub(r" \((?:https?|tg)://[^ ()]*\)", "", text)

    assert shown.startswith("_\n\n✍️ CÂMARA APROVA\n_\n\n\n🔸 Projeto que aumenta penas")
    assert "\n#Poda_de_árvores\n🗳 Opine sobre esta proposta clicando aqui!\n____\n" in shown


def test_telethon_whitespace_only_labels_keep_their_urls() -> None:
    messages = json.loads(UKRAINE.read_bytes())
    items = {item.external_id: item for item in items_from_dump(UKRAINE.read_bytes(), None)}
    expected = lost = 0
    for message in messages:
        item = items.get(str(message["id"]))
        for entity in message.get("entities") or []:
            if entity["_"] == "MessageEntityTextUrl" and item is not None:
                expected += 1
                lost += f"({entity['url']})" not in item.text and entity["url"] not in item.text
    assert expected == 898
    assert lost == 0


def test_telethon_label_ending_in_newline_keeps_its_url_on_its_line() -> None:
    items = {i.external_id: i for i in items_from_dump(UKRAINE.read_bytes(), None)}
    text = items["83"].text
    lines = text.split("\n")

    assert lines[2] == (
        "Загальна інформація (https://uahelpinfo.notion.site/67f1e9d0343f43db8cf6040464982227)"
    )
    assert lines[3].startswith("Гарячі лінії (https://uahelpinfo.notion.site/")
    assert lines[6].startswith("Грошова допомога (https://uahelpinfo.notion.site/")
    assert lines[6].endswith(
        "(https://docs.google.com/document/d/"
        "1jfD3Wp_t-nk060qOU659EUC07dVxgUdQJTI2wVrHaL4/edit?usp=sharing)"
    )
    assert lines[7].startswith("Житло (")
    assert not any(URL_ON_ITS_OWN_LINE.search(i.text) for i in items.values())


def test_telethon_label_ending_in_space_does_not_glue_the_next_word() -> None:
    item = items_from_dump(NEWSGRABER.read_bytes(), "mosprom")[0]

    assert "«Моспром studweek» (https://otkroimosprom.ru/project/studweek/) пройдет" in item.text
    assert "на сайте (https://otkroimosprom.ru/vacancy/) и заполнить" in item.text


def test_telethon_offsets_are_utf16_units() -> None:
    # "🇺🇸США\n\n" is 4 UTF-16 units of flag, then 3 letters: the first link starts at 9.
    message = next(m for m in json.loads(UKRAINE.read_bytes()) if m["id"] == 83)
    first = min(
        (e for e in message["entities"] if e["_"] == "MessageEntityTextUrl"),
        key=lambda e: e["offset"],
    )
    assert first["offset"] == 9
    start, end = utf16_spans(message["message"], [(first["offset"], first["length"])])[0] or (0, 0)
    assert message["message"][start:end] == "Загальна інформація\n"


def test_utf16_spans_refuse_a_split_emoji_and_out_of_range() -> None:
    text = "a😀b"  # units: a, high, low, b
    assert utf16_spans(text, [(0, 1), (1, 2), (3, 1)]) == [(0, 1), (1, 2), (2, 3)]
    assert utf16_spans(text, [(2, 1), (1, 1), (3, 2), (0, 0)]) == [None, None, None, None]


def test_links_that_fit_no_text_are_kept_beside_it() -> None:
    """A recorded message whose text was lost but whose link entity remained."""
    item = items_from_dump(REGIONALITY.read_bytes(), None)[0]

    assert item.extra["links_outside_text"] == [
        "https://www.vinnytsia.today/u-misti-bar-vstanovili-vertep-z-olegom-vinnikom/"
    ]


def test_link_text_rules() -> None:
    assert link_text("word ", "https://a.example/") == "word (https://a.example/) "
    assert link_text(" word", "https://a.example/") == " word (https://a.example/)"
    assert link_text("\n", "https://a.example/") == " (https://a.example/)\n"
    assert link_text("#tag ", "https://t.me/s/x?q=%23tag") == "#tag "
    assert link_text("label\n", "javascript:alert(1)") == "label\n"
    assert (
        render_text(
            "x [y] z",
            [{"_": "MessageEntityTextUrl", "offset": 2, "length": 4, "url": "https://a.example/"}],
        )
        == "x [y] (https://a.example/) z"
    )


NEWSGRABER_MORE = FIXTURES / "telethon_newsgraber_messages_910_1034.json"


def test_hidden_link_preview_keeps_its_url_apart_from_the_text() -> None:
    """A zero-width-space label (the hidden link-preview trick) is not a word."""
    items = {i.external_id: i for i in items_from_dump(NEWSGRABER_MORE.read_bytes(), None)}
    text = items["1034"].text

    assert text.startswith("(https://telegra.ph/file/3fefcd73b4f5fcf7c8636.jpg) \u200b")
    assert "📚 Министерство науки" in text


def test_a_text_link_labelled_like_a_hashtag_keeps_its_url() -> None:
    items = {i.external_id: i for i in items_from_dump(NEWSGRABER_MORE.read_bytes(), None)}

    assert "#ПолитехПетра на связи (СПбПУ) (https://tgstat.ru/channel/@polytech_petra)" in (
        items["910"].text
    )


def test_mentions_and_tags_that_say_where_they_go_stay_bare() -> None:
    assert link_text("@rybar", "https://t.me/rybar") == "@rybar"
    assert link_text("@rybar", "https://evil.example/") == "@rybar (https://evil.example/)"
    assert link_text("#tag", "https://t.me/s/chan?q=%23tag") == "#tag"
