"""The collector seam: every source kind implements :class:`Collector`.

A collector fetches through the shared :class:`~sourcewatch.net.Http` client and
returns a :class:`~sourcewatch.records.PollResult`. It never writes to the
database or the archive; ``ingest`` does that, so a crash anywhere converges
on the next poll.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, ClassVar, Protocol

from sourcewatch.collectors.cpupool import CpuPool
from sourcewatch.errors import SourcewatchError
from sourcewatch.records import PollResult, SourceState

if TYPE_CHECKING:
    from sourcewatch.config import Settings
    from sourcewatch.net import Http
    from sourcewatch.sources.config import SourceConfig


class CollectorError(SourcewatchError):
    """A poll of one source failed. The message names the source and the problem.

    ``retry_after`` (seconds), when set, tells the scheduler when trying again
    makes sense (rate limits, flood waits); otherwise it backs off on its own.
    """

    def __init__(self, source: str, message: str, *, retry_after: float | None = None):
        self.source = source
        self.problem = message
        self.retry_after = retry_after
        super().__init__(f"{source}: {message}")


@dataclass(frozen=True)
class ItemRef:
    """A stored item a re-read should revisit (for edits and deletions)."""

    external_id: str
    url: str | None
    content_hash: str
    published_at: datetime | None


@dataclass(frozen=True)
class CollectContext:
    settings: Settings
    http: Http
    cpu: CpuPool = field(default_factory=CpuPool)  # where fetched bytes are parsed


class Collector(Protocol):
    kind: ClassVar[str]

    async def poll(
        self, source: SourceConfig, state: SourceState, ctx: CollectContext
    ) -> PollResult: ...

    async def reread(
        self, source: SourceConfig, items: list[ItemRef], ctx: CollectContext
    ) -> PollResult: ...
