"""Map spans of normalized text back into the original text.

Built only for texts that matched (the hot path never pays for it). Tokens are
the original's whitespace-separated words: all are folded in one pass (joined
by a separator the fold keeps), which gives each token's place in the
normalized text; only the few tokens a span touches are then mapped character
cluster by character cluster (a cluster = a character and its combining marks).
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from itertools import accumulate, islice

from sourcewatch.matching.normalize import (
    APOSTROPHES,
    ELISION,
    FOLD_TABLE,
    fold,
    has_elision_mark,
    normalize,
    split_elisions,
)

# The first spacing combining mark (category Mc, U+0903 DEVANAGARI SIGN VISARGA): the
# only marks the fold keeps (Mn and Me are deleted); a text below it has none.
FIRST_KEPT_MARK = "\u0903"


def _mark_class() -> str:
    """A regex class of every combining mark in the BMP (a cluster = base + marks)."""
    ranges: list[tuple[int, int]] = []
    for cp in range(0x10000):
        if unicodedata.category(chr(cp))[0] == "M":
            if ranges and ranges[-1][1] == cp - 1:
                ranges[-1] = (ranges[-1][0], cp)
            else:
                ranges.append((cp, cp))
    return "".join(f"\\u{a:04x}-\\u{b:04x}" if a != b else f"\\u{a:04x}" for a, b in ranges)


_CLUSTER = re.compile(f"(?s).[{_mark_class()}]*")
_TOKEN = re.compile(r"\S+")


class OffsetMap:
    """Maps spans of ``normalize(text)`` back to spans of ``text``.

    ``normalized`` is the text normalized token by token; it equals
    ``normalize(text)`` except in exotic cases (NFKC composing across a
    whitespace), where the matcher rescans it instead.
    """

    def __init__(self, text: str) -> None:
        self.text = text
        tokens = text.split()  # the same whitespace as _TOKEN's \S+
        self._pieces = _normalized_tokens(tokens)  # "" for tokens that vanish
        # Where each token starts in the normalized text (pieces are joined by one space).
        self._starts = list(accumulate([len(p) + 1 if p else 0 for p in self._pieces], initial=0))
        self._spans: dict[int, tuple[int, int]] = {}  # token index -> span, when needed
        self._located: list[int] = []  # the keys of _spans, sorted
        self._char_maps: dict[int, list[tuple[int, int]] | None] = {}
        self.normalized = " ".join(filter(None, self._pieces))

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """The span of the original text that normalized ``[start, end)`` came from."""
        first = self._locate(start)
        last = self._locate(end - 1)
        return first[0], last[1]

    def _locate(self, position: int) -> tuple[int, int]:
        # bisect_right skips empty pieces, which share their start with the next token.
        index = bisect.bisect_right(self._starts, position) - 1
        piece = self._pieces[index]
        if index not in self._spans:
            self._spans[index] = self._token_span(index)
        orig_start, orig_end = self._spans[index]
        offset = position - self._starts[index]
        if offset >= len(piece):  # the joining space between two tokens
            return orig_end, orig_end
        if index not in self._char_maps:
            self._char_maps[index] = _char_map(self.text[orig_start:orig_end], piece)
        char_map = self._char_maps[index]
        if char_map is None:
            return orig_start, orig_end
        cluster_start, cluster_end = char_map[offset]
        return orig_start + cluster_start, orig_start + cluster_end

    def _token_span(self, index: int) -> tuple[int, int]:
        """Where token ``index`` is in the original text, scanning on from the nearest
        token already located before it (not from the start: a huge hostile text with
        thousands of matches made every lookup rescan it, quadratic time)."""
        at = bisect.bisect_left(self._located, index)
        base = self._located[at - 1] if at else -1
        start = self._spans[base][1] if base >= 0 else 0
        span = next(islice(_TOKEN.finditer(self.text, start), index - base - 1, None)).span()
        self._located.insert(at, index)
        return span


# Joins tokens so that they are folded in one pass; _fold keeps it (only here), and no
# normalization step produces it. Texts that contain it are folded token by token.
_SEPARATOR = "\x00"
_TABLE_KEEPING_SEPARATOR = list(FOLD_TABLE)
_TABLE_KEEPING_SEPARATOR[ord(_SEPARATOR)] = ord(_SEPARATOR)


def _normalized_tokens(tokens: list[str]) -> list[str]:
    """``normalize`` of each token."""
    joined = _SEPARATOR.join(tokens)
    if joined.count(_SEPARATOR) == len(tokens) - 1:  # no token holds the separator itself
        folded = fold(joined, _TABLE_KEEPING_SEPARATOR).split(_SEPARATOR)
        if len(folded) == len(tokens):
            return [" ".join(piece.split()) if " " in piece else piece for piece in folded]
    return [normalize(token) for token in tokens]


# Characters that folding deletes or expands (and escape introducers): a token without
# them, already NFKC, whose case folding keeps its length, folds character by character.
_LENGTH_CHANGERS: list[int | None] = [
    None if entry is None or (isinstance(entry, str) and len(entry) != 1) else cp
    for cp, entry in enumerate(FOLD_TABLE)
]
_LENGTH_CHANGERS[0x1B] = _LENGTH_CHANGERS[0x9B] = None


def _folds_one_to_one(token: str) -> bool:
    if len(token.translate(_LENGTH_CHANGERS)) != len(token):
        return False
    return token.isascii() or (
        unicodedata.is_normalized("NFKC", token) and len(token.casefold()) == len(token)
    )


def _char_map(token: str, expected: str) -> list[tuple[int, int]] | None:
    """For each character of ``normalize(token)``, the cluster of ``token`` it came from.

    None when cluster-by-cluster normalization does not reproduce ``expected``
    (then the whole token is the best span there is).
    """
    if _folds_one_to_one(token):  # the common case: character i became character i
        folded_token = fold(token)
        if folded_token.strip(" ") == expected:
            lead = len(folded_token) - len(folded_token.lstrip(" "))
            return [(lead + i, lead + i + 1) for i in range(len(expected))]
    folded: list[str] = []
    origins: list[tuple[int, int]] = []
    for m in _CLUSTER.finditer(token):
        cluster = m.group()
        if not cluster.isascii():
            cluster = unicodedata.normalize("NFKC", cluster)
        for ch in cluster.casefold():
            folded.append(ch)
            origins.append(m.span())
    joined = "".join(folded)
    if has_elision_mark(joined):
        joined = split_elisions(joined)
    out: list[str] = []
    out_origins: list[tuple[int, int]] = []
    for ch, origin in zip(joined, origins, strict=True):
        for produced in ch.translate(FOLD_TABLE):
            if produced.isspace():
                if not out or out[-1] == " ":
                    continue
                produced = " "
            out.append(produced)
            out_origins.append(origin)
    while out and out[-1] == " ":
        out.pop()
        out_origins.pop()
    if "".join(out) != expected:
        return None
    return out_origins


class OneToOneMap:
    """Maps spans of ``normalize(text)`` back to ``text`` when folding kept each
    character as one character, or deleted it (``deleted``: apostrophes).

    ``folded`` is ``fold(text)``, computed by the matcher anyway; when it is one
    to one with ``text`` (see :func:`offset_map`), only the deleted apostrophes
    and the collapsed runs of spaces separate normalized positions from
    original ones: a few per post, found by regex searches, where
    :class:`OffsetMap` folds the text a second time token by token.
    """

    def __init__(self, text: str, folded: str, normalized: str, deleted: list[int]) -> None:
        self.text = text
        self.normalized = normalized
        stripped = folded.lstrip(" ")
        self._lead = len(folded) - len(stripped)
        # For each run of n >= 2 spaces: where its single space stands in the normalized
        # text, and the shift (total spaces removed) that applies after it.
        self._breaks: list[int] = []
        self._shifts = [0]
        for m in _SPACES.finditer(stripped):
            self._breaks.append(m.start() - self._shifts[-1])
            self._shifts.append(self._shifts[-1] + m.end() - m.start() - 1)
        # Where each deleted character would have stood in the folded text.
        self._deleted = [position - number for number, position in enumerate(deleted)]
        self._general: OffsetMap | None = None

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """The span of the original text that normalized ``[start, end)`` came from."""
        first, last = self._original(start), self._original(end - 1) + 1
        text = self.text
        if _is_mark(text[first]) or (last < len(text) and _is_mark(text[last])):
            # A spacing mark (Mc) belongs to its base's cluster: the general map knows them.
            self._general = self._general or OffsetMap(text)
            return self._general.original_span(start, end)
        return first, last

    def _original(self, position: int) -> int:
        folded = self._lead + position + self._shifts[bisect.bisect_left(self._breaks, position)]
        return folded + bisect.bisect_right(self._deleted, folded)


def _is_mark(ch: str) -> bool:
    return ch >= FIRST_KEPT_MARK and unicodedata.category(ch)[0] == "M"


_SPACES = re.compile("  +")
_APOSTROPHE = re.compile(f"[{re.escape(APOSTROPHES)}]")


def offset_map(
    text: str, folded: str, normalized: str, kept_length: bool | None = None
) -> OffsetMap | OneToOneMap:
    """The cheapest map from ``normalized`` (``collapse(folded)``, ``folded`` being
    ``fold(text)``) back to ``text``; ``kept_length`` is what ``fold_parts`` said
    (computed here when not given).

    Folding is one to one when no escape sequence was removed, NFKC changed
    nothing and case folding expanded nothing (then no table entry expands
    either: test_offsets checks it over the BMP); then the characters it
    deleted are the length lost, and when those are exactly the apostrophes that
    no elision kept, :class:`OneToOneMap` gives what :class:`OffsetMap` would.
    """
    if kept_length is None:
        kept_length = "\x1b" not in text and "\x9b" not in text
        if kept_length and not text.isascii():
            kept_length = unicodedata.is_normalized("NFKC", text) and len(text.casefold()) == len(
                text
            )
    if not kept_length:
        return OffsetMap(text)
    deleted: list[int] = []
    if len(folded) != len(text):
        deleted = _deleted_apostrophes(text)
        if len(text) - len(folded) != len(deleted):
            return OffsetMap(text)
    return OneToOneMap(text, folded, normalized, deleted)


def _deleted_apostrophes(text: str) -> list[int]:
    """Where fold deletes an apostrophe of ``text`` (all but those after an elided word,
    which become a space); ``text`` folds one to one apart from deletions."""
    positions = [m.start() for m in _APOSTROPHE.finditer(text)]
    if not positions:
        return positions
    cased = text.casefold()  # what fold splits elisions in, the quotes made ASCII
    cased = cased.replace("\u2019", "'").replace("\u2018", "'")
    elided = {m.end(1) for m in ELISION.finditer(cased)}
    return [p for p in positions if p not in elided]
