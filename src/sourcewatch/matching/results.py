"""What matching one text produces: entity mentions, fired rules, priority."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class EntityMatch:
    """One mention of an entity. ``start``/``end`` index the original text; ``text`` is
    ``original[start:end]``, whole words (a clitic prefix or case ending included)."""

    entity: str
    alias: str  # the watchlist alias that matched, as written in the file
    start: int
    end: int
    text: str
    score: float  # 1.0 exact form, 0.8 through an inflection, clitic or plural
    areas: tuple[str, ...]
    kind: str = "other"  # the entity's kind (person, organization, place, other)
    weight: int = 1  # the entity's weight

    def to_json(self) -> dict[str, Any]:
        return {
            "entity": self.entity,
            "alias": self.alias,
            "start": self.start,
            "end": self.end,
            "text": self.text,
            "score": self.score,
            "areas": list(self.areas),
        }


@dataclass(frozen=True, slots=True)
class MatchResult:
    matches: list[EntityMatch]  # in text order
    rules: list[str]  # ids of fired rules, in watchlist order
    priority: int  # max weight of matched entities and fired rules; 0 when nothing matched
    areas: tuple[str, ...]  # sorted union of the areas of matches and fired rules
    # Areas of each fired rule, heaviest rule first (see matching.areas for the item's).
    rule_areas: tuple[tuple[str, ...], ...] = ()

    @property
    def entity_ids(self) -> list[str]:
        """Matched entity ids, each once, in order of first mention."""
        return list(dict.fromkeys(m.entity for m in self.matches))

    def __bool__(self) -> bool:
        return bool(self.matches or self.rules)

    def to_json(self) -> dict[str, Any]:
        return {
            "matches": [m.to_json() for m in self.matches],
            "rules": list(self.rules),
            "priority": self.priority,
            "areas": list(self.areas),
        }


NO_MATCH = MatchResult(matches=[], rules=[], priority=0, areas=())
