"""Rendering for the terminal: highlights land on the aliases even in hostile text."""

from __future__ import annotations

from rich.console import Console

from sourcewatch.triage.detail import Span
from sourcewatch.triage.render import MATCH_STYLE, highlighted


def styled(text: str, spans: list[Span], **options: object) -> list[str]:
    rendered = highlighted(text, spans, **options)  # type: ignore[arg-type]
    return [rendered.plain[s.start : s.end] for s in rendered.spans if s.style == MATCH_STYLE]


def test_highlights_survive_escape_sequences_before_the_match() -> None:
    text = "\x1b]0;retitled\x07\x1b[2JAlert: JNIM claimed it near Mali"
    start = text.index("JNIM")
    spans = [
        Span(start, start + 4, "jnim", "JNIM"),
        Span(text.index("Mali"), len(text), "mali", "Mali"),
    ]
    assert styled(text, spans) == ["JNIM", "Mali"]
    assert highlighted(text, spans).plain == "Alert: JNIM claimed it near Mali"


def test_right_to_left_aliases_are_highlighted_whole() -> None:
    text = "أعلنت جماعة نصرة الإسلام والمسلمين مسؤوليتها"
    alias = "جماعة نصرة الإسلام والمسلمين"
    start = text.index(alias)
    assert styled(text, [Span(start, start + len(alias), "jnim", alias)]) == [alias]


def test_overlapping_spans_and_one_line_titles() -> None:
    spans = [Span(0, 6, "wagner", "Wagner"), Span(0, 10, "pmc", "Wagner PMC")]
    assert styled("Wagner PMC\nin Mali", spans, one_line=True) == ["Wagner"]
    assert highlighted("Wagner PMC\nin Mali", spans, one_line=True).plain == "Wagner PMC in Mali"


def test_markup_in_posts_is_printed_literally() -> None:
    console = Console(record=True, width=80, color_system=None)
    console.print(highlighted("[link=https://evil.example]click[/link] [bold]x", []))
    assert "[link=https://evil.example]click[/link] [bold]x" in console.export_text()
