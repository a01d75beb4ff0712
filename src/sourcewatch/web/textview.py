"""Hostile text made safe to show in HTML, with matched spans marked.

The same cleaning as the terminal (``text/sanitize``): control characters removed and
bidi embeddings, overrides and isolates shown as visible ``<U+202E>`` marks, so a post
cannot make a line read differently from its bytes. The text is cut at the match
offsets first and cleaned after, as the CLI does: removing a control character must
not shift a highlight. Jinja's autoescaping then makes every piece inert HTML.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from markupsafe import Markup, escape

from sourcewatch.text.sanitize import terminal_safe


class Located(Protocol):
    """A stored match span (``triage.detail.Span``) or a highlight
    (``matching.highlights.Highlight``): both say where, and what matched."""

    @property
    def start(self) -> int: ...
    @property
    def end(self) -> int: ...
    @property
    def entity(self) -> str | None: ...
    @property
    def alias(self) -> str | None: ...


@dataclass(frozen=True)
class Piece:
    text: str
    label: str | None = None  # set for a matched span: the entity id, or the keyword


def safe(text: str | None) -> str:
    """A string from a source, cleaned for display (newlines kept)."""
    return terminal_safe(text)


def label_of(span: Located) -> str:
    return span.entity or f"keyword {span.alias}"


def pieces(text: str, spans: Sequence[Located]) -> list[Piece]:
    """``text`` cut into plain and matched pieces, each cleaned."""
    result: list[Piece] = []
    position = 0
    for span in sorted(spans, key=lambda s: (s.start, s.end)):
        if span.start < position:
            continue  # overlapping mention: the first one is already highlighted
        if span.start > position:
            result.append(Piece(terminal_safe(text[position : span.start])))
        result.append(Piece(terminal_safe(text[span.start : span.end]), label_of(span)))
        position = span.end
    if position < len(text):
        result.append(Piece(terminal_safe(text[position:])))
    return result


_MARK = re.compile(r"&lt;U\+(20[0-9A-F]{2})&gt;")


def marked(text: str) -> Markup:
    """Cleaned text, HTML-escaped, with each bidi control that ``sanitize`` made visible
    styled as a mark (so it stands out from the words around it)."""
    escaped = str(escape(text))
    return Markup(  # escaped above; only our own span is added
        _MARK.sub(r'<span class="bidi" title="bidi control U+\1">&lt;U+\1&gt;</span>', escaped)
    )
