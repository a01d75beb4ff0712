"""JSON output: Arabic and Russian stay readable UTF-8; what acts on a terminal is escaped."""

from __future__ import annotations

import io
import json
import sys

import pytest

from readview_support import arabic_lead
from sourcewatch.cli.common import print_json
from sourcewatch.text.jsontext import json_text


def test_non_ascii_stays_utf8_and_round_trips() -> None:
    value = {"text": arabic_lead(), "ru": "ЧВК «Вагнер»"}
    text = json_text(value)
    assert "\\u06" not in text and "وقع الهجوم السابع" in text and "Вагнер" in text
    assert json.loads(text) == value


@pytest.mark.parametrize(
    "char", ["\x9b", "\x85", "\x7f", "\u2028", "\u2029", "\u202e", "\u2066", "\ud800", "\x1b"]
)
def test_terminal_acting_characters_are_escaped(char: str) -> None:
    text = json_text({"t": f"a{char}b"})
    assert char not in text
    assert json.loads(text) == {"t": f"a{char}b"}


def test_print_json_writes_utf8_under_a_latin1_locale(monkeypatch: pytest.MonkeyPatch) -> None:
    raw = io.BytesIO()
    monkeypatch.setattr(sys, "stdout", io.TextIOWrapper(raw, encoding="latin-1"))
    print_json({"place": "إدلب"})
    sys.stdout.flush()
    assert raw.getvalue().decode("utf-8") == '{"place": "إدلب"}\n'
