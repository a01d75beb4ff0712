"""Row leases on sources: claim, renew, release, expiry; on SQLite and PostgreSQL."""

from __future__ import annotations

import contextlib
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa

from sourcewatch.config import load_settings
from sourcewatch.configsource import ConfigError
from sourcewatch.daemon import leases
from sourcewatch.records import utcnow
from sourcewatch.sources.config import SourceConfig
from sourcewatch.sources.sync import sync_sources
from sourcewatch.store.sql import update_by_id
from sourcewatch.store.tables import SOURCE
from sourcewatch.workspace import Workspace


def add_sources(ws: Workspace, count: int) -> list[str]:
    names = [f"src{i:02d}" for i in range(count)]
    sync_sources(
        ws.engine,
        [SourceConfig(name=n, kind="feed", target=f"http://127.0.0.1/{n}") for n in names],
    )
    return names


def row(ws: Workspace, name: str) -> sa.Row:
    with ws.engine.connect() as conn:
        return conn.execute(sa.select(SOURCE).where(SOURCE.c.name == name)).one()


def test_a_claimed_source_is_leased_and_nobody_else_can_claim_it(workspace: Workspace) -> None:
    add_sources(workspace, 3)
    now = utcnow()
    first = leases.claim_due_sources(workspace.engine, "a", now, 10, 60)
    assert sorted(c.name for c in first) == ["src00", "src01", "src02"]
    assert leases.claim_due_sources(workspace.engine, "b", now, 10, 60) == []
    leased = row(workspace, "src01")
    assert leased.lease_owner == "a"
    assert leased.lease_expires_at == now + timedelta(seconds=60)
    assert leases.lease_counts(workspace.engine, now) == {"a": 3}


def test_limit_and_most_overdue_first(workspace: Workspace) -> None:
    add_sources(workspace, 4)
    now = utcnow()
    with workspace.engine.begin() as conn:
        for name, minutes_ago in (("src00", 1), ("src01", 30), ("src02", -5), ("src03", 10)):
            conn.execute(
                sa.update(SOURCE)
                .where(SOURCE.c.name == name)
                .values(next_poll_at=now - timedelta(minutes=minutes_ago))
            )
    claimed = leases.claim_due_sources(workspace.engine, "a", now, 2, 60)
    assert [c.name for c in claimed] == ["src01", "src03"]  # src02 is not due yet
    rest = leases.claim_due_sources(workspace.engine, "a", now, 10, 60)
    assert [c.name for c in rest] == ["src00"]


def test_an_expired_lease_goes_to_another_replica(workspace: Workspace) -> None:
    add_sources(workspace, 1)
    now = utcnow()
    assert len(leases.claim_due_sources(workspace.engine, "killed", now, 10, 5)) == 1
    assert leases.claim_due_sources(workspace.engine, "b", now + timedelta(seconds=4), 10, 5) == []
    later = now + timedelta(seconds=6)
    taken = leases.claim_due_sources(workspace.engine, "b", later, 10, 5)
    assert [c.name for c in taken] == ["src00"]
    # The dead holder's late release must not clobber the new holder's lease.
    assert not leases.release_lease(workspace.engine, "killed", taken[0].source_id)
    assert row(workspace, "src00").lease_owner == "b"


def test_renewal_keeps_a_running_poll_leased(workspace: Workspace) -> None:
    add_sources(workspace, 2)
    now = utcnow()
    claimed = leases.claim_due_sources(workspace.engine, "a", now, 10, 5)
    ids = [c.source_id for c in claimed]
    assert leases.renew_leases(workspace.engine, "a", ids, now + timedelta(seconds=4), 5) == 2
    assert leases.claim_due_sources(workspace.engine, "b", now + timedelta(seconds=8), 10, 5) == []
    assert leases.renew_leases(workspace.engine, "b", ids, now, 5) == 0  # not b's leases


