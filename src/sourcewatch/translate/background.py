"""The daemon's translation job: queued items in ``[translate] background_languages``
whose current revision has no translation to the target yet, highest priority first,
``batch_size`` per run.

It never blocks or slows ingest: it runs as its own task with its own HTTP client (a
hung translation server holds none of the polls' host slots), reaches the database only
in short calls on a thread (never the daemon's ingest thread, never while a request
waits), and is cancelled at shutdown. A failed run backs the job off (``backoff_base_seconds``
doubling up to ``backoff_cap_seconds``, or the server's Retry-After); a text an engine
refuses (400, 413), and an item no configured engine may see (a third party not opted in),
is set aside until the cap has passed, so it never takes the place of others. The
backoff lives in memory: a restarted daemon tries again at once.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

import sqlalchemy as sa

from sourcewatch.config import Settings
from sourcewatch.store.tables import (
    ITEM,
    ITEM_REVISION,
    SOURCE,
    TRANSLATION,
    TRIAGE,
    TRIAGE_ITEM,
)
from sourcewatch.translate.service import (
    CANDIDATE_COLUMNS,
    CURRENT_REVISION,
    FAILED,
    NO_ENGINE,
    NOTHING,
    TRANSLATED,
    Candidate,
    Translator,
    candidate_of,
)

log = logging.getLogger(__name__)

OPEN_STATUSES = ("new", "relevant", "escalated")  # decided irrelevant/duplicate: not worth it
REFUSED_TEXT = frozenset({400, 413})  # this text, not the service: skip it, go on
MAX_REMEMBERED = 10_000


@dataclass
class RunReport:
    translated: int = 0
    failed: int = 0
    skipped_until: float | None = None  # monotonic time the job waits for (backoff)
    errors: list[str] = field(default_factory=list)


def due_candidates(
    conn: sa.Connection, settings: Settings, limit: int, exclude: set[int]
) -> list[Candidate]:
    """Queued items in a background language whose current revision has no translation
    to the target by any engine, highest priority first, then newest."""
    policy = settings.translate
    languages = [lang.lower() for lang in policy.background_languages]
    target = policy.target.lower()
    done = sa.exists().where(
        TRANSLATION.c.revision_id == ITEM_REVISION.c.id,
        TRANSLATION.c.target_language == target,
    )
    query = (
        sa.select(*CANDIDATE_COLUMNS)
        .select_from(TRIAGE_ITEM)
        .join(TRIAGE, TRIAGE.c.id == TRIAGE_ITEM.c.triage_id)
        .join(ITEM, ITEM.c.id == TRIAGE_ITEM.c.item_id)
        .join(ITEM_REVISION, CURRENT_REVISION)
        .join(SOURCE, SOURCE.c.id == ITEM.c.source_id)
        .where(
            TRIAGE.c.status.in_(OPEN_STATUSES),
            sa.func.lower(ITEM.c.language).in_(languages),
            sa.func.lower(ITEM.c.language) != target,
            ~done,
        )
        .order_by(TRIAGE.c.priority.desc(), TRIAGE.c.queued_at.desc(), ITEM.c.id)
        .limit(limit)
    )
    if exclude:
        query = query.where(ITEM_REVISION.c.id.not_in(sorted(exclude)))
    return [candidate_of(row) for row in conn.execute(query)]


class BackgroundTranslator:
    """One per daemon: ``run_once`` is its job; the backoff state lives here."""

    def __init__(
        self, settings: Settings, engine: sa.Engine, monotonic: Callable[[], float]
    ) -> None:
        self.settings = settings
        self.engine = engine
        self.monotonic = monotonic
        self.failures = 0  # consecutive failed runs
        self.resume_at = 0.0
        self.refused: dict[int, float] = {}  # revision id -> monotonic time to try again

    def enabled(self) -> bool:
        policy = self.settings.translate
        return bool(policy.engines and policy.background_languages)

    async def run_once(self) -> RunReport:
        """Translate one batch, unless backing off. Every error is counted and logged; a
        service that is down, refuses or hangs makes this run end, never the daemon."""
        report = RunReport()
        now = self.monotonic()
        if now < self.resume_at:
            report.skipped_until = self.resume_at
            return report
        self.refused = {rid: t for rid, t in self.refused.items() if t > now}
        batch = await asyncio.to_thread(self._due, set(self.refused))
        if not batch:
            return report
        backed_off = False
        async with Translator(self.settings, self.engine) as translator:
            for candidate in batch:
                outcome = await translator.translate(candidate)
                if outcome.status == TRANSLATED:
                    report.translated += 1
                    continue
                if outcome.status in (NO_ENGINE, NOTHING):  # no engine may see it: set aside
                    self._refuse(candidate.revision_id)
                    continue
                if outcome.status != FAILED or outcome.error is None:
                    continue
                report.failed += 1
                report.errors.append(str(outcome.error))
                if outcome.error.status in REFUSED_TEXT:
                    self._refuse(candidate.revision_id)
                    continue
                self._back_off(outcome.error.retry_after)
                backed_off = True
                break
        if not backed_off:
            self.failures = 0
        self._log(report)
        return report

    def _due(self, exclude: set[int]) -> list[Candidate]:
        with self.engine.connect() as conn:
            return due_candidates(conn, self.settings, self.settings.translate.batch_size, exclude)

    def _refuse(self, revision_id: int) -> None:
        if len(self.refused) < MAX_REMEMBERED:
            self.refused[revision_id] = (
                self.monotonic() + self.settings.translate.backoff_cap_seconds
            )

    def _back_off(self, retry_after: float | None) -> None:
        policy = self.settings.translate
        self.failures += 1
        delay = min(
            policy.backoff_cap_seconds, policy.backoff_base_seconds * 2 ** (self.failures - 1)
        )
        if retry_after is not None:
            delay = max(delay, min(retry_after, policy.backoff_cap_seconds))
        self.resume_at = self.monotonic() + delay

    def _log(self, report: RunReport) -> None:
        if report.failed:
            log.warning(
                "translation run failed",
                extra={
                    "translated": report.translated,
                    "failed": report.failed,
                    "error": report.errors[-1],
                    "retry_in_seconds": round(max(0.0, self.resume_at - self.monotonic()), 1),
                },
            )
        elif report.translated:
            log.info("items translated", extra={"translated": report.translated})
