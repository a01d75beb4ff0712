"""Which engine may see an item: OPSEC before convenience.

Nothing is translated unless ``[translate] engines`` names an engine. A self-hosted
engine (LibreTranslate) may see every item. A third-party engine (DeepL) sees only items
from a source listed in ``third_party_sources`` or in an area listed in
``third_party_areas``: an analyst opts a source or an area in, knowingly.
"""

from __future__ import annotations

from dataclasses import dataclass

from sourcewatch.config import TranslateSettings
from sourcewatch.errors import InvalidInput
from sourcewatch.translate.registry import ENGINES, THIRD_PARTY


class NotAllowed(InvalidInput):
    """An engine was asked for that is not configured, or not opted in for this item."""


@dataclass(frozen=True)
class ItemScope:
    """What the policy needs to know of an item: its source and its areas."""

    source: str
    areas: tuple[str, ...]


def third_party_allowed(settings: TranslateSettings, scope: ItemScope) -> bool:
    areas = {a.lower() for a in settings.third_party_areas}
    return scope.source in settings.third_party_sources or bool(
        areas & {a.lower() for a in scope.areas}
    )


def allowed_engines(settings: TranslateSettings, scope: ItemScope) -> list[str]:
    """The configured engines this item may be sent to, in the configured order."""
    return [
        name
        for name in settings.engines
        if name not in THIRD_PARTY or third_party_allowed(settings, scope)
    ]


def choose_engine(
    settings: TranslateSettings, scope: ItemScope, wanted: str | None = None
) -> str | None:
    """The engine to use for this item (``wanted``, or the first allowed); None when no
    engine may see it. NotAllowed when ``wanted`` is not configured or not opted in."""
    allowed = allowed_engines(settings, scope)
    if wanted is None:
        return allowed[0] if allowed else None
    if wanted not in ENGINES:
        raise NotAllowed(f"unknown translation engine {wanted!r}; one of {', '.join(ENGINES)}")
    if wanted not in settings.engines:
        raise NotAllowed(
            f"engine {wanted!r} is not configured: add it to [translate] engines "
            f"(configured: {', '.join(settings.engines) or 'none'})"
        )
    if wanted not in allowed:
        raise NotAllowed(
            f"{wanted} is a third-party service and source {scope.source!r} (areas: "
            f"{', '.join(scope.areas) or '-'}) is not opted in: list the source in "
            "[translate] third_party_sources or an area in third_party_areas"
        )
    return wanted
