"""How a translation is shown in a terminal: always labelled as a machine translation,
with engine, model, languages and time, and under the original. Every string passes
through ``terminal_safe`` and reaches rich as ``Text``, never as markup."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.console import Group, RenderableType
from rich.text import Text

from sourcewatch.text.sanitize import terminal_safe

if TYPE_CHECKING:  # annotations only: the service imports the HTTP client and the settings
    from sourcewatch.translate.service import Outcome
    from sourcewatch.translate.store import StoredTranslation


def translation_view(translation: StoredTranslation) -> RenderableType:
    source = translation.source_language or "?"
    model = f" {translation.model}" if translation.model else ""
    cut = "; the text was cut to max_chars_per_item" if translation.truncated else ""
    at = translation.translated_at.strftime("%Y-%m-%d %H:%M")
    label = (
        f"\nmachine translation ({translation.engine}{model}; {source} -> "
        f"{translation.target_language}; revision {translation.revision}; {at}{cut}):"
    )
    parts: list[RenderableType] = [Text(terminal_safe(label), style="bold")]
    if translation.title:
        parts.append(Text(terminal_safe(translation.title, keep_newlines=False), style="bold"))
    parts.append(Text(terminal_safe(translation.text)))
    return Group(*parts)


def outcome_view(outcome: Outcome) -> RenderableType:
    """``sourcewatch translate``: the original, then its translation (or what happened)."""
    parts: list[RenderableType] = [
        Text(f"item {outcome.item_id}: {outcome.status}", style="bold reverse")
    ]
    original = outcome.original
    if original is not None:
        language = original.language or "language unknown"
        parts.append(Text(f"original ({language}, revision {original.revision}):", style="bold"))
        if original.title:
            parts.append(Text(terminal_safe(original.title, keep_newlines=False), style="bold"))
        parts.append(Text(terminal_safe(original.text)))
    if outcome.translation is not None:
        parts.append(translation_view(outcome.translation))
    parts.append(Text())
    return Group(*parts)
