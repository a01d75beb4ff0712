"""A short excerpt around the first matches, in the original script, safe to print.

The excerpt is cut on word boundaries around the first match (up to ``WIDTH``
characters), newlines become spaces, and ``terminal_safe`` removes escape sequences
and shows bidi controls; ``spans`` are the matches' places in the cleaned excerpt.
Right-to-left runs are left to the terminal's bidi layout; the CLI wraps each
highlighted match in first-strong isolates so Arabic words do not reorder the line.
"""

from __future__ import annotations

from dataclasses import dataclass

from sourcewatch.text.sanitize import terminal_safe

WIDTH = 200


@dataclass(frozen=True)
class Snippet:
    text: str
    spans: tuple[tuple[int, int], ...]
    start: int  # where the excerpt starts in the searched text
    cut_left: bool
    cut_right: bool


def make_snippet(text: str, spans: list[tuple[int, int]], width: int = WIDTH) -> Snippet:
    """The excerpt of ``text`` around ``spans`` (sorted, original offsets)."""
    if spans:
        first = spans[0][0]
        start = max(0, first - width // 3)
    else:
        start = 0
    end = min(len(text), start + width)
    if start > 0:
        space = text.rfind(" ", max(0, start - 20), start)
        start = space + 1 if space >= 0 else start
    if end < len(text):
        space = text.find(" ", end, min(len(text), end + 20))
        end = space if space >= 0 else end
    pieces: list[str] = []
    shown: list[tuple[int, int]] = []
    cursor = start
    length = 0
    for span_start, span_end in spans:
        span_start, span_end = max(span_start, cursor), min(span_end, end)
        if span_start >= span_end:
            continue
        before = _clean(text[cursor:span_start])
        match = _clean(text[span_start:span_end])
        pieces += [before, match]
        length += len(before)
        shown.append((length, length + len(match)))
        length += len(match)
        cursor = span_end
    pieces.append(_clean(text[cursor:end]))
    return Snippet("".join(pieces), tuple(shown), start, start > 0, end < len(text))


def _clean(piece: str) -> str:
    """Safe to print, on one line (spaces at the ends kept: pieces are joined)."""
    return terminal_safe(piece).replace("\n", " ").replace("\t", " ")
