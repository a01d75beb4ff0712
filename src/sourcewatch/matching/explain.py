"""Why a text matched or did not: the record behind ``match --explain`` and ``show``.

Built by :meth:`Matcher.explain`; plain data, rendered here as lines of text
(the CLI and the triage detail both print these lines) or as JSON.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sourcewatch.matching.results import MatchResult


@dataclass(frozen=True, slots=True)
class MentionTrace:
    """One candidate mention: the alias, the surface form and what made it match."""

    entity: str
    alias: str  # as written in the watchlist
    surface: str  # the original text it covers
    start: int
    end: int
    key: str  # the normalized key the automaton found
    prefix: str  # word-internal text before the key (a clitic), "" if none
    suffix: str  # word-internal text after it (an ending), "" if none
    affixes: list[str]  # the named affix rules that allowed prefix and suffix
    steps: list[str]  # normalization steps that turned the surface into the key
    kept: bool
    reason: str  # why it was dropped; "" when kept

    def to_json(self) -> dict[str, Any]:
        return {
            "entity": self.entity,
            "alias": self.alias,
            "surface": self.surface,
            "start": self.start,
            "end": self.end,
            "key": self.key,
            "prefix": self.prefix,
            "suffix": self.suffix,
            "affixes": list(self.affixes),
            "normalization": list(self.steps),
            "kept": self.kept,
            "reason": self.reason,
        }


@dataclass(frozen=True, slots=True)
class RuleTrace:
    """A rule that names something in the text: whether it fired, operand by operand."""

    rule: str
    query: str
    fired: bool
    operands: list[str]  # lines from query.explain_node
    # (kind, value) of every term that counts for the rule (not under NOT)
    positive: tuple[tuple[str, str], ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "query": self.query,
            "fired": self.fired,
            "operands": list(self.operands),
        }


@dataclass(frozen=True, slots=True)
class KeywordHit:
    """A rule keyword found in the text (outside URLs and @handles), original offsets."""

    keyword: str  # as written in the rule
    start: int
    end: int
    surface: str

    def to_json(self) -> dict[str, Any]:
        return {
            "keyword": self.keyword,
            "start": self.start,
            "end": self.end,
            "surface": self.surface,
        }


@dataclass(frozen=True, slots=True)
class Explanation:
    text: str
    normalized: str
    result: MatchResult
    mentions: list[MentionTrace]
    rules: list[RuleTrace]
    keywords: list[KeywordHit] = field(default_factory=list)

    def lines(self) -> list[str]:
        """The explanation as plain lines (not yet terminal-safe: callers sanitize)."""
        out = [f"normalized: {self.normalized}"]
        if not self.mentions:
            out.append("entities: no alias of any entity occurs in the text")
        for m in self.mentions:
            verdict = "match" if m.kept else "dropped"
            out.append(
                f"{verdict} {m.entity}: alias {m.alias!r} as {m.surface!r} "
                f"[{m.start}:{m.end}] key {m.key!r}"
            )
            out.append("    forms: " + ("; ".join(m.affixes) or "exact form"))
            out.append("    normalization: " + ("; ".join(m.steps) or "none needed"))
            if m.reason:
                out.append(f"    why dropped: {m.reason}")
        if not self.rules:
            out.append("rules: no rule names anything found in the text")
        for r in self.rules:
            out.append(f"rule {r.rule}: {'fired' if r.fired else 'did not fire'}  ({r.query})")
            out.extend(f"    {line}" for line in r.operands)
        return out

    def to_json(self) -> dict[str, Any]:
        return {
            "normalized": self.normalized,
            "result": self.result.to_json(),
            "mentions": [m.to_json() for m in self.mentions],
            "rules": [r.to_json() for r in self.rules],
            "keywords": [k.to_json() for k in self.keywords],
        }
