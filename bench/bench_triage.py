"""Triage queue speed with 1,000,000 items and 200,000 queue entries.

Usage: python bench/bench_triage.py [--items 1000000] [--queued 200000]
                                    [--postgres URL | --no-postgres] [--keep DIR]

The data is bulk-loaded with SQL (INSERT ... SELECT over a generated series), not
through ingest, so a run takes minutes, not hours: 200 sources, 1M items, every
fifth item queued (60% new, the rest decided), 10 areas (a third of the entries in
two), one or two matches per queued item. Then, on SQLite and on PostgreSQL:

* query: ``list_queue(QueueFilter(area=..., limit=50))``, the page ``queue --area X
  --limit 50`` shows (entities and sources included), median and worst of 30 runs
  after one warm-up, plus the same without an area and with --source;
* command: wall time of ``sourcewatch queue --area sahel --limit 50`` in a fresh
  process (cold start: interpreter, imports, settings, connect, query, table);
* import: ``python -X importtime -c "import sourcewatch.cli"`` (cumulative µs of
  sourcewatch.cli and of sourcewatch.cli.triage).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa
from scratch_db import scratch_postgres

from sourcewatch.config import load_settings
from sourcewatch.triage.queue import QueueFilter, list_queue
from sourcewatch.workspace import Workspace

AREAS = (
    "sahel",
    "lake-chad",
    "somalia",
    "af-pak",
    "iraq-syria",
    "libya",
    "yemen",
    "mozambique",
    "caucasus",
    "europe",
)
STATUSES = ("new", "new", "new", "relevant", "irrelevant")  # by i % 5 -> 60% new
DEFAULT_PG = os.environ.get(
    "SOURCEWATCH_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
BASE = "2026-01-01 00:00:00"
TEXT = (
    "Reports from the region describe clashes between armed groups and the army; "
    "local sources say several fighters were killed and a convoy was ambushed. "
)


def series(conn: sa.Connection, n: int) -> str:
    """A FROM clause giving column i = 1..n."""
    if conn.dialect.name == "postgresql":
        return f"generate_series(1, {n}) AS s(i)"
    return (
        f"(WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < {n})"
        " SELECT i FROM s) AS s"
    )


def plus_seconds(conn: sa.Connection, expr: str) -> str:
    if conn.dialect.name == "postgresql":
        return f"(TIMESTAMP '{BASE}' + ({expr}) * INTERVAL '1 second')"
    return f"datetime('{BASE}', '+' || ({expr}) || ' seconds')"


def load(ws: Workspace, items: int, queued: int) -> float:
    start = time.perf_counter()
    step = items // queued
    with ws.engine.begin() as conn:

        def q(sql: str) -> None:
            conn.execute(sa.text(sql))  # text(): '%' is escaped for psycopg

        area_of = (
            "CASE (i % 10) "
            + " ".join(f"WHEN {k} THEN '{a}'" for k, a in enumerate(AREAS))
            + " END"
        )
        q(
            "INSERT INTO source (id, name, kind, target, interval_seconds, areas, weight,"
            " queue_all, enabled, in_config, cursor, consecutive_failures, created_at) "
            "SELECT i, 'source' || i, 'telegram', 'chan' || i, 300, '[]', 1 + i % 5,"
            f" false, true, true, '{{}}', 0, {plus_seconds(conn, '0')} FROM {series(conn, 200)}"
        )
        q(
            "INSERT INTO item (id, source_id, external_id, url, canonical_url, text, published_at,"
            " collected_at, updated_at, content_hash, revision, media, extra) "
            "SELECT i, 1 + i % 200, CAST(i AS VARCHAR), 'https://t.me/c/' || i,"
            f" 'https://t.me/c/' || i, '{TEXT}' || i, {plus_seconds(conn, 'i * 10')},"
            f" {plus_seconds(conn, 'i * 10 + 5')}, {plus_seconds(conn, 'i * 10 + 5')},"
            f" 'h' || i, 1, '[]', '{{}}' FROM {series(conn, items)}"
        )
        entry = f"i * {step}"  # the item id of entry i
        q(
            "INSERT INTO triage (id, item_id, status, priority, areas, tags, version, created_at,"
            " updated_at, queued_at) "
            f"SELECT i, {entry}, CASE (i % 5) "
            + " ".join(f"WHEN {k} THEN '{s}'" for k, s in enumerate(STATUSES))
            + f" END, (i * 7919) % 260, '[]', '[]', 1, {plus_seconds(conn, f'{entry} * 10 + 5')},"
            f" {plus_seconds(conn, f'{entry} * 10 + 5')}, {plus_seconds(conn, f'{entry} * 10 + 5')}"
            f" FROM {series(conn, queued)}"
        )
        q(
            "INSERT INTO triage_item (item_id, triage_id, fingerprint, revision, added_at) "
            "SELECT item_id, id, NULL, 1, queued_at FROM triage"
        )
        facet = "INSERT INTO triage_facet (triage_id, facet, value, status, priority, queued_at) "
        keys = "status, priority, queued_at FROM triage"
        q(f"{facet} SELECT id, 'area', {area_of.replace('(i % 10)', '(id % 10)')}, {keys}")
        q(
            f"{facet} SELECT id, 'area', {area_of.replace('(i % 10)', '((id + 1) % 10)')}, {keys}"
            " WHERE id % 3 = 0"
        )
        q(f"{facet} SELECT id, 'source', 'source' || (1 + item_id % 200), {keys}")
        q(f"{facet} SELECT id, 'entity', 'entity' || (id % 500), {keys}")
        q(f"{facet} SELECT id, 'entity', 'group' || (id % 77), {keys} WHERE id % 2 = 0")
        q(
            'INSERT INTO "match" (item_id, revision, entity_id, field, start, "end", score) '
            "SELECT item_id, 1, 'entity' || (id % 500), 'text', 0, 7, 1.0 FROM triage"
        )
        q(
            'INSERT INTO "match" (item_id, revision, entity_id, field, start, "end", score) '
            "SELECT item_id, 1, 'group' || (id % 77), 'text', 10, 17, 1.0 FROM triage"
            " WHERE id % 2 = 0"
        )
        if conn.dialect.name == "postgresql":
            for table in ("source", "item", "triage"):
                q(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"
                    f" (SELECT max(id) FROM {table}))"
                )
    with ws.engine.connect() as conn:  # fresh statistics, as autovacuum would have
        conn.exec_driver_sql("ANALYZE")
        conn.commit()
    if ws.engine.dialect.name == "sqlite":
        # The bulk load leaves a WAL of hundreds of MB that every new connection would
        # have to index; in use, SQLite's automatic checkpoints keep it small.
        raw = ws.engine.raw_connection()
        try:
            raw.driver_connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            raw.close()
    return time.perf_counter() - start


def time_query(ws: Workspace, where: QueueFilter, runs: int = 30) -> tuple[float, float, int]:
    timings = []
    with ws.engine.connect() as conn:
        rows = list_queue(conn, where)  # warm-up
        for _ in range(runs):
            start = time.perf_counter()
            rows = list_queue(conn, where)
            timings.append((time.perf_counter() - start) * 1000)
    return statistics.median(timings), max(timings), len(rows)


# The same command with only the triage commands registered: sourcewatch/cli/__init__.py
# (which imports every command module) is bypassed, to show what lazy registration gives.
ALONE = """
import pathlib, sys, types
import sourcewatch
cli = types.ModuleType("sourcewatch.cli")
cli.__path__ = [str(pathlib.Path(sourcewatch.__file__).parent / "cli")]
sys.modules["sourcewatch.cli"] = cli
from sourcewatch.cli.app import app
import sourcewatch.cli.triage
app(["queue", "--area", "sahel", "--limit", "50"])
"""


def compile_bytecode() -> None:
    """Write the package's .pyc files, as ``pip install`` does: a development checkout
    run with PYTHONDONTWRITEBYTECODE=1 (as here) would otherwise compile every module
    of sourcewatch from source in every cold process (~30-40 ms)."""
    import compileall

    import sourcewatch

    compileall.compile_dir(Path(sourcewatch.__file__).parent, quiet=1)


def time_command(
    env: dict[str, str], runs: int = 21, *, alone: bool = False
) -> tuple[float, float, float]:
    """Median, 90th percentile and worst of ``runs`` cold processes, in seconds."""
    command = [sys.executable, "-m", "sourcewatch", "queue", "--area", "sahel", "--limit", "50"]
    if alone:
        command = [sys.executable, "-c", ALONE]
    timings = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(
            command,
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        timings.append(time.perf_counter() - start)
    timings.sort()
    return statistics.median(timings), timings[int(0.9 * (runs - 1))], timings[-1]


def import_time() -> dict[str, float]:
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "import sourcewatch.cli"],
        capture_output=True,
        text=True,
        check=True,
    )
    found: dict[str, float] = {}
    for line in result.stderr.splitlines():
        parts = [p.strip() for p in line.removeprefix("import time:").split("|")]
        if len(parts) == 3 and parts[2] in ("sourcewatch.cli", "sourcewatch.cli.triage"):
            found[parts[2]] = int(parts[1]) / 1000
    return found


def bench(name: str, url: str, data_dir: Path, items: int, queued: int) -> None:
    settings = load_settings(data_dir=data_dir, database_url=url)
    with Workspace.open(settings) as ws:
        seconds = load(ws, items, queued)
        print(f"\n## {name}: loaded {items:,} items, {queued:,} queued in {seconds:.1f} s")
        for label, where in (
            ("queue --area sahel --limit 50", QueueFilter(area="sahel")),
            (
                "queue --area europe --status relevant",
                QueueFilter(area="europe", statuses=("relevant",)),
            ),
            ("queue --limit 50 (no filter)", QueueFilter()),
            ("queue --area sahel --source source51", QueueFilter(area="sahel", source="source51")),
            ("queue --entity group7 --limit 50", QueueFilter(entity="group7")),
        ):
            median, worst, count = time_query(ws, where)
            print(f"- {label}: median {median:.1f} ms, worst {worst:.1f} ms ({count} rows)")
    env = dict(
        os.environ, SOURCEWATCH_DATA_DIR=str(data_dir), SOURCEWATCH_DATABASE_URL=url, COLUMNS="120"
    )
    median, p90, worst = time_command(env)
    print(
        "- `sourcewatch queue --area sahel --limit 50`, cold process: "
        f"median {median:.2f} s, p90 {p90:.2f} s, worst {worst:.2f} s"
    )
    median, p90, worst = time_command(env, alone=True)
    print(
        "- the same with only the triage commands registered: "
        f"median {median:.2f} s, p90 {p90:.2f} s, worst {worst:.2f} s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--queued", type=int, default=200_000)
    parser.add_argument("--postgres", default=DEFAULT_PG, help="admin URL; a scratch DB is made")
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()
    compile_bytecode()
    times = import_time()
    print("## import time (python -X importtime, cumulative)")
    for module, ms in times.items():
        print(f"- {module}: {ms:.0f} ms")
    with tempfile.TemporaryDirectory() as tmp:
        bench("SQLite", f"sqlite:///{tmp}/bench.db", Path(tmp), args.items, args.queued)
    if args.no_postgres:
        return
    with scratch_postgres(args.postgres) as url, tempfile.TemporaryDirectory() as tmp:
        bench("PostgreSQL", url, Path(tmp), args.items, args.queued)


if __name__ == "__main__":
    main()
