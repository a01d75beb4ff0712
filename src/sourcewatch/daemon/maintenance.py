"""The daemon's periodic maintenance besides polling: archive verification, the
re-check of cited URLs, and the retries of unreachable ones in between. (The re-read of
recent items runs under source leases in :mod:`sourcewatch.daemon.loop`, so replicas
never re-read one source twice.)"""

from __future__ import annotations

import logging
from datetime import datetime

from sourcewatch.net import Http
from sourcewatch.store.verify import verify_archive
from sourcewatch.workspace import Workspace

log = logging.getLogger(__name__)


def verify_quick(ws: Workspace) -> bool:
    """``verify --quick``: walk the capture-log chain and check every object exists.
    Logs each problem at ERROR; returns whether the archive is intact."""
    report = verify_archive(ws, quick=True)
    if report.ok:
        log.info(
            "archive verified (quick)",
            extra={"entries": report.entries, "objects": report.objects},
        )
        return True
    for problem in report.problems[:50]:
        log.error("archive problem", extra={"problem": problem})
    log.error(
        "archive verification failed (quick)",
        extra={"problems": len(report.problems), "entries": report.entries},
    )
    return False


async def recheck_citations(ws: Workspace, http: Http) -> dict[str, int]:
    """Weekly re-check of the URLs that reports cite (:mod:`sourcewatch.citations.recheck`);
    returns how many URLs are live, edited, deleted, unreachable or blocked, and how many
    ``changed`` (unreachable never counts as a change)."""
    from sourcewatch.citations import recheck_cited_urls

    counts = (await recheck_cited_urls(ws, http)).counts()
    log.info("cited URLs re-checked", extra=counts)
    return counts


async def retry_citations(ws: Workspace, http: Http, replica: str, now: datetime) -> dict[str, int]:
    """Try again the cited URLs that were unreachable and are due (5 min, 30 min, 2 h,
    then every 12 h: :mod:`sourcewatch.citations.retry`); returns the run's counts."""
    from sourcewatch.citations.retry import retry_unreachable

    report = await retry_unreachable(ws, http, ws.settings, now, owner=replica)
    counts = report.counts()
    if report.outcomes:
        log.info("unreachable citations retried", extra=counts)
    return counts


def deliver_alerts(ws: Workspace, replica: str) -> None:
    """Send what the alert outbox holds for each ``[[alerts]]`` channel (see
    :mod:`sourcewatch.alerts.delivery`); a failing channel is logged and retried later."""
    from sourcewatch.alerts.delivery import deliver
    from sourcewatch.records import utcnow

    report = deliver(ws.engine, ws.settings.alerts, utcnow(), owner=replica)
    if report.messages or report.failures:
        log.info(
            "alerts delivered", extra={"messages": report.messages, "failures": report.failures}
        )


def timestamp_log_head(ws: Workspace) -> bool | None:
    """Daily RFC 3161 timestamp of the capture-log head (only with ``[evidence] tsa_url``).
    A TSA failure is logged and retried at the next run; returns whether a token was stored
    (None: nothing to stamp)."""
    from sourcewatch.evidence.tsa import TimestampError
    from sourcewatch.evidence.tsa import timestamp_log_head as stamp

    try:
        token = stamp(ws)
    except TimestampError as exc:
        log.error("capture-log head not timestamped", extra={"error": str(exc)})
        return False
    if token is None:
        return None
    log.info(
        "capture-log head timestamped", extra={"seq": token.ref, "gen_time": str(token.gen_time)}
    )
    return True
