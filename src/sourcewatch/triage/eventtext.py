"""A history event's detail in words, for ``history``, ``mark`` and the web view.

The detail is stored as JSON (``{"status": ["new", "relevant"], "tags_added": [...]}``);
printed as ``key=value`` it showed Python reprs (``['new', 'relevant']``, ``None``).
Each known key has a phrase; unknown keys (from a newer version) still print, plainly.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# Keys that say where the event happened, not what changed: left out of the phrase.
_CONTEXT_KEYS = ("item_id", "version")


def describe_changes(detail: Mapping[str, Any]) -> str:
    """What an event changed, e.g. ``status new -> relevant; tags +claim``."""
    parts = [_phrase(key, value) for key, value in detail.items() if key not in _CONTEXT_KEYS]
    return "; ".join(part for part in parts if part)


def _phrase(key: str, value: Any) -> str:
    if key == "status" and _is_pair(value):
        before, after = value
        return f"status {after} (unchanged)" if before == after else f"status {before} -> {after}"
    if key == "assignee" and _is_pair(value):
        before, after = value
        if after is None:
            return f"unassigned (was {before})" if before else "unassigned"
        return f"assigned to {after}" + (f" (was {before})" if before else "")
    if key == "tags_added":
        return "tags " + ", ".join(f"+{tag}" for tag in value) if value else "tags unchanged"
    if key == "note":
        return f'note "{value}"'
    if key == "by" and value == "hand":
        return "added to the queue by hand"
    if key == "previous_status":
        return f"re-opened from {value}"
    if key in ("entities", "rules"):
        return f"{key} {_plain(value)}" if value else f"no {key}"
    return f"{key.replace('_', ' ')} {_plain(value)}"


def _is_pair(value: Any) -> bool:
    return isinstance(value, list | tuple) and len(value) == 2


def _plain(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, list | tuple):
        return ", ".join(_plain(v) for v in value) or "-"
    if isinstance(value, Mapping):
        return ", ".join(f"{k} {_plain(v)}" for k, v in value.items())
    return str(value)
