"""OffsetMap: spans of normalized text back to the exact original characters."""

from __future__ import annotations

import pytest

from sourcewatch.matching.normalize import normalize
from sourcewatch.matching.offsets import OffsetMap


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
