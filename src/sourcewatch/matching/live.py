"""The current matcher of a watchlists directory, rebuilt when a file changes.

The daemon holds one :class:`LiveMatcher` and calls ``current()`` for each
batch: analysts edit watchlists without restarting anything. A broken edit
never stops matching: the last valid matcher stays in service and the problems
are kept in ``error`` (and logged) until the files are fixed.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path

from sourcewatch.matching.matcher import Matcher, load_matcher
from sourcewatch.matching.watchlist import WatchlistError, watchlists_version

log = logging.getLogger(__name__)


class LiveMatcher:
    def __init__(
        self,
        directory: Path,
        *,
        check_interval: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """Load ``directory`` now; raises :class:`WatchlistError` if it is invalid."""
        self.directory = directory
        self.check_interval = check_interval
        self._clock = clock
        self._lock = threading.Lock()
        self._matcher = load_matcher(directory)
        self._seen_version = self._matcher.version
        self._checked_at = clock()
        self.error: WatchlistError | None = None

    @property
    def version(self) -> str:
        return self._matcher.version

    def current(self) -> Matcher:
        """The matcher for the files as they are now (checked at most every interval)."""
        now = self._clock()
        if now - self._checked_at < self.check_interval:
            return self._matcher
        with self._lock:
            if now - self._checked_at >= self.check_interval:
                self._checked_at = now
                self._reload_if_changed()
        return self._matcher

    def _reload_if_changed(self) -> None:
        try:
            version = watchlists_version(self.directory)
        except OSError as exc:
            log.warning("cannot read watchlists in %s: %s", self.directory, exc)
            return
        if version == self._seen_version:
            return
        self._seen_version = version
        try:
            matcher = load_matcher(self.directory)
        except WatchlistError as exc:
            self.error = exc
            log.error(
                "watchlists in %s are invalid; still matching with version %s:\n%s",
                self.directory,
                self._matcher.version,
                "\n".join(exc.problems),
            )
            return
        self._matcher, self.error = matcher, None
        log.info("watchlists reloaded: version %s", matcher.version)
