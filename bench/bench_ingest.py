"""Ingest throughput: 100,000 items (~500 bytes of text each), then 10% of them edited.

Usage: python bench/bench_ingest.py [--items 100000] [--batch 1000] [--postgres URL]
Items arrive in PollResults of --batch items, each with its page capture, as a
collector would deliver them. Reports items/s for the first pass and for the
edit pass, on SQLite (a temp dir) and, with --postgres, on PostgreSQL.

The peer: a plain ``executemany`` INSERT of the same rows (source id, external id,
url, title, text) into a table with a UNIQUE (source_id, external_id) key, in the
same database, one transaction per batch, run batch by batch interleaved with
ingest; both are measured in this process's CPU time (``time.process_time``, the
server's own CPU on PostgreSQL is not in it) and wall time, and the ratio is
ingest's time over the peer's.

Also reported: ``ingest_db_us_cpu_per_item``, the part of ingest's CPU spent inside
the database driver (every statement's execute/executemany and the commit; on SQLite
that is the database engine itself: B-tree and FTS5 work, WAL writes), counted with
SQLAlchemy's cursor events. It is the floor no change to our Python can go under; its
ratio to the peer (``db_floor_ratio``) says how close to the target the rest can get.
"""

from __future__ import annotations

import argparse
import random
import string
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa
from scratch_db import scratch_postgres

from sourcewatch.config import load_settings
from sourcewatch.ingest.writer import ingest
from sourcewatch.records import ParsedItem, PollResult, RawCapture
from sourcewatch.sources.config import SourceConfig
from sourcewatch.workspace import Workspace

# A declared language: detection (lingua, ~9 ms per 500 random letters) is measured apart.
SOURCE = SourceConfig(name="bench", kind="feed", target="https://example.org/feed", language="en")


def make_text(rng: random.Random) -> str:
    return "".join(rng.choices(string.ascii_letters + " " * 10, k=500))


def batches(texts: list[str], batch: int, tag: str) -> list[PollResult]:
    results = []
    for first in range(0, len(texts), batch):
        chunk = range(first, min(first + batch, len(texts)))
        body = f"{tag} page {first}".encode() + "".join(texts[n][:50] for n in chunk).encode()
        capture = RawCapture(url=f"https://example.org/feed?p={first}", body=body, status=200)
        items = [
            ParsedItem(
                external_id=str(n),
                url=f"https://example.org/a/{n}",
                title=f"item {n}",
                text=texts[n],
                capture_sha256s=[capture.sha256],
            )
            for n in chunk
        ]
        results.append(PollResult([capture], items, cursor={"page": first}))
    return results


PEER = sa.Table(
    "bench_peer_item",
    sa.MetaData(),
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("source_id", sa.Integer, nullable=False),
    sa.Column("external_id", sa.String(500), nullable=False),
    sa.Column("url", sa.Text),
    sa.Column("title", sa.Text),
    sa.Column("text", sa.Text, nullable=False),
    sa.UniqueConstraint("source_id", "external_id"),
)


def peer_insert(engine: sa.Engine, result: PollResult) -> None:
    """The baseline: the same rows, one executemany INSERT, one transaction."""
    rows = [(1, item.external_id, item.url, item.title, item.text) for item in result.items]
    marker = "%s" if engine.dialect.name == "postgresql" else "?"
    with engine.begin() as conn:  # the workspace's BEGIN (IMMEDIATE on SQLite), one commit
        conn.exec_driver_sql(
            "INSERT INTO bench_peer_item (source_id, external_id, url, title, text) "
            f"VALUES ({', '.join([marker] * 5)})",
            rows,
        )


class DriverClock:
    """CPU time inside the DBAPI: statements (cursor events) and commits (the dialect's
    ``do_commit``, wrapped), while ``counting`` is set."""

    def __init__(self, engine: sa.Engine) -> None:
        self.seconds = 0.0
        self.counting = False
        self._started = 0.0
        sa.event.listen(engine, "before_cursor_execute", self._before)
        sa.event.listen(engine, "after_cursor_execute", self._after)
        dialect = engine.dialect
        commit = dialect.do_commit

        def do_commit(dbapi_connection: object) -> None:
            started = time.process_time()
            try:
                commit(dbapi_connection)
            finally:
                if self.counting:
                    self.seconds += time.process_time() - started

        dialect.do_commit = do_commit  # type: ignore[method-assign]

    def _before(self, *_: object) -> None:
        self._started = time.process_time()

    def _after(self, *_: object) -> None:
        if self.counting:
            self.seconds += time.process_time() - self._started


