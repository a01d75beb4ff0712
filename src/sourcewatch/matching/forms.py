"""Which written forms of an alias count as a mention: inflection and clitics.

An alias becomes one or more :class:`Form`: a key the automaton searches for
(in normalized text) plus what may stand right before it and right after it
inside the same word. Everything else adjacent to the key is a different word,
which is how ``Mali`` stays out of ``Somalia`` and ``Gao`` out of ``Gaoua``.

- Latin script: the key must be a whole word, optionally followed by ``s``
  (English plural and possessive, since apostrophes are deleted: Wagner's).
- Cyrillic: the last word may take a Russian case ending (Вагнера, Евкурову,
  Пригожиным, Сирии). Stems shorter than 4 letters and all-capital
  abbreviations (ИГИЛ, ТТП) do not inflect, so short aliases cannot swallow
  unrelated words.
- Arabic script: the first word may carry attached prefixes (و ف ب ل ك and
  the article forms ال وال بال لل ...). The longer the alias, the more prefixes
  it accepts: 3-letter aliases only و ب ل, the article forms from 4 letters, ك
  from 5 (so مالي does not match كمالي). An alias that starts with ال also
  matches after ل as لل (للقاعدة).
"""

from __future__ import annotations

from dataclasses import dataclass

EXACT_SCORE = 1.0
INFLECTED_SCORE = 0.8  # matched through a case ending, a clitic prefix or a plural


@dataclass(frozen=True, slots=True)
class Form:
    key: str  # normalized text the automaton finds
    prefixes: frozenset[str]  # allowed word-internal text before the key ("" = word start)
    suffixes: frozenset[str]  # allowed word-internal text after the key ("" = word end)
    exact: bool  # the key is the whole normalized alias


MAX_PREFIX = 4
MAX_SUFFIX = 3

_NONE = frozenset({""})
_LATIN_SUFFIXES = frozenset({"", "s"})

# Russian case endings by the ending of the alias's last word (after normalization).
_CONSONANT = frozenset(
    {
        "",
        "а",
        "у",
        "ом",
        "ем",
        "е",
        "ы",
        "и",
        "ов",
        "ев",
        "ам",
        "ами",
        "ах",
        "ым",
        "ых",
        "ыми",
        "ой",
    }
)
_RU_ENDINGS: dict[str, frozenset[str]] = {
    "а": frozenset({"а", "ы", "и", "е", "у", "ой", "ою", "ам", "ами", "ах"}),
    "я": frozenset({"я", "и", "е", "ю", "ей", "ею", "ям", "ями", "ях"}),
    "ь": frozenset({"ь", "я", "ю", "ем", "е", "и", "ей", "ям", "ями", "ях"}),
    "й": frozenset({"й", "я", "ю", "ем", "е", "и", "ев", "ям", "ями", "ях"}),
    "о": frozenset({"о", "а", "у", "ом", "е", "ах", "ам", "ами"}),
}
_RU_VOWELS = set("аеёиоуыэюя")
_RU_MIN_STEM = 4

_SINGLE = {"و", "ب", "ل"}
_FOUR = {"ف", "وب", "ول", "فب", "فل", "ال", "وال", "بال", "فال", "لل", "ولل", "فلل"}
_FIVE = {"ك", "وك", "فك", "كال", "وبال", "فبال", "وكال"}
_ARTICLE = "ال"
_ARTICLE_HOSTS = {"و", "ف", "ب", "وب", "فب"}  # may stand before an alias that starts with ال
_LAM_LAM = frozenset({"لل", "ولل", "فلل"})  # ل + ال is written لل


def script_of(ch: str) -> str:
    if "\u0400" <= ch <= "\u04ff":
        return "cyrillic"
    if "\u0600" <= ch <= "\u06ff" or "\u0750" <= ch <= "\u077f" or "\u08a0" <= ch <= "\u08ff":
        return "arabic"
    if ch.isascii() or "\u00c0" <= ch <= "\u024f":
        return "latin"
    return "other"


def letter_count(normalized: str) -> int:
    return sum(1 for ch in normalized if ch.isalnum())


def alias_forms(alias: str, normalized: str) -> list[Form]:
    """The forms under which ``alias`` (already ``normalized``) is searched."""
    if not normalized:
        return []
    first, last = script_of(normalized[0]), script_of(normalized[-1])
    prefixes = _arabic_prefixes(normalized) if first == "arabic" else _NONE
    if last == "cyrillic":
        key, suffixes = _russian_stem(alias, normalized)
    elif last == "latin":
        key, suffixes = normalized, _LATIN_SUFFIXES
    else:
        key, suffixes = normalized, _NONE
    forms = [Form(key, prefixes, suffixes, key == normalized)]
    if first == "arabic" and normalized.startswith(_ARTICLE) and letter_count(normalized) >= 5:
        forms.append(Form(normalized[len(_ARTICLE) :], _LAM_LAM, suffixes, False))
    return forms


def _arabic_prefixes(normalized: str) -> frozenset[str]:
    letters = letter_count(normalized)
    allowed = set(_SINGLE)
    if letters >= 4:
        allowed |= _FOUR
    if letters >= 5:
        allowed |= _FIVE
    if normalized.startswith(_ARTICLE):
        # The alias already has its article: only conjunctions/prepositions may precede it.
        allowed = {p for p in allowed if p in _ARTICLE_HOSTS or (p == "ك" and letters >= 5)}
    return frozenset(allowed | {""})


def _russian_stem(alias: str, normalized: str) -> tuple[str, frozenset[str]]:
    """The key without its inflectable ending, and the endings it may take."""
    last_word = normalized.rsplit(" ", 1)[-1]
    original_last = alias.split()[-1] if alias.split() else alias
    if original_last.isupper():  # abbreviation: ИГИЛ, ЧВК, ТТП
        return normalized, _NONE
    final = last_word[-1]
    if final in _RU_ENDINGS:
        stem = last_word[:-1]
        if len(stem) >= _RU_MIN_STEM:
            return normalized[:-1], _RU_ENDINGS[final]
        return normalized, _NONE
    if final in _RU_VOWELS or len(last_word) < _RU_MIN_STEM:
        return normalized, _NONE  # indeclinable (Мали, Гао, Тимбукту) or too short
    return normalized, _CONSONANT
