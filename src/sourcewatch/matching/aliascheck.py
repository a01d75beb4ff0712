"""Checks on aliases and keywords: too broad to be useful, shared or never-applying."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sourcewatch.matching.forms import letter_count
from sourcewatch.matching.normalize import normalize

if TYPE_CHECKING:
    from sourcewatch.matching.watchlist import Entity

MIN_LETTERS = 3
# Words so common in the watched languages that an alias equal to one matches everything.
_STOPWORDS_TEXT = """
the and for with from that this are was were has have had not but its his her they
their will would said says also into over after before about more than been who
les des une est pour par sur dans que qui pas plus aux avec sont été ces son
что как это так его все она они для при или уже был была было еще нет так
في من على الى إلى عن مع هذا هذه التي الذي كان قال بعد قبل ذلك بين حتى
در به از که این را با است برای آن یک تا شد های
په او چې له سره دا هم کې يې ته
"""
_STOPWORDS = frozenset(normalize(word) for word in _STOPWORDS_TEXT.split())


def broad_alias_reason(text: str) -> str | None:
    """Why matching ``text`` would hit almost everything, or None when it is specific enough."""
    normalized = normalize(text)
    if not normalized:
        return "is empty after normalization"
    if normalized.replace(" ", "").isdigit():
        return "is only digits"
    if letter_count(normalized) < MIN_LETTERS:
        return f"has fewer than {MIN_LETTERS} letters and would match almost everything"
    if normalized in _STOPWORDS:
        return "is a common word and would match almost everything"
    return None


def overlap_warnings(entities: dict[str, Entity]) -> list[str]:
    warnings: list[str] = []
    owners: dict[str, str] = {}
    for entity in entities.values():
        keys = {normalize(alias) for alias in entity.aliases}
        for key in sorted(keys):
            other = owners.setdefault(key, entity.id)
            if other != entity.id:
                warnings.append(
                    f"{entity.origin}: alias {key!r} of {entity.id!r} is also an alias of {other!r}"
                )
        for phrase in entity.exclude:
            if not any(key in normalize(phrase) for key in keys):
                warnings.append(
                    f"{entity.origin}: exclude {phrase!r} of {entity.id!r} contains none of "
                    "its aliases, so it never applies"
                )
    return warnings


COMMON_ZIPF = 4.5  # wordfreq's Zipf scale: 4.5 is about 30 uses per million words
_LANGUAGES = {"arabic": ("ar", "fa", "ur"), "cyrillic": ("ru", "uk"), "latin": ("en", "fr")}


def common_word_warnings(entities: dict[str, Entity]) -> list[str]:
    """Single-word aliases that are everyday words in a language of their script, by the
    frequency lists that ship with wordfreq (offline): الشباب "the youth", مسيرة
    "march", مالي "financial". Aliases declared ``ambiguous``, ``case_sensitive`` or
    ``known_common`` (a person checked them) are not reported."""
    from wordfreq import zipf_frequency

    from sourcewatch.matching.forms import script_of

    warnings: list[str] = []
    for entity in entities.values():
        for alias in entity.aliases:
            word = alias.rstrip("*").strip()
            handled = entity.ambiguous | entity.case_sensitive | entity.known_common
            if " " in word or alias in handled:
                continue
            script = script_of(word[:1]) if word else "other"
            scores = {lang: zipf_frequency(word, lang) for lang in _LANGUAGES.get(script, ())}
            common = {lang: z for lang, z in scores.items() if z >= COMMON_ZIPF}
            if common:
                where = ", ".join(f"{lang} {z:.1f}" for lang, z in sorted(common.items()))
                warnings.append(
                    f"{entity.origin}: alias {alias!r} of {entity.id!r} is a common word "
                    f"(Zipf {where}): declare it in ambiguous (needs context), "
                    "case_sensitive or known_common (checked: the name itself is frequent)"
                )
    return warnings