def test_release_sets_the_next_poll_and_frees_the_row(workspace: Workspace) -> None:
    add_sources(workspace, 2)
    now = utcnow()
    claimed = leases.claim_due_sources(workspace.engine, "a", now, 10, 60)
    later = now + timedelta(minutes=5)
    assert leases.release_lease(workspace.engine, "a", claimed[0].source_id, next_poll_at=later)
    released = row(workspace, claimed[0].name)
    assert (released.lease_owner, released.lease_expires_at) == (None, None)
    assert released.next_poll_at == later
    assert leases.claim_due_sources(workspace.engine, "b", now, 10, 60) == []  # not due yet
    assert leases.release_all(workspace.engine, "a") == 1  # the other one; stays due
    assert [c.name for c in leases.claim_due_sources(workspace.engine, "b", now, 10, 60)] == [
        claimed[1].name
    ]


def test_disabled_removed_and_excluded_sources_are_not_claimed(workspace: Workspace) -> None:
    names = add_sources(workspace, 4)
    with workspace.engine.begin() as conn:
        conn.execute(sa.update(SOURCE).where(SOURCE.c.name == names[0]).values(enabled=False))
        conn.execute(sa.update(SOURCE).where(SOURCE.c.name == names[1]).values(in_config=False))
    excluded = row(workspace, names[2]).id
    claimed = leases.claim_due_sources(workspace.engine, "a", utcnow(), 10, 60, exclude={excluded})
    assert [c.name for c in claimed] == [names[3]]


def test_recheck_claims_follow_last_recheck_not_next_poll(workspace: Workspace) -> None:
    names = add_sources(workspace, 3)
    now = utcnow()
    with workspace.engine.begin() as conn:
        conn.execute(
            sa.update(SOURCE)
            .where(SOURCE.c.name.in_(names[:2]))
            .values(last_success_at=now, next_poll_at=now + timedelta(hours=1))
        )
        conn.execute(
            sa.update(SOURCE)
            .where(SOURCE.c.name == names[1])
            .values(last_recheck_at=now - timedelta(minutes=5))
        )
    claimed = leases.claim_due_sources(
        workspace.engine, "a", now, 10, 60, purpose="reread", recheck_every=3600
    )
    assert [c.name for c in claimed] == [names[0]]  # never re-checked; [2] never polled
    leases.release_lease(workspace.engine, "a", claimed[0].source_id, last_recheck_at=now)
    assert row(workspace, names[0]).last_recheck_at == now


def test_concurrent_claimers_never_share_a_source(workspace: Workspace) -> None:
    add_sources(workspace, 40)
    now = utcnow()

    def claim(owner: str) -> list[str]:
        got: list[str] = []
        for _ in range(10):
            got += [c.name for c in leases.claim_due_sources(workspace.engine, owner, now, 3, 60)]
        return got

    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(claim, ["a", "b", "c", "d"]))
    everything = [name for got in results for name in got]
    assert len(everything) == len(set(everything)) == 40


def test_a_lease_shorter_than_the_shutdown_grace_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="lease_seconds"):
        load_settings(scheduler={"lease_seconds": 10, "grace_seconds": 20})
    with pytest.raises(ConfigError, match="tick_seconds"):
        load_settings(scheduler={"lease_seconds": 3, "tick_seconds": 2})


def test_finish_poll_records_the_outcome_schedules_and_releases(workspace: Workspace) -> None:
    add_sources(workspace, 1)
    now = utcnow()
    (claim,) = leases.claim_due_sources(workspace.engine, "a", now, 10, 60)
    seen: list[int] = []

    def next_at(failures: int) -> datetime:
        seen.append(failures)
        return now + timedelta(minutes=failures + 1)

    failed = leases.PollRecord(now, ok=False, error="src00: HTTP 500")
    assert leases.finish_poll(workspace.engine, "a", claim.source_id, failed, next_at)
    after = row(workspace, "src00")
    assert (after.consecutive_failures, after.last_error, after.lease_owner) == (
        1,
        "src00: HTTP 500",
        None,
    )
    assert after.next_poll_at == now + timedelta(minutes=2) and after.last_success_at is None

    (claim,) = leases.claim_due_sources(workspace.engine, "a", now + timedelta(hours=1), 10, 60)
    ok = leases.PollRecord(now + timedelta(hours=1), ok=True)
    assert leases.finish_poll(workspace.engine, "a", claim.source_id, ok, next_at)
    after = row(workspace, "src00")
    assert (after.consecutive_failures, after.last_error) == (0, None)
    assert after.last_success_at == now + timedelta(hours=1)
    assert seen == [1, 0]
    # Not the holder (any more): nothing is written.
    assert not leases.finish_poll(workspace.engine, "a", claim.source_id, ok, next_at)


