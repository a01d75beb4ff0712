"""Which written forms of an alias count as a mention: inflection, derivation, clitics.

An alias becomes one or more :class:`Form`: a key the automaton searches for
(in normalized text) plus what may stand right before it and right after it
inside the same word. Everything else adjacent to the key is a different word,
which is how ``Mali`` stays out of ``Somalia`` and ``Gao`` out of ``Gaoua``.
Each allowed affix set is named (``Form.prefix_kind``/``suffix_kind``) so that
``--explain`` can say which rule made a surface form match.

- Latin script: the key must be a whole word, optionally followed by ``s``
  (English plural and possessive, since apostrophes are deleted: Wagner's).
  A lower-case last word of 5+ letters also takes French gender and number
  agreement (revendiqué → revendiquée, revendiqués; malien → malienne).
- Cyrillic: the last word may take a Russian case ending (Вагнера, Евкурову,
  Пригожиным, Сирии). Stems shorter than 4 letters and all-capital
  abbreviations (ИГИЛ, ТТП) do not inflect, so short aliases cannot swallow
  unrelated words. Names (capitalised or abbreviations, 3+ letters) also take
  the derivations milbloggers build from them: people in -овец/-евец
  (вагнеровцы, игиловцев) and adjectives in -овский/-евский (вагнеровская).
- Arabic script: the first word may carry attached prefixes (و ف ب ل ك and
  the article forms ال وال بال لل ...). The longer the alias, the more prefixes
  it accepts: 3-letter aliases only و ب ل, the article forms from 4 letters, ك
  from 5 (so مالي does not match كمالي). An alias that starts with ال also
  matches after ل as لل (للقاعدة). The last word may carry suffixes, again by
  length: attached pronouns of 2+ letters (ها هم هن كم نا) and the plural وا
  from 4 letters; the one-letter pronoun ه and the plural/dual endings (ون ين
  ات ان) only from 5, because ه is also a feminine ending once ة is folded
  (سليم + ه = سليمة); so do ي (Persian nisba بدخشانی, Pashto ې) and و (the
  Pashto oblique plural طالبانو). A final ة becomes ت before a suffix (مسؤولية →
  مسؤوليتها), and a final ى is a defective verb that conjugates (تبنى → تبنوا,
  تبنت, تبنته, يتبنى). Aliases ending in ي (nisba: مالي) take no suffix. A
  final written ه of 5+ letters (Persian/Pashto شبکه) may become ې (شبکې).
- A trailing ``*`` in the watchlist (``"вагнеров*"``) is an explicit prefix
  alias: the key followed by any letters, to the end of the word.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

EXACT_SCORE = 1.0
INFLECTED_SCORE = 0.8  # matched through a case ending, a clitic, a derivation or a plural

OPEN = "*"  # a trailing * makes an alias a prefix alias


@dataclass(frozen=True, slots=True)
class Form:
    key: str  # normalized text the automaton finds
    prefixes: frozenset[str]  # allowed word-internal text before the key ("" = word start)
    suffixes: frozenset[str]  # allowed word-internal text after the key ("" = word end)
    full: str  # the whole normalized alias: key + this suffix, no prefix = an exact mention
    prefix_kind: str = ""  # what the prefixes are, for explanations
    suffix_kind: str = ""
    open_end: bool = False  # any letters may follow the key (a "prefix*" alias)

    def accepts(self, prefix: str, suffix: str) -> bool:
        return prefix in self.prefixes and (self.open_end or suffix in self.suffixes)

    def affix_kind(self, prefix: str, suffix: str) -> list[str]:
        """The named affix rules behind ``prefix``/``suffix`` (empty for an exact match)."""
        kinds = []
        if prefix:
            kinds.append(f"{self.prefix_kind} prefix {prefix!r}")
        if self.open_end and suffix:
            kinds.append(f"prefix alias: {suffix!r} follows")
        elif self.key + suffix != self.full:
            kinds.append(f"{self.suffix_kind} ending {suffix!r}" if suffix else "bare stem")
        return kinds


MAX_PREFIX = 4
MAX_SUFFIX = 8

_NONE = frozenset({""})
_LATIN_SUFFIXES = frozenset({"", "s"})
_FRENCH_AGREEMENT = frozenset({"", "s", "e", "es"})
_FRENCH_MIN = 5

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
_RU_MIN_DERIVED = 3  # ТТП → ттповцы: the derivational suffix itself is long and specific


def _russian_derivations() -> frozenset[str]:
    person = ["ец", "ца", "цу", "цем", "цом", "це", "цы", "цев", "цам", "цами", "цах"]
    adjective = ["ий", "ая", "ое", "ие", "ого", "ой", "ому", "им", "их", "ими", "ую", "ом"]
    out = {link + p for link in ("ов", "ев") for p in person}
    out |= {link + "ск" + a for link in ("ов", "ев") for a in adjective}
    return frozenset(out)


_RU_DERIVED = _russian_derivations()

_SINGLE = {"و", "ب", "ل"}
_FOUR = {"ف", "وب", "ول", "فب", "فل", "ال", "وال", "بال", "فال", "لل", "ولل", "فلل"}
_FIVE = {"ك", "وك", "فك", "كال", "وبال", "فبال", "وكال"}
_ARTICLE = "ال"
_ARTICLE_HOSTS = {"و", "ف", "ب", "وب", "فب"}  # may stand before an alias that starts with ال
_LAM_LAM = frozenset({"لل", "ولل", "فلل"})  # ل + ال is written لل

# Arabic suffixes (normalized: ة is ه). Pronouns of 2+ letters cannot be mistaken for a
# feminine ending; ه alone can (ة folds to ه), so it needs a longer alias.
_AR_PRONOUNS_LONG = frozenset({"ها", "هم", "هن", "هما", "كم", "كن", "كما", "نا"})
_AR_FOUR = _AR_PRONOUNS_LONG | {"", "وا"}
# ي: Persian nisba and Pashto ې (بدخشانی، پاکستانی); و: the Pashto oblique plural (طالبانو).
_AR_FIVE = _AR_FOUR | {"ه", "ون", "ين", "ات", "ان", "ي", "و"}
_AR_ALL_PRONOUNS = _AR_PRONOUNS_LONG | {"ه", "ي", "ك"}
# ة → ت before a suffix: مسؤولية → مسؤوليته، مسؤوليتها، مسؤوليات.
_AR_TAA = frozenset({"ه", "ات", "تان", "تين"} | {"ت" + p for p in _AR_ALL_PRONOUNS})
# A final ى conjugates: تبنى، تبنت، تبنوا، تبنيت، تبنينا، تبنته، تبناه، يتبنون.
_AR_DEFECTIVE = frozenset(
    {"ي", "ت", "تا", "وا", "يت", "ينا", "يتم", "ين", "ون", "ان", "يا"}
    | {"ت" + p for p in _AR_ALL_PRONOUNS}
    | {"ا" + p for p in _AR_ALL_PRONOUNS}
)
_AR_MIN_SUFFIX = 4
_AR_IMPERFECT = frozenset({"ي", "ت", "ن", "وي", "وت", "ون", "في", "فت", "سي", "ست", "وسي"})


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


_INTERNED: dict[frozenset[str], frozenset[str]] = {}


def _shared(affixes: frozenset[str]) -> frozenset[str]:
    """One frozenset per distinct affix set: 10,000 Russian aliases share their ~60
    endings instead of holding 10,000 copies."""
    return _INTERNED.setdefault(affixes, affixes)


def is_open(alias: str) -> bool:
    return alias.rstrip().endswith(OPEN)


def alias_forms(alias: str, normalized: str) -> list[Form]:
    """The forms under which ``alias`` (already ``normalized``) is searched."""
    if not normalized:
        return []
    first, last = script_of(normalized[0]), script_of(normalized[-1])
    prefixes = _arabic_prefixes(normalized) if first == "arabic" else _NONE
    prefix_kind = "Arabic clitic" if first == "arabic" else ""
    if is_open(alias):
        return [Form(normalized, prefixes, _NONE, normalized, prefix_kind, "", open_end=True)]
    if last == "cyrillic":
        key, suffixes, kind = _russian_stem(alias, normalized)
    elif last == "latin":
        key, suffixes, kind = _latin(alias, normalized)
    elif last == "arabic":
        key, suffixes, kind = _arabic_suffixes(alias, normalized)
    else:
        key, suffixes, kind = normalized, _NONE, ""
    prefixes, suffixes = _shared(prefixes), _shared(suffixes)
    forms = [Form(key, prefixes, suffixes, normalized, prefix_kind, kind)]
    if last == "arabic" and kind == "Arabic defective verb" and " " not in normalized:
        forms.append(Form(key, _AR_IMPERFECT, suffixes, normalized, "Arabic imperfect verb", kind))
    if first == "arabic" and normalized.startswith(_ARTICLE) and letter_count(normalized) >= 5:
        forms.append(
            Form(
                key[len(_ARTICLE) :],
                _LAM_LAM,
                suffixes,
                normalized[len(_ARTICLE) :],
                "Arabic lam + article",
                kind,
            )
        )
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


def _last_letter(alias: str) -> str:
    """The alias's last letter as written (marks such as shadda skipped)."""
    for ch in reversed(alias.strip()):
        if unicodedata.category(ch)[0] == "L":
            return ch
    return ""