def timed(clock: dict[str, float], name: str, started: tuple[float, float]) -> None:
    clock[name + "_cpu"] += time.process_time() - started[0]
    clock[name + "_wall"] += time.perf_counter() - started[1]


def now_clocks() -> tuple[float, float]:
    return time.process_time(), time.perf_counter()


def corpus(kind: str, total: int) -> list[str]:
    """``random``: 500 random letters and spaces (every word new: the search index's
    worst case, a GIN or FTS5 key per word); ``multilingual``: bench_search's posts,
    real sentences recombined in six languages (a real vocabulary)."""
    if kind == "random":
        rng = random.Random(1)
        return [make_text(rng) for _ in range(total)]
    from bench_search import posts

    return [text for _, _, text, _ in posts(total)]


def run(
    database_url: str,
    data_dir: Path,
    total: int,
    batch: int,
    text: str = "random",
    watchlists: bool = True,
) -> dict[str, float]:
    texts = corpus(text, total)
    edited = [t + " (edited)" if n % 10 == 0 else t for n, t in enumerate(texts)]
    first_pass, second_pass = batches(texts, batch, "v1"), batches(edited, batch, "v2")
    settings = load_settings(data_dir=data_dir, database_url=database_url)
    if not watchlists:  # storage and indexing alone (matching: bench_matching*.py)
        (data_dir / "no-watchlists").mkdir(exist_ok=True)
        settings = settings.model_copy(update={"watchlists_dir": data_dir / "no-watchlists"})
    clock = {f"{n}_{c}": 0.0 for n in ("ingest", "peer", "edit") for c in ("cpu", "wall")}
    with Workspace.open(settings) as ws:
        PEER.create(ws.engine)
        driver = DriverClock(ws.engine)
        for result in first_pass:  # interleaved: a batch of ours, the same batch plain
            started = now_clocks()
            driver.counting = True
            ingest(ws, SOURCE, result)
            driver.counting = False
            timed(clock, "ingest", started)
            started = now_clocks()
            peer_insert(ws.engine, result)
            timed(clock, "peer", started)
        started = now_clocks()
        edits = sum(ingest(ws, SOURCE, result).edited for result in second_pass)
        timed(clock, "edit", started)
        with ws.engine.connect() as conn:
            items = conn.execute(sa.text("SELECT count(*) FROM item")).scalar_one()
    assert items == total and edits == total // 10, (items, edits)
    return {
        "ingest_us_cpu_per_item": clock["ingest_cpu"] / total * 1e6,
        "ingest_db_us_cpu_per_item": driver.seconds / total * 1e6,
        "peer_us_cpu_per_item": clock["peer_cpu"] / total * 1e6,
        "ratio_cpu": clock["ingest_cpu"] / clock["peer_cpu"],
        "db_floor_ratio": driver.seconds / clock["peer_cpu"],
        "ratio_wall": clock["ingest_wall"] / clock["peer_wall"],
        "insert_items_per_s_wall": total / clock["ingest_wall"],
        "edit_pass_us_cpu_per_item": clock["edit_cpu"] / total * 1e6,
    }


def fmt(figures: dict[str, float]) -> str:
    return ", ".join(f"{name} {value:,.2f}" for name, value in figures.items())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--postgres", help="admin URL; a throwaway database is created")
    parser.add_argument(
        "--text", choices=["random", "multilingual"], default="random", help="see corpus()"
    )
    parser.add_argument(
        "--no-watchlists",
        action="store_true",
        help="match nothing (the shipped watchlists "
        "flag ~80%% of the multilingual posts, and queueing them is then most of the time)",
    )
    args = parser.parse_args()
    options = {"text": args.text, "watchlists": not args.no_watchlists}
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/bench.db"
        print("sqlite", fmt(run(url, Path(tmp), args.items, args.batch, **options)))
    if args.postgres:
        with scratch_postgres(args.postgres) as url, tempfile.TemporaryDirectory() as tmp:
            print("postgresql", fmt(run(url, Path(tmp), args.items, args.batch, **options)))


if __name__ == "__main__":
    main()
