"""Near-duplicate fingerprints: the same text forwarded or cross-posted is one entry.

Channels that forward or re-post a message change little around it: a link to
themselves, an @handle, a hashtag, emoji, punctuation, line breaks, letter case,
Arabic diacritics or tatweel. The fingerprint hashes the text with all of that
removed, so those copies collide and genuinely different texts do not. Short
texts ("BREAKING", a lone link) would collide by accident, so they get none.
A line that holds a link or @handle and at most ``MAX_SIGNATURE_WORDS`` other words
("Subscribe: t.me/x", "👉 @channel") is a channel signature and is dropped too.
"""

from __future__ import annotations

import functools
import hashlib
import re
import sys
import unicodedata

MIN_FINGERPRINT_CHARS = 40  # of normalized text; below this a match is likely chance
MAX_SIGNATURE_WORDS = 3

_URL = re.compile(r"(?:https?://|www\.|t\.me/)\S+", re.IGNORECASE)
_HANDLE_OR_TAG = re.compile(r"[@#]\w+")
_NOT_WORD = re.compile(r"[\W_]+")


def normalized_text(text: str | None) -> str:
    """Lower-case letters and digits of ``text``, single-spaced, links, handles and
    signature lines removed."""
    if not text:
        return ""
    lines = []
    for line in unicodedata.normalize("NFKC", text).splitlines():
        bare = _HANDLE_OR_TAG.sub(" ", _URL.sub(" ", line))
        if bare != line and len(_NOT_WORD.sub(" ", bare).split()) <= MAX_SIGNATURE_WORDS:
            continue
        lines.append(bare)
    text = " ".join(lines)
    if not text.isascii():  # ASCII has no marks: NFD would give it back unchanged
        # Drop combining marks (Arabic harakat, Latin accents) and tatweel, keep base letters.
        text = _combining().sub("", unicodedata.normalize("NFD", text)).replace("\u0640", "")
    return " ".join(_NOT_WORD.sub(" ", text.casefold()).split())


@functools.cache
def _combining() -> re.Pattern[str]:
    """Every character with a non-zero combining class (what ``unicodedata.combining``
    tests one character at a time), as one regex class: built once, ~50 ms."""
    marks = [cp for cp in range(sys.maxunicode + 1) if unicodedata.combining(chr(cp))]
    ranges: list[list[int]] = []
    for cp in marks:
        if ranges and ranges[-1][1] == cp - 1:
            ranges[-1][1] = cp
        else:
            ranges.append([cp, cp])
    return re.compile("[" + "".join(f"\\U{a:08x}-\\U{b:08x}" for a, b in ranges) + "]")


def text_fingerprint(title: str | None, text: str | None) -> str | None:
    """SHA-256 of the normalized text (the title when there is no text); None when too
    short to be telling. Titles are left out otherwise: syndicated copies re-title."""
    normalized = normalized_text(text) or normalized_text(title)
    if len(normalized) < MIN_FINGERPRINT_CHARS:
        return None
    return hashlib.sha256(normalized.encode("utf-8")).hexdigest()
