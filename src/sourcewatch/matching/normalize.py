"""Normalization applied to watchlist aliases and to matched text alike.

``normalize(text)`` is the hot path: NFKC, case folding, then one
``str.translate`` with a precomputed table, then whitespace collapsing. No
Python loop touches individual characters. The table:

- deletes format characters (zero-width space/joiners, soft hyphen, bidi
  marks, BOM), non-spacing marks (Arabic harakat, shadda, sukun, superscript
  alef, Quranic marks, stray Latin accents), tatweel, apostrophes and the
  transliteration marks ʿ ʾ (so Jama'at = Jamaat = Jamāʿat);
- turns punctuation, symbols, controls and separators into a space (so
  al-Islam = al Islam and ЧВК «Вагнер» = ЧВК Вагнер);
- unifies letter variants: أ إ آ ٱ → ا, ؤ → و, ئ → ي, ة → ه, ۀ → ه,
  ى ی → ي, ک → ك, ё → е, Latin letters with accents → base letter (é → e),
  Arabic-Indic and Persian digits → 0-9; and the Persian, Pashto and Urdu
  letter variants that writers swap freely: ې ۍ ے ێ → ي, ګ ڪ → گ/ك,
  ہ ھ ە → ه, ۃ → ه, ڭ → ك (so a Pashto writer's ټولنه and an Arabic
  keyboard's spelling of the same name meet). The zero-width non-joiner (ZWNJ),
  which Persian and Pashto put between a word and its ending, is a word break.

French elisions (l', d', qu' ...) become a space before apostrophes are
deleted, so "l'État islamique" still contains "etat islamique". Terminal
escape sequences are dropped. Typographic quotes and dashes are swapped for
ASCII first so that English text keeps the ASCII fast path.

Spans are mapped back to the original text by :mod:`offsets`.
"""

from __future__ import annotations

import re
import unicodedata

APOSTROPHES = "'`\u2018\u2019\u02bc\u02bb\u2032\u02be\u02bf"
_ELIDED = frozenset({"l", "d", "j", "m", "n", "s", "t", "c", "qu", "jusqu", "lorsqu", "puisqu"})
ELISION_TRIGGER = re.compile("['\u2018\u2019\u02bc]")

_LETTER_VARIANTS = {
    "\u0671": "\u0627",  # ٱ alef wasla
    "\u0629": "\u0647",  # ة → ه
    "\u06c0": "\u0647",  # ۀ → ه
    "\u0649": "\u064a",  # ى → ي
    "\u06cc": "\u064a",  # ی (Persian yeh) → ي
    "\u06a9": "\u0643",  # ک (keheh) → ك
    "\u0451": "\u0435",  # ё → е
    "\u0640": "",  # tatweel
    # Persian, Pashto and Urdu letter variants.
    "\u06d0": "\u064a",  # ې Pashto/Uyghur e → ي
    "\u06cd": "\u064a",  # ۍ Pashto yeh with tail → ي
    "\u06d2": "\u064a",  # ے Urdu yeh barree → ي
    "\u06ce": "\u064a",  # ێ Kurdish yeh → ي
    "\u06ab": "\u06af",  # ګ Pashto gaf → گ
    "\u06aa": "\u0643",  # ڪ swash kaf → ك
    "\u06ad": "\u0643",  # ڭ ng → ك
    "\u06c1": "\u0647",  # ہ heh goal → ه
    "\u06be": "\u0647",  # ھ heh doachashmee → ه
    "\u06d5": "\u0647",  # ە ae → ه
    "\u06c3": "\u0647",  # ۃ taa marbuta goal → ه
}


def _build_table() -> list[int | str | None]:
    """Indexed by code point (a list is twice as fast as a dict in ``str.translate``);
    characters past the BMP raise IndexError there, which leaves them unchanged."""
    table: list[int | str | None] = list(range(0x10000))
    for cp in range(0x10000):
        ch = chr(cp)
        category = unicodedata.category(ch)
        if category in ("Cf", "Mn", "Me"):
            table[cp] = None
        elif category[0] in "PSZ" or category == "Cc":
            table[cp] = " "
        elif category[0] == "L" and not _is_cyrillic(ch):
            # Letters that decompose into a base letter plus marks: é → e, أ → ا, ؤ → و.
            decomposed = unicodedata.normalize("NFD", ch)
            base = "".join(c for c in decomposed if not unicodedata.combining(c))
            if base and base != decomposed:
                table[cp] = unicodedata.normalize("NFC", base).casefold()
        elif category == "Nd" and not ch.isascii():
            table[cp] = str(unicodedata.digit(ch))
    for ch in APOSTROPHES:
        table[ord(ch)] = None
    # ZWNJ separates morphemes in Persian and Pashto (طالبان‌ها, سراج‌الدین): a word break,
    # so the name before a plural or nisba ending stays a word of its own.
    table[0x200C] = " "
    for ch, replacement in _LETTER_VARIANTS.items():
        table[ord(ch)] = replacement or None
    return table


