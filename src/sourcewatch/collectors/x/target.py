"""What an X source follows: an account's timeline or a recent-search query.

``target = "@handle"`` (or ``handle``, or a profile URL) is an account;
``target = "search:<query>"``, or any target with ``options = {mode = "search"}``,
is a search. Anything else is refused with the source's name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sourcewatch.collectors.base import CollectorError

if TYPE_CHECKING:
    from sourcewatch.sources.config import SourceConfig

HANDLE = re.compile(r"^@?([A-Za-z0-9_]{1,50})$")
_PROFILE_URL = re.compile(
    r"^https?://(?:www\.|mobile\.)?(?:x|twitter)\.com/([A-Za-z0-9_]{1,50})/?$"
)


@dataclass(frozen=True)
class XTarget:
    mode: str  # "account" or "search"
    value: str  # the handle (without @) or the search query

    @property
    def key(self) -> str:
        """Identifies the stream in the cursor; a changed target starts afresh."""
        return f"account:{self.value.lower()}" if self.mode == "account" else f"search:{self.value}"


def parse_target(source: SourceConfig) -> XTarget:
    mode = source.options.get("mode")
    if mode not in (None, "account", "search"):
        raise CollectorError(
            source.name, f"options.mode must be 'account' or 'search', not {mode!r}"
        )
    target = source.target.strip()
    if target.lower().startswith("search:"):
        target, mode = target[len("search:") :].strip(), "search"
    if mode == "search":
        if not target:
            raise CollectorError(source.name, "empty X search query")
        return XTarget("search", target)
    match = HANDLE.match(target) or _PROFILE_URL.match(target)
    if match is None:
        raise CollectorError(
            source.name,
            f"X target {target[:80]!r} is neither @handle nor search:<query> "
            '(or set options.mode = "search")',
        )
    return XTarget("account", match.group(1))
