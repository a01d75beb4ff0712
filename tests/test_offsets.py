"""OffsetMap: spans of normalized text back to the exact original characters."""

from __future__ import annotations

import itertools
import re
import unicodedata

import pytest

from sourcewatch.matching.normalize import FOLD_TABLE, collapse, fold, fold_parts, normalize
from sourcewatch.matching.offsets import FIRST_KEPT_MARK, OffsetMap, OneToOneMap, offset_map


@pytest.mark.parametrize(
    ("text", "needle", "original"),
    [
        ("The (ISIS) cells", "isis", "ISIS"),
        ("Wag\u00adner’s men", "wagners", "Wag\u00adner’s"),
        ("قال الْقَاعِدَةُ اليوم", "القاعده", "الْقَاعِدَةُ"),
        ("ЧВК  «Вагнер»!", "чвк вагнер", "ЧВК  «Вагнер"),
        ("ＩＳＩＳ claimed", "isis", "ＩＳＩＳ"),
        ("x ﻻ y", "لا", "ﻻ"),  # one original character became two
        ("straße Mali", "mali", "Mali"),
    ],
)
def test_offset_map_points_into_original(text: str, needle: str, original: str) -> None:
    offsets = OffsetMap(text)
    assert offsets.normalized == normalize(text)
    start = offsets.normalized.index(needle)
    a, b = offsets.original_span(start, start + len(needle))
    assert text[a:b] == original


def test_offset_map_of_every_character_is_monotonic() -> None:
    text = "L’État islamique — ИГИЛ, داعـــش و\u200bالقاعدة; ＩＳ ß"
    offsets = OffsetMap(text)
    spans = [offsets.original_span(i, i + 1) for i in range(len(offsets.normalized))]
    starts = [a for a, _ in spans]
    assert starts == sorted(starts)
    assert all(0 <= a < b <= len(text) for a, b in spans if a != b)


def test_text_holding_the_internal_separator_still_maps() -> None:
    text = "NUL\x00here and ISIS there"
    offsets = OffsetMap(text)
    assert offsets.normalized == normalize(text)
    start = offsets.normalized.index("isis")
    a, b = offsets.original_span(start, start + 4)
    assert text[a:b] == "ISIS"


# Texts for the one-to-one map: apostrophes deleted or kept by an elision, runs of
# punctuation, leading spaces, spacing marks (Devanagari), and a text that needs the
# general map (marks, NFKC, ß).
_FAST_PATH_TEXTS = [
    "Karami’s men, near   the  town... (ISIS)",
    "  l'État islamique et qu'il d’Al-Qaïda's ``cell``",
    "ЧВК  «Вагнер»!  ИГИЛ,, قال القاعدة  اليوم",
    "रामकिशोर कि\u0903 ISIS क\u093f क\u093f'क\u093f",
    "x'y' 'z l'a d'' ",
    "قال الْقَاعِدَةُ ＩＳＩＳ straße",
]


@pytest.mark.parametrize("given_by_fold", [True, False])
@pytest.mark.parametrize("text", [*_FAST_PATH_TEXTS, "a\u00a0b’s \x1b[1mISIS\x1b[0m x"])
def test_one_to_one_map_agrees_with_the_general_map(text: str, given_by_fold: bool) -> None:
    folded, kept_length = fold_parts(text)
    normalized = collapse(folded)
    general = OffsetMap(text)
    assert general.normalized == normalized
    fast = offset_map(text, folded, normalized, kept_length if given_by_fold else None)
    words = [m.span() for m in re.finditer(r"\S+", normalized)]
    spans = words + [(a, b) for (a, _), (_, b) in itertools.pairwise(words)]
    spans += [(i, i + 1) for i, ch in enumerate(normalized) if ch != " "]
    for start, end in spans:
        assert fast.original_span(start, end) == general.original_span(start, end), (start, end)


def test_the_fast_path_is_taken_for_ordinary_posts() -> None:
    for text in _FAST_PATH_TEXTS[:5]:
        folded = fold(text)
        assert isinstance(offset_map(text, folded, collapse(folded)), OneToOneMap)


def test_no_table_entry_expands_a_character_that_nfkc_and_casefold_keep() -> None:
    """offset_map's premise: with NFKC a no-op and case folding not expanding, the fold
    only deletes characters, so the length lost counts the deletions."""
    for cp in range(0x10000):
        ch = chr(cp)
        if 0xD800 <= cp < 0xE000 or not unicodedata.is_normalized("NFKC", ch):
            continue
        cased = ch.casefold()
        if len(cased) == 1:
            entry = FOLD_TABLE[ord(cased)]
            assert not (isinstance(entry, str) and len(entry) > 1), hex(cp)


def test_no_spacing_mark_before_the_first_kept_mark() -> None:
    marks = [cp for cp in range(0x10000) if unicodedata.category(chr(cp)) == "Mc"]
    assert chr(min(marks)) == FIRST_KEPT_MARK
