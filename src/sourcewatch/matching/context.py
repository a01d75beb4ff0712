"""Where a mention stands: inside a URL or @handle, and how far from other mentions.

URLs and handles are addresses, not prose: ``sahel`` in ``t.me/sahel_ar_watch``
says nothing about the Sahel. The matcher drops mentions that fall inside one
unless the entity asks for them (``in_urls``). Only texts that matched pay for
this (the regex runs after the scan found something).
"""

from __future__ import annotations

import re

# Scheme URLs, bare www./t.me/x.com style hosts with a path, e-mail addresses, @handles.
_ADDRESS = re.compile(
    r"(?:[a-z][a-z0-9+.\-]*://|www\.)\S+"
    r"|[\w.+\-]+@[\w\-]+(?:\.[\w\-]+)+"
    r"|\b(?:t\.me|telegram\.me|x\.com|twitter\.com)/\S+"
    r"|(?<![\w.])@\w+",
    re.IGNORECASE,
)
_QUICK = ("://", "www.", "@", "t.me/", "x.com/", "twitter.com/")

# Closing marks that belong to a name when its opening mark is inside the span.
CLOSERS = {"«": "»", "“": "”", '"': '"', "„": "“", "‹": "›", "(": ")", "[": "]"}
_OPENER = re.compile("[" + re.escape("".join(CLOSERS)) + "]")


def address_regions(text: str) -> list[tuple[int, int]]:
    """Spans of ``text`` that are URLs or @handles."""
    if "/" not in text and "@" not in text and "www." not in text:
        return []  # the common case, decided without a generator (every marker has one)
    if not any(marker in text for marker in _QUICK):
        return []
    return [m.span() for m in _ADDRESS.finditer(text)]


def inside(span: tuple[int, int], regions: list[tuple[int, int]]) -> bool:
    return any(start < span[1] and span[0] < end for start, end in regions)


def close_quotes(text: str, start: int, end: int) -> int:
    """``end`` extended over the closing mark of an opening mark inside ``text[start:end]``
    (ЧВК «Вагнер» keeps its »), when that closer follows right after."""
    surface = text[start:end]
    if not _OPENER.search(surface):
        return end  # the common case: one C search instead of fourteen counts
    for opener, closer in CLOSERS.items():
        if opener == closer:
            unbalanced = surface.count(opener) % 2 == 1
        else:
            unbalanced = surface.count(opener) > surface.count(closer)
        if unbalanced and text[end : end + 1] == closer:
            return end + 1
    return end
