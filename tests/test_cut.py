"""An item's text cut at max_item_text_chars: the cut is said, never silent."""

from __future__ import annotations

from sourcewatch.text.cut import cut_again, cut_note, cut_text


def test_a_text_within_the_cap_is_left_as_it_is() -> None:
    assert cut_text("short", 10) == ("short", None)
    assert cut_text("x" * 10, 10) == ("x" * 10, None)


def test_a_longer_text_keeps_its_start_and_ends_with_a_note_giving_the_numbers() -> None:
    text, cut = cut_text("abcdefghij" * 300, 1_000)
    assert cut == {"kept_chars": 1_000, "original_chars": 3_000}
    assert text == "abcdefghij" * 100 + cut_note(1_000, 3_000)
    assert text.endswith(
        "[sourcewatch: text cut after 1,000 characters; the source sent 3,000 "
        "(max_item_text_chars); the raw capture keeps all of it]"
    )


def test_a_text_the_parser_cut_already_is_not_cut_twice() -> None:
    once, _ = cut_text("y" * 5_000, 1_000)
    assert cut_again(once, 1_000) == (once, None)
    # A lower cap than the parser's still applies (the numbers are then of the cut text).
    twice, cut = cut_again(once, 500)
    assert cut == {"kept_chars": 500, "original_chars": len(once)}
    assert twice.startswith("y" * 500 + "\n\n[sourcewatch: text cut after 500 characters")
