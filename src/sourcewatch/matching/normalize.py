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

_APOSTROPHES = "'`\u2018\u2019\u02bc\u02bb\u2032\u02be\u02bf"
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
    for ch in _APOSTROPHES:
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


def normalize(text: str) -> str:
    """The normalized form of ``text``: what aliases and texts are compared as."""
    folded = fold(text)
    if len(folded) > _BLOCK:
        return _collapse_whitespace(folded)
    return " ".join(folded.split())


# Above this many characters, whitespace is collapsed block by block (``\s`` and
# ``str.split`` agree on every code point) rather than split and joined.
_BLOCK = 1 << 16
_WHITESPACE = re.compile(r"\s+")


def _collapse_whitespace(folded: str) -> str:
    """``" ".join(folded.split())`` for a huge text, in memory a small multiple of the
    text: split() of a 4 MB hostile post made 700,000 word objects (ten times its size),
    and one re.sub over it as many pieces. Each block is collapsed on its own; a run of
    whitespace across two blocks keeps one space."""
    parts: list[str] = []
    space_before = True  # at the start: leading whitespace is dropped
    for offset in range(0, len(folded), _BLOCK):
        part = _WHITESPACE.sub(" ", folded[offset : offset + _BLOCK])
        if space_before:
            part = part.lstrip(" ")
        if part:
            parts.append(part)
            space_before = part.endswith(" ")
    joined = "".join(parts)
    return joined[:-1] if joined.endswith(" ") else joined


def fold(text: str, table: list[int | str | None] = FOLD_TABLE) -> str:
    """Everything ``normalize`` does except collapsing whitespace (``table``: the
    translation table; offsets.py passes one that keeps its token separator)."""
    if "\x1b" in text or "\x9b" in text:
        text = _ESCAPES.sub("", text)
    if not text.isascii():
        # Typographic quotes and dashes would push English/French text off the fast path;
        # their ASCII stand-ins normalize to the same result.
        for typographic, plain in _TYPOGRAPHY:
            if typographic in text:
                text = text.replace(typographic, plain)
    # ASCII needs neither NFKC nor full case folding; skipping them is the common fast path.
    folded = text.lower() if text.isascii() else unicodedata.normalize("NFKC", text).casefold()
    if ELISION_TRIGGER.search(folded):
        folded = split_elisions(folded)
    return folded.translate(table)


def _is_word(ch: str) -> bool:
    return ch.isalnum() or ch == "_"


def split_elisions(folded: str) -> str:
    """l'état → l état: a French elided word before an apostrophe becomes a word of its
    own. Same length: only the apostrophe changes (the offset map relies on it)."""
    chars: list[str] | None = None
    for m in ELISION_TRIGGER.finditer(folded):
        at = m.start()
        if at + 1 >= len(folded) or not _is_word(folded[at + 1]):
            continue
        start = at
        while start > 0 and at - start < 6 and _is_word(folded[start - 1]):
            start -= 1
        if folded[start:at] in _ELIDED and (start == 0 or not _is_word(folded[start - 1])):
            chars = chars or list(folded)
            chars[at] = " "
    return "".join(chars) if chars else folded


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
