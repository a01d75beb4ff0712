"""The text searched for one item revision, and the words it is indexed under.

Title and text come from the revision (so a claim edited away stays findable in the
revision that had it); author, forwarded-from and the names of media and link previews
from the item. Fields are joined by blank lines, title and text first, as the matcher
reads an item (``matching.itemtext``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from sourcewatch.matching.itemtext import SEPARATOR, matchable_text
from sourcewatch.matching.normalize import collapse, normalize

# Words longer than this are not indexed (PostgreSQL refuses lexemes over 2 KB; no
# real word is this long). The matcher still reads the whole text when verifying.
MAX_WORD = 200
# The indexed words of one revision stop here (PostgreSQL refuses a tsvector over 1 MB;
# this many characters stay well under it in any script). Both databases index the
# same words, so both miss a word that first appears beyond it (an article this long
# is rare: 300,000 characters is a book chapter).
MAX_INDEXED_CHARS = 300_000

# An index word is a run of word characters (``\w``: what the matcher's word boundaries
# are made of) or, apart, a run of what else normalization keeps (emoji, flags, some
# marks). As one word, "🇷🇺гао" hid Гао from a search while the matcher flagged the post.
_SYMBOL = re.compile(r"[^\w\s]")
_WORD_MEETS_SYMBOL = re.compile(r"(?<=\w)(?=[^\w\s])|(?<=[^\w\s])(?=\w)")
_LONG_WORD = re.compile(rf"[^ ]{{{MAX_WORD + 1},}}")

# Values of ``item.extra`` that are this item's own words (the rest are ids, counts, or
# another post's text, such as the one replied to).
_EXTRA_TEXT_KEYS = ("forwarded_from_name", "forwarded_signature", "signature")


def searchable_text(
    title: str | None,
    text: str,
    author: str | None,
    forwarded_from: str | None,
    media: Iterable[Mapping[str, Any]] | None,
    extra: Mapping[str, Any] | None,
) -> str:
    """Everything a search looks at for one revision, as one string."""
    parts = [matchable_text(title, text)[0]]
    for value in (author, forwarded_from):
        if value:
            parts.append(value)
    for key in _EXTRA_TEXT_KEYS:
        value = (extra or {}).get(key)
        if isinstance(value, str) and value:
            parts.append(value)
    poll = (extra or {}).get("poll")
    if isinstance(poll, Mapping):
        parts.extend(_strings(poll))
    for ref in media or ():
        for key in ("name", "alt", "caption"):
            value = ref.get(key)
            if isinstance(value, str) and value:
                parts.append(value)
    return SEPARATOR.join(part for part in parts if part)


def _strings(value: Any) -> list[str]:
    """Every string inside a JSON value (a poll's question and answers)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, Mapping):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


def index_words(searchable: str) -> str:
    """The normalized words of ``searchable``, space-separated, as stored and indexed.

    Normalized text is already words separated by single spaces; the words too long to
    index are cut out of it rather than the text split into a list and joined again:
    the list of a 500,000-character text's words is ~100,000 str objects, 12 times the
    text, which was the largest allocation of an import (issue 19)."""
    joined = split_at_symbols(normalize(searchable))
    if _LONG_WORD.search(joined):
        joined = collapse(_LONG_WORD.sub(" ", joined))
    if len(joined) > MAX_INDEXED_CHARS:
        joined = joined[:MAX_INDEXED_CHARS].rsplit(" ", 1)[0]
    return joined


def split_at_symbols(normalized: str) -> str:
    """Normalized (single-spaced) text with its words split where word characters meet
    anything else (``"🇷🇺гао"`` gives ``"🇷🇺 гао"``). Documents and query patterns both
    go through it, so the two always agree. A space is put in, no list of words made."""
    if _SYMBOL.search(normalized) is None:  # nearly every text
        return normalized
    return _WORD_MEETS_SYMBOL.sub(" ", normalized)