def _arabic_suffixes(alias: str, normalized: str) -> tuple[str, frozenset[str], str]:
    last_word = normalized.rsplit(" ", 1)[-1]
    letters = letter_count(last_word)
    written_last = _last_letter(alias)
    if letters < _AR_MIN_SUFFIX:
        return normalized, _NONE, ""
    if written_last == "\u0629":  # ة
        return normalized[:-1], _AR_TAA, "Arabic taa marbuta"
    if written_last == "\u0649":  # ى
        return normalized[:-1], _AR_DEFECTIVE, "Arabic defective verb"
    if last_word.endswith("\u064a"):  # ي: a nisba (مالي) or a name: no suffix
        return normalized, _NONE, ""
    allowed = _AR_FIVE if letters >= 5 else _AR_FOUR
    if written_last == "\u0647" and letters >= 5:  # Persian/Pashto final ه: شبکه → شبکې
        stem_suffixes = {"ه" + s for s in allowed} | {"ي"}
        return normalized[:-1], frozenset(stem_suffixes), "Persian/Pashto suffix"
    return normalized, frozenset(allowed), "Arabic suffix"


def _latin(alias: str, normalized: str) -> tuple[str, frozenset[str], str]:
    words = alias.split()
    last_word = normalized.rsplit(" ", 1)[-1]
    if words and words[-1].islower() and len(last_word) >= _FRENCH_MIN:
        extra = set(_FRENCH_AGREEMENT)
        if last_word.endswith(("en", "on")):
            extra |= {"ne", "nes"}
        elif last_word.endswith("el"):
            extra |= {"le", "les"}
        return normalized, frozenset(extra), "French agreement or plural"
    return normalized, _LATIN_SUFFIXES, "plural or possessive"


def _russian_stem(alias: str, normalized: str) -> tuple[str, frozenset[str], str]:
    """The key without its inflectable ending, and the endings it may take."""
    last_word = normalized.rsplit(" ", 1)[-1]
    original_last = alias.split()[-1] if alias.split() else alias
    original_last = "".join(ch for ch in original_last if ch.isalnum()) or original_last
    is_name = original_last[:1].isupper()
    derived = _RU_DERIVED if is_name and len(last_word) >= _RU_MIN_DERIVED else frozenset()
    kind = "Russian case ending or derivation" if derived else "Russian case ending"
    if original_last.isupper():  # abbreviation: ИГИЛ, ЧВК, ТТП
        return normalized, _NONE | derived, "Russian derivation" if derived else ""
    final = last_word[-1]
    if final in _RU_ENDINGS:
        stem = last_word[:-1]
        if len(stem) >= _RU_MIN_STEM:
            return normalized[:-1], _RU_ENDINGS[final] | derived, kind
        return normalized, _NONE, ""
    if final in _RU_VOWELS or len(last_word) < _RU_MIN_STEM:
        return normalized, _NONE, ""  # indeclinable (Мали, Гао, Тимбукту) or too short
    return normalized, _CONSONANT | derived, kind
