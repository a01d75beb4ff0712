"""Which areas an item belongs to, and its primary area (the one digests file it under).

An entity's areas say where it is active, not where a post about it is: Wagner is
tagged Sahel, Libya and Iraq-Syria, and a Bakhmut post about вагнеровцы belongs in
none of those queues. So a matched entity no longer adds its areas by itself:

1. The source decides the primary area: its first configured area.
2. The item's areas are the source's areas, plus the areas of fired rules (a rule
   is a statement made for its area: "wagner AND mali"), plus each area that two
   different matched entities share when at least one of them is a place
   (Wagner + Gao: sahel; Wagner alone: nothing).
3. An area-neutral source (no areas configured): every matched entity's and rule's
   area counts (as before), and the primary area is the first area of the heaviest
   fired rule, else the area carried by the most entity weight (ties: the area of
   the first mention).

The primary area is always first in the returned list, the rest sorted.
"""

from __future__ import annotations

from collections.abc import Sequence

from sourcewatch.matching.results import MatchResult


def item_areas(source_areas: Sequence[str], result: MatchResult) -> list[str]:
    """The item's areas, primary first (empty when neither source nor match has one)."""
    if not source_areas:
        areas = set(result.areas)
    else:
        areas = set(source_areas) | _rule_areas(result) | _shared_with_a_place(result)
    primary = primary_area(source_areas, result)
    if primary is None:
        return sorted(areas)
    return [primary, *sorted(areas - {primary})]


def primary_area(source_areas: Sequence[str], result: MatchResult) -> str | None:
    if source_areas:
        return source_areas[0]
    if result.rule_areas:
        return result.rule_areas[0][0]  # fired rules come heaviest first
    support: dict[str, int] = {}
    for m in result.matches:
        for area in m.areas:
            support[area] = support.get(area, 0) + m.weight
    if not support:
        return None
    return max(support, key=lambda a: support[a])  # dicts keep first-mention order on ties


def _rule_areas(result: MatchResult) -> set[str]:
    return {a for areas in result.rule_areas for a in areas}


def _shared_with_a_place(result: MatchResult) -> set[str]:
    by_entity: dict[str, tuple[str, set[str]]] = {}
    for m in result.matches:
        by_entity[m.entity] = (m.kind, set(m.areas))
    shared: set[str] = set()
    for entity, (kind, areas) in by_entity.items():
        for other, (other_kind, other_areas) in by_entity.items():
            if other != entity and "place" in (kind, other_kind):
                shared |= areas & other_areas
    return shared
