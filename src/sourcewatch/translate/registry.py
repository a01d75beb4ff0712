"""Which translation engines exist: one line each. An engine is a class implementing
:class:`~sourcewatch.translate.engine.Engine` built from ``(TranslateSettings, Http)``."""

from __future__ import annotations

from collections.abc import Callable

from sourcewatch.config import TranslateSettings
from sourcewatch.errors import InvalidInput
from sourcewatch.net import Http
from sourcewatch.translate.deepl import DeepL
from sourcewatch.translate.engine import Engine
from sourcewatch.translate.libretranslate import LibreTranslate

EngineFactory = Callable[[TranslateSettings, Http], Engine]

ENGINES: dict[str, EngineFactory] = {
    LibreTranslate.name: LibreTranslate,
    DeepL.name: DeepL,
}
THIRD_PARTY: frozenset[str] = frozenset({DeepL.name})


def build_engine(name: str, settings: TranslateSettings, http: Http) -> Engine:
    """The engine ``name``, configured; TranslateError if it cannot be (no DeepL key)."""
    factory = ENGINES.get(name)
    if factory is None:
        raise InvalidInput(f"unknown translation engine {name!r}; one of {', '.join(ENGINES)}")
    return factory(settings, http)
