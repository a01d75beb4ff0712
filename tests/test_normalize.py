"""Normalization: what aliases and texts are compared as."""

from __future__ import annotations

import pytest

from sourcewatch.matching.normalize import normalize


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