def _is_cyrillic(ch: str) -> bool:
    return "\u0400" <= ch <= "\u04ff"


FOLD_TABLE = _build_table()


# Terminal escape sequences (CSI, OSC, two-byte ESC): hostile text may glue them to a name
# to hide it ("\x1b[31mISIS"); they are dropped, not turned into letters.
_ESCAPES = re.compile(r"(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b.?")


_TYPOGRAPHY = [
    ("\u2019", "'"),  # ’
    ("\u2018", "'"),  # ‘
    ("\u201c", '"'),  # “
    ("\u201d", '"'),  # ”
    ("\u2013", "-"),  # –
    ("\u2014", "-"),  # —
    ("\u00a0", " "),  # no-break space
]


# After folding, the only whitespace left is " " (the table turns every other separator
# and control into it), so collapsing is a search for double spaces (C speed, no split).
_SPACE_RUN = re.compile("  +")


def normalize(text: str) -> str:
    """The normalized form of ``text``: what aliases and texts are compared as."""
    return collapse(fold(text))


def collapse(folded: str) -> str:
    """``folded`` with runs of spaces made one and the ends stripped (what
    ``" ".join(folded.split())`` gives for folded text, four times faster)."""
    if "  " in folded:
        folded = _SPACE_RUN.sub(" ", folded)
    return folded.strip(" ")


def fold(text: str, table: list[int | str | None] = FOLD_TABLE) -> str:
    """Everything ``normalize`` does except collapsing whitespace (``table``: the
    translation table; offsets.py passes one that keeps its token separator)."""
    return fold_parts(text, table)[0]


def fold_parts(text: str, table: list[int | str | None] = FOLD_TABLE) -> tuple[str, bool]:
    """``fold(text)``, and whether every step before the table kept one character per
    character (no escape sequence removed, NFKC and case folding changed no length):
    then the table alone decides the offsets (see offsets.offset_map)."""
    kept = True
    if "\x1b" in text or "\x9b" in text:
        stripped = _ESCAPES.sub("", text)
        kept, text = len(stripped) == len(text), stripped
    if not text.isascii():
        # Typographic quotes and dashes would push English/French text off the fast path;
        # their ASCII stand-ins normalize to the same result.
        for typographic, plain in _TYPOGRAPHY:
            if typographic in text:
                text = text.replace(typographic, plain)
    # ASCII needs neither NFKC nor full case folding; skipping them is the common fast path.
    ascii_text = text.isascii()
    if ascii_text:
        folded = text.lower()
    else:
        composed = unicodedata.normalize("NFKC", text)
        folded = composed.casefold()
        kept = kept and composed == text and len(folded) == len(text)
    if has_elision_mark(folded):
        folded = split_elisions(folded)
    if ascii_text and table is FOLD_TABLE:  # bytes.translate: a 256-entry table, no objects
        ascii_folded = folded.encode("ascii").translate(_ASCII_TABLE, _ASCII_DELETE)
        return ascii_folded.decode("ascii"), kept
    if table is FOLD_TABLE:
        utf8 = folded.encode("utf-8", "surrogatepass")
        if _plain_cyrillic(utf8) or not _NON_ASCII_CHANGERS.search(folded):
            # Only ASCII characters change (most Cyrillic text): translate the UTF-8
            # bytes, whose non-ASCII bytes the table leaves alone. str.translate would
            # look up and box every character.
            translated = utf8.translate(_ASCII_TABLE, _ASCII_DELETE)
            return translated.decode("utf-8", "surrogatepass"), kept
    return folded.translate(table), kept


def _ascii_tables() -> tuple[bytes, bytes]:
    """FOLD_TABLE's ASCII part as ``bytes.translate`` arguments (table, deleted bytes)."""
    table, deleted = bytearray(range(256)), bytearray()
    for cp in range(128):
        entry = FOLD_TABLE[cp]
        if entry is None:
            deleted.append(cp)
        else:
            table[cp] = ord(entry) if isinstance(entry, str) else entry
    return bytes(table), bytes(deleted)


_ASCII_TABLE, _ASCII_DELETE = _ascii_tables()