def test_finish_polls_records_many_outcomes_in_one_transaction(workspace: Workspace) -> None:
    add_sources(workspace, 3)
    now = utcnow()
    claims = leases.claim_due_sources(workspace.engine, "a", now, 10, 60)
    by_name = {claim.name: claim for claim in claims}
    leases.release_lease(workspace.engine, "a", by_name["src02"].source_id)  # lost meanwhile

    def in_minutes(failures: int) -> datetime:
        return now + timedelta(minutes=failures + 1)

    kept = leases.finish_polls(
        workspace.engine,
        "a",
        [
            leases.PollFinish(by_name["src00"].source_id, leases.PollRecord(now, True), in_minutes),
            leases.PollFinish(
                by_name["src01"].source_id, leases.PollRecord(now, False, "boom"), in_minutes
            ),
            leases.PollFinish(by_name["src02"].source_id, leases.PollRecord(now, True), in_minutes),
        ],
    )
    assert kept == [True, True, False]
    ok, failed, lost = (row(workspace, name) for name in ("src00", "src01", "src02"))
    assert (ok.last_success_at, ok.next_poll_at, ok.lease_owner) == (
        now,
        now + timedelta(minutes=1),
        None,
    )
    assert (failed.consecutive_failures, failed.last_error) == (1, "boom")
    assert failed.next_poll_at == now + timedelta(minutes=2)
    assert lost.last_polled_at is None  # not the holder: nothing written


def test_concurrent_updates_of_the_same_sources_in_opposite_orders_do_not_deadlock(
    workspace: Workspace,
) -> None:
    # Two of the daemon's writers (say, a batch's outcomes and a batch's results) update
    # the same two source rows, each in its own order: by column group, src00 then src01
    # for one, src01 then src00 for the other. Each pauses after its first UPDATE until
    # the other has made its own, which, without a lock order, is a deadlock on PostgreSQL.
    add_sources(workspace, 2)
    first, second = (row(workspace, name).id for name in ("src00", "src01"))
    both_updated_once = threading.Barrier(2)
    paused: set[int] = set()

    @sa.event.listens_for(workspace.engine, "before_cursor_execute")
    def pause_after_the_first_update(conn, cursor, statement, *args) -> None:  # type: ignore[no-untyped-def]
        if statement.startswith("UPDATE source") and threading.get_ident() not in paused:
            paused.add(threading.get_ident())
            with contextlib.suppress(threading.BrokenBarrierError):  # the other waits on a lock
                both_updated_once.wait(timeout=2.0)

    def update(rows: list[dict[str, object]]) -> None:
        with workspace.engine.begin() as conn:
            update_by_id(conn, SOURCE, rows)

    with ThreadPoolExecutor(2) as pool:
        one = pool.submit(
            update, [{"_id": first, "last_error": "a"}, {"_id": second, "consecutive_failures": 1}]
        )
        other = pool.submit(
            update, [{"_id": second, "last_error": "b"}, {"_id": first, "consecutive_failures": 2}]
        )
        one.result(timeout=30)
        other.result(timeout=30)  # neither was aborted as a deadlock victim
    sa.event.remove(workspace.engine, "before_cursor_execute", pause_after_the_first_update)
    assert {row(workspace, "src00").last_error, row(workspace, "src01").last_error} <= {"a", "b"}
