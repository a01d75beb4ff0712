"""terminal_safe: hostile text is printable; right-to-left text survives intact."""

from __future__ import annotations

import pytest

from sourcewatch.text.sanitize import terminal_safe

RETITLE = "\x1b]0;You have been pwned\x07"  # OSC 0: set the window title
CLIPBOARD = "\x1b]52;c;cm0gLXJmIH4=\x1b\\"  # OSC 52: write to the clipboard
CLEAR_AND_HOME = "\x1b[2J\x1b[H"  # CSI: clear the screen, cursor home
HYPERLINK = "\x1b]8;;https://evil.example\x1b\\click\x1b]8;;\x1b\\"  # OSC 8 link
EIGHT_BIT_CSI = "\x9b2J"  # C1 CSI: the same clear, in one byte


@pytest.mark.parametrize(
    ("hostile", "expected"),
    [
        (RETITLE + "JNIM claim", "JNIM claim"),
        (CLIPBOARD + "text", "text"),
        (CLEAR_AND_HOME + "\x1b[1;31mALERT\x1b[0m", "ALERT"),
        (HYPERLINK, "click"),
        (EIGHT_BIT_CSI + "after", "after"),
        ("\x1bPq#0;2;0;0;0#1~~@@\x1b\\sixel gone", "sixel gone"),
        ("bell\x07 backspace\x08 nul\x00 del\x7f", "bell backspace nul del"),
        ("carriage\roverwrite", "carriage\noverwrite"),  # \r cannot rewrite the line
        ("unterminated \x1b]0;title to the end", "unterminated "),
        ("lone escape \x1b", "lone escape "),
    ],
)
def test_escape_sequences_and_controls_are_removed(hostile: str, expected: str) -> None:
    assert terminal_safe(hostile) == expected


def test_bidi_overrides_are_shown_not_obeyed() -> None:
    # "invoice_\u202egpj.exe" displays as "invoice_exe.jpg" in a bidi-aware terminal.
    assert terminal_safe("invoice_\u202egpj.exe") == "invoice_<U+202E>gpj.exe"
    isolates = "\u2066a\u2067b\u2068c\u2069 \u202ad\u202be\u202c"
    assert terminal_safe(isolates) == (
        "<U+2066>a<U+2067>b<U+2068>c<U+2069> <U+202A>d<U+202B>e<U+202C>"
    )


@pytest.mark.parametrize(
    "text",
    [
        "أعلنت جماعة نصرة الإسلام والمسلمين مسؤوليتها عن الهجوم",  # Arabic
        "د تحریک طالبان پاکستان وياند وايي چې بريد يې کړی",  # Pashto
        "طالبان می‌گویند که حمله را انجام داده‌اند",  # Dari, with ZWNJ (U+200C)
        "قال \u200fالمتحدث\u200e (JNIM) إن 12 جنديا قتلوا",  # RLM/LRM marks, mixed digits
        "עדכון: הותקף מוצב",  # Hebrew
    ],
)
def test_right_to_left_text_is_left_intact(text: str) -> None:
    assert terminal_safe(text) == text


def test_line_separators_become_newlines_and_single_line_mode_joins() -> None:
    assert terminal_safe("a\u2028b\u2029c\x85d") == "a\nb\nc\nd"
    assert terminal_safe("one\n two\r\nthree\t", keep_newlines=False) == "one two three"
    assert terminal_safe(None) == "" and terminal_safe("") == ""


def test_nothing_that_starts_a_sequence_survives_a_mixed_attack() -> None:
    hostile = RETITLE + CLEAR_AND_HOME + "\u202e" + CLIPBOARD + HYPERLINK + EIGHT_BIT_CSI
    cleaned = terminal_safe(hostile * 3)
    assert not any(ch in cleaned for ch in "\x1b\x9b\x9d\x07\x90\x9c\u202e")