def _non_ascii_changers() -> re.Pattern[str]:
    """A regex class of the non-ASCII characters FOLD_TABLE changes (in code point
    ranges): text without any folds with the ASCII tables alone."""
    ranges: list[list[int]] = []
    for cp in range(0x80, 0x10000):
        if FOLD_TABLE[cp] != cp and not 0xD800 <= cp < 0xE000:
            if ranges and ranges[-1][1] == cp - 1:
                ranges[-1][1] = cp
            else:
                ranges.append([cp, cp])
    return re.compile("[" + "".join(f"\\u{a:04x}-\\u{b:04x}" for a, b in ranges) + "]")


_NON_ASCII_CHANGERS = _non_ascii_changers()

# UTF-8 of U+0400..U+047F (basic Cyrillic) is D0 or D1 and a continuation byte; of ASCII,
# a byte below 80. Deleting those leaves the lead byte of every other character.
_ASCII_AND_CYRILLIC = bytes(range(0x80)) + b"\xd0\xd1" + bytes(range(0x80, 0xC0))
_YO = "\u0451".encode()  # ё: the only character of that block the table changes


def _plain_cyrillic(utf8: bytes) -> bool:
    """Whether this UTF-8 holds only ASCII and basic Cyrillic other than ё (none of which
    FOLD_TABLE changes): two C passes over the bytes, where the regex class search
    of :data:`_NON_ASCII_CHANGERS` costs a few microseconds per post."""
    return not utf8.translate(None, _ASCII_AND_CYRILLIC) and _YO not in utf8


# An elided word (the whole word: nothing word-like before it) before an apostrophe that a
# word follows. \w is exactly str.isalnum() or "_".
ELISION = re.compile(
    r"(?<!\w)(" + "|".join(sorted(_ELIDED, key=len, reverse=True)) + r")['\u2018\u2019\u02bc](?=\w)"
)


_ELISION_MARKS = "'\u2018\u2019\u02bc"  # ELISION's apostrophes
_LONGEST_ELIDED = max(map(len, _ELIDED))
_WORD_TAIL = re.compile(r"\w*\Z")


def has_elision_mark(text: str) -> bool:
    """Whether ``text`` holds an apostrophe an elision ends with: four substring
    searches (C, memchr-fast), several times cheaper than a regex class search."""
    return "'" in text or "\u2019" in text or "\u2018" in text or "\u02bc" in text


def split_elisions(folded: str) -> str:
    """l'état → l état: a French elided word before an apostrophe becomes a word of its
    own. Same length: only the apostrophe changes (the offset map relies on it).

    ``ELISION.sub`` would try the pattern at every position; only apostrophes can end a
    match, and matches never overlap (each ends at its apostrophe, the next starts at a
    word after it), so the pattern is tried once per apostrophe, at the start of the
    word run before it (a run longer than any elided word is cut by the window, and the
    pattern's look-behind then refuses it)."""
    elided: list[int] = []
    for mark in _ELISION_MARKS:
        position = folded.find(mark)
        while position != -1:
            window = max(0, position - _LONGEST_ELIDED - 1)
            run = _WORD_TAIL.search(folded, window, position)
            start = run.start() if run else position
            match = ELISION.match(folded, start)
            if match and match.end() == position + 1:
                elided.append(position)
            position = folded.find(mark, position + 1)
    if not elided:
        return folded
    pieces, last = [], 0
    for position in sorted(elided):
        pieces += [folded[last:position], " "]
        last = position + 1
    pieces.append(folded[last:])
    return "".join(pieces)


_MARK_NAMES = {"\u0651": "shadda", "\u0652": "sukun", "\u0640": "tatweel"}


def normalization_steps(surface: str) -> list[str]:
    """What normalization changed in ``surface``, in words (for explanations): case
    folding, marks and format characters removed, letters unified, punctuation spaced."""
    steps: dict[str, None] = {}
    if surface.casefold() != surface:
        steps["case folded"] = None
    if "\x1b" in surface or "\x9b" in surface:
        steps["terminal escape sequences removed"] = None
    if ELISION_TRIGGER.search(surface) and split_elisions(surface.casefold()) != surface.casefold():
        steps["French elision split"] = None
    for ch in unicodedata.normalize("NFKC", surface):
        folded = ch.casefold().translate(FOLD_TABLE) if ord(ch) < 0x10000 else ch
        if folded == ch.casefold():
            continue
        category = unicodedata.category(ch)
        name = _MARK_NAMES.get(ch) or unicodedata.name(ch, f"U+{ord(ch):04X}").lower()
        if not folded:
            kind = "mark" if category[0] == "M" else "character"
            steps[f"{kind} removed: {name}"] = None
        elif folded.isspace():
            steps[f"{ch!r} read as a word break"] = None
        else:
            steps[f"{ch} → {folded}"] = None
    return list(steps)
