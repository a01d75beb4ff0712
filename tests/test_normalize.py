"""Normalization: what aliases and texts are compared as."""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path

import pytest

from sourcewatch.matching.normalize import (
    _ELIDED,
    _ESCAPES,
    _TYPOGRAPHY,
    FOLD_TABLE,
    normalize,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ISIS", "isis"),
        ("Jama'at", "jamaat"),
        ("Jama’at", "jamaat"),
        ("Jamāʿat", "jamaat"),
        ("al-Islam", "al islam"),
        ("al\u2011Islam / al — Islam", "al islam al islam"),
        ("ЧВК «Вагнер»", "чвк вагнер"),
        ("Ёлка ЁЛКА", "елка елка"),
        ("Буркина-Фасо", "буркина фасо"),
        ("Wag\u00adner", "wagner"),  # soft hyphen
        ("IS\u200bIS \u200c\u200d\ufeff", "isis"),  # zero-width characters
        ("داعـــش", "داعش"),  # tatweel
        ("الْقَاعِدَةُ", "القاعده"),  # harakat; ة → ه
        ("أحمد إسلام آمن ٱلله", "احمد اسلام امن الله"),  # hamza forms of alef
        ("مسؤول قائد", "مسوول قايد"),  # hamza seats
        ("مستشفى", "مستشفي"),  # ى → ي
        ("حقانی شبکه", "حقاني شبكه"),  # Persian ی and ک
        ("Al-Qaïda, État, Burkinabè", "al qaida etat burkinabe"),
        ("l’État islamique d'Al-Qaïda", "l etat islamique d al qaida"),  # French elision
        ("ＩＳＩＳ ﻻ", "isis لا"),  # NFKC: full-width, presentation forms
        ("straße", "strasse"),  # case folding
        ("٢٠٢٣ ۱۴۰۲", "2023 1402"),  # Arabic-Indic digits
        ("  many   spaces\n\tand\u00a0nbsp  ", "many spaces and nbsp"),
        ("#ЧВК_Вагнер", "чвк вагнер"),
    ],
)
def test_normalize(text: str, expected: str) -> None:
    assert normalize(text) == expected


def test_cyrillic_short_i_is_kept() -> None:
    assert normalize("Юнус-Бек Евкуров, Йемен") == "юнус бек евкуров йемен"


def test_escape_sequences_do_not_glue_to_words() -> None:
    assert normalize("\x1b[31mISIS\x1b[0m") == "isis"


def _reference_normalize(text: str) -> str:
    """normalize() as first written (one str.translate, str.split, a loop for elisions):
    the fast paths must give exactly this."""
    text = _ESCAPES.sub("", text)
    for typographic, plain in _TYPOGRAPHY:
        text = text.replace(typographic, plain)
    folded = unicodedata.normalize("NFKC", text).casefold()
    chars = list(folded)
    for at, ch in enumerate(folded):
        if ch not in "'\u2018\u2019\u02bc" or at + 1 >= len(folded):
            continue
        if not (folded[at + 1].isalnum() or folded[at + 1] == "_"):
            continue
        start = at
        while (
            start > 0
            and at - start < 6
            and (folded[start - 1].isalnum() or folded[start - 1] == "_")
        ):
            start -= 1
        word_before = start > 0 and (folded[start - 1].isalnum() or folded[start - 1] == "_")
        if folded[start:at] in _ELIDED and not word_before:
            chars[at] = " "
    return " ".join("".join(chars).translate(FOLD_TABLE).split())


def _reference_texts() -> list[str]:
    posts = Path(__file__).parent.parent / "bench" / "data" / "labeled_posts.jsonl"
    texts = [json.loads(line)["text"] for line in posts.read_text("utf-8").splitlines()]
    every_char = "".join(chr(cp) for cp in range(0x10000) if not 0xD800 <= cp < 0xE000)
    texts += [f"x{every_char[i : i + 89]} y" for i in range(0, len(every_char), 89)]
    texts += [
        "l'État qu'il jusqu’à lorsqu'on L'ÉTAT aujourd'hui d''x l' y",
        "l'l'a xl'a _l'a l'_a  d’Al-Qaïda  ",
        "\x1b[31mISIS\x1b[0m, Jama'at — “al-Shabaab”\u00a0 – ",
        "ЧВК «Вагнер»\ud800, ИГИЛ; 😀 𝕏 l'État — x",  # the UTF-8 bytes path, a lone surrogate
        "Сирия: бои у Пальмиры (2024) — «Вагнер» и ХТШ!",
    ]
    return texts


def test_normalize_equals_the_reference_implementation() -> None:
    for text in _reference_texts():
        assert normalize(text) == _reference_normalize(text), repr(text)
