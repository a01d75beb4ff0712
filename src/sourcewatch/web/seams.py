"""Where search (issue #22) and translation (issue #23) plug into the web view.

They are built elsewhere, at the same time; the web view must not grow its own. The
lead wires them when merging: ``Seams(search=..., translation=...)`` given to
``create_app``. Until then the item page has no translation block and the navigation
no search link; nothing pretends to search or translate.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sourcewatch.workspace import Workspace


@dataclass(frozen=True)
class Translation:
    """What the item page shows beside the original."""

    language: str  # the language translated into
    text: str
    engine: str  # which translator, for the reader's judgement


# translation(ws, item_id) -> the stored translation of the item's current text, or None
TranslationLookup = Callable[["Workspace", int], Translation | None]
# search(ws, query, limit) -> rows of dicts with at least item_id, source, excerpt
SearchRun = Callable[["Workspace", str, int], list[dict[str, Any]]]


@dataclass(frozen=True)
class Seams:
    translation: TranslationLookup | None = None
    search: SearchRun | None = None
