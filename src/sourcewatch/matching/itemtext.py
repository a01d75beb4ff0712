"""The one string an item is matched as: its title and text joined, so rules can
combine them. Lives here (not in ingest) so ``show --explain`` rebuilds exactly the
string that ingest matched."""

from __future__ import annotations

SEPARATOR = "\n\n"


def matchable_text(title: str | None, text: str) -> tuple[str, int]:
    """The string matched for an item, and where its text field starts in it."""
    if title:
        prefix = title + SEPARATOR
        return prefix + text, len(prefix)
    return text, 0
