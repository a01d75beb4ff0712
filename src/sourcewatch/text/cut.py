"""An item's text cut at ``max_item_text_chars``, the cut said in the text itself.

One feed entry, post or article can be as large as the wire cap (20 MiB). Every copy of
its text costs that much again: the parser's, the pickle back from the parse worker,
ingest's normalization for the matcher, language detection, the SQLite or PostgreSQL
parameters. Under hostile sources that multiplied into hundreds of megabytes per poll
(issue 19, bench/results/hostile-memory.md). So an item's text is cut at the parser,
before those copies are made.

Nothing is lost: the raw capture in the object store keeps every byte the source sent
(its SHA-256 is in the item's captures), and the cut is never silent. The kept text ends
with :func:`cut_note`, a line every view shows (CLI, web, exports), and the item's
``extra["text_cut"]`` records the numbers: ``{"kept_chars": ..., "original_chars": ...}``.
"""

from __future__ import annotations

from typing import Any

DEFAULT_MAX_ITEM_TEXT_CHARS = 1_000_000
EXTRA_KEY = "text_cut"


def cut_note(kept: int, original: int) -> str:
    """The line that ends a cut text (an analyst reads it wherever the text is shown)."""
    return (
        f"\n\n[sourcewatch: text cut after {kept:,} characters; the source sent "
        f"{original:,} (max_item_text_chars); the raw capture keeps all of it]"
    )


def cut_text(text: str, limit: int) -> tuple[str, dict[str, Any] | None]:
    """``text`` at most ``limit`` characters long (plus the note), and the record of the
    cut for ``extra["text_cut"]`` (None when nothing was cut)."""
    if len(text) <= limit:
        return text, None
    return text[:limit] + cut_note(limit, len(text)), cut_record(limit, len(text))


def cut_record(kept: int, original: int) -> dict[str, Any]:
    return {"kept_chars": kept, "original_chars": original}


_NOTE_END = "the raw capture keeps all of it]"
_NOTE_MAX_CHARS = 200


def cut_again(text: str, limit: int) -> tuple[str, dict[str, Any] | None]:
    """:func:`cut_text` for a text that a parser may have cut already (with the same
    limit): such a text, ``limit`` characters and its note, is left as it is."""
    if len(text) <= limit + _NOTE_MAX_CHARS and text.endswith(_NOTE_END):
        return text, None
    return cut_text(text, limit)
