"""Language of a text, detected offline: the fallback when neither the item nor its
source says which language it is in.

Uses lingua-language-detector (its models ship inside the package; no network). It is
built in *low accuracy* mode over all its 75 languages, models preloaded: the high
accuracy mode loads about 1 GB of models and took 86 s to warm up on this project's
machine, against about 90 MB and 5 s here (docs/fidelity-social.md has the figures).
Texts with fewer than
:data:`MIN_LETTERS` letters are not guessed: "ok" came out as Zulu.

:func:`item_language` is the rule every stored item goes through, with the method
recorded beside the language (``item.language_method``):

- ``"source"``: the source's declared ``language`` (and an item whose own language
  equals it);
- ``"platform"``: what the platform or page said of the item (X's ``lang``, an
  article's ``<html lang>``), when the source declares none or declares another;
- ``"detected"``: detected here from title and text;
- ``"undetermined"``: too little text to tell; the language stays None.
"""

from __future__ import annotations

import re
import threading
from typing import Any

MIN_LETTERS = 12
# Detection reads this much text: a language shows within a few sentences, and a long
# article would cost time for nothing (a 10,000-line import pays it 10,000 times).
MAX_CHARS = 400

# The replacement of links first runs over this much (see language_sample).
_HEAD_CHARS = MAX_CHARS * 3

SOURCE, PLATFORM, DETECTED, UNDETERMINED = "source", "platform", "detected", "undetermined"
# Links say nothing of the language and outweigh it in link lists: a Ukrainian post of
# 20 "label (https://...)" lines was read as Slovak, Yoruba or Latin until they went.
_NOT_LANGUAGE = re.compile(r"(?:https?|tg)://\S+|\bwww\.\S+|[@#]\w+", re.IGNORECASE)


def item_language(
    own: str | None, declared: str | None, title: str | None, text: str
) -> tuple[str | None, str]:
    """(language, method) for an item: see the module docstring for the order."""
    declared_tag = _tag(declared)
    own_tag = _tag(own)
    if own_tag is not None:
        return own_tag, SOURCE if own_tag == declared_tag else PLATFORM
    if declared_tag is not None:
        return declared_tag, SOURCE
    detected = detect_language("\n".join(part for part in (title, text) if part))
    return (detected, DETECTED) if detected else (None, UNDETERMINED)


def detect_language(text: str) -> str | None:
    """ISO 639-1 code of the text's language (``"ar"``, ``"ru"``), or None when the text
    is too short or the detector cannot tell."""
    sample = language_sample(text)
    if sum(map(str.isalpha, sample)) < MIN_LETTERS:
        return None
    language = _detector().detect_language_of(sample)
    if language is None:
        return None
    return str(language.iso_code_639_1.name).lower()


def language_sample(text: str) -> str:
    """The start of ``text`` that detection reads: its first :data:`MAX_CHARS` characters
    once links and handles are replaced by a space.

    The replacement runs over the text's first few lines' worth (cut at a space, which no
    link or handle crosses, so that the start comes out as it would from the whole text)
    and over up to 64 x MAX_CHARS only when links ate most of that: one pass over 25,600
    characters cost 1 ms, eight times the detection itself.
    """
    if len(text) > _HEAD_CHARS:
        cut = max(text.rfind(" ", 0, _HEAD_CHARS), text.rfind("\n", 0, _HEAD_CHARS))
        if cut > 0:
            sample = _NOT_LANGUAGE.sub(" ", text[:cut])
            if len(sample) >= MAX_CHARS:
                return sample[:MAX_CHARS]
    return _NOT_LANGUAGE.sub(" ", text[: MAX_CHARS * 64])[:MAX_CHARS]


def _tag(value: str | None) -> str | None:
    """A language tag as stored: lower case, ``_`` as ``-`` (``pt_BR`` -> ``pt-br``)."""
    if not value or not value.strip():
        return None
    return value.strip().replace("_", "-").lower()


def warm_up() -> None:
    """Load the detector's models now (about 5 s, 90 MB), so that the first poll that
    needs a detection is not the one charged for it. The daemon calls this at start."""
    _detector()


_BUILDING = threading.Lock()
_built: list[Any] = []


def _detector() -> Any:
    # Imported and built on first use: most CLI commands never detect anything. All
    # models are loaded at once: loaded lazily, a poll's deadline paid for them. Under
    # a lock: threads detecting at once before it was built each built one (90 MB and
    # 0.4 s of the GIL apiece), as functools.cache lets them.
    with _BUILDING:
        if not _built:
            from lingua import LanguageDetectorBuilder

            builder = LanguageDetectorBuilder.from_all_languages().with_low_accuracy_mode()
            _built.append(builder.with_preloaded_language_models().build())
        return _built[0]
