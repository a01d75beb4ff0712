"""Why an item was queued, as spans to highlight: the one call behind ``show``,
``triage`` and the web view.

:func:`item_highlights` matches an item's title and text as ingest does (one string,
``matching.itemtext``) through :meth:`Matcher.explain`, and returns one
:class:`Highlight` per hit, in its field's original offsets (``text[start:end]`` is the
surface in the original script; nothing is normalized or reordered): each entity
mention with the alias that matched it, and each rule keyword found, with the fired
rules that name that entity or keyword outside a NOT. A keyword of a rule that did
not fire is not a reason the item was queued and is left out.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from sourcewatch.matching.explain import Explanation
from sourcewatch.matching.itemtext import matchable_text

if TYPE_CHECKING:
    from sourcewatch.matching.matcher import Matcher


@dataclass(frozen=True, slots=True)
class Highlight:
    """One matched span. ``kind`` is ``entity`` (``entity`` set, ``alias`` the watchlist
    alias) or ``keyword`` (``entity`` None, ``alias`` the rule keyword as written)."""

    start: int
    end: int
    surface: str
    kind: str
    entity: str | None
    alias: str
    rules: tuple[str, ...]  # fired rules this hit counts for
    field: str = "text"  # title or text (item_highlights); "text" for a bare text

    def to_json(self) -> dict[str, Any]:
        return {
            "field": self.field,
            "start": self.start,
            "end": self.end,
            "surface": self.surface,
            "kind": self.kind,
            "entity": self.entity,
            "alias": self.alias,
            "rules": list(self.rules),
        }


def highlight_spans(explanation: Explanation) -> list[Highlight]:
    """The hits of ``explanation`` in its text's offsets, in text order."""
    fired = [r for r in explanation.rules if r.fired]

    def rules_naming(kind: str, value: str) -> tuple[str, ...]:
        return tuple(r.rule for r in fired if (kind, value) in r.positive)

    found = [
        Highlight(
            m.start, m.end, m.text, "entity", m.entity, m.alias, rules_naming("entity", m.entity)
        )
        for m in explanation.result.matches
    ]
    for k in explanation.keywords:
        rules = rules_naming("keyword", k.keyword)
        if rules:
            found.append(Highlight(k.start, k.end, k.surface, "keyword", None, k.keyword, rules))
    found.sort(key=lambda h: (h.start, -h.end, h.kind))
    return found


def item_highlights(matcher: Matcher, title: str | None, text: str) -> list[Highlight]:
    """The hits in an item's title and text (``field`` says which; offsets index it)."""
    matched, text_start = matchable_text(title, text)
    return [
        _in_field(h, text_start, len(title or ""))
        for h in highlight_spans(matcher.explain(matched))
    ]


def _in_field(hit: Highlight, text_start: int, title_length: int) -> Highlight:
    if hit.start >= text_start:
        return replace(hit, start=hit.start - text_start, end=hit.end - text_start)
    end = min(hit.end, title_length)  # a phrase running on from the title into the text
    return replace(hit, field="title", end=end, surface=hit.surface[: end - hit.start])
