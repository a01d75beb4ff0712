"""Search at scale: query latency on N items of multilingual text, index size, and the
cost of indexing in ingest.

Usage: python bench/bench_search.py [--items 1000000] [--ingest-items 20000]
       [--postgres URL] [--no-sqlite] [--runs 30] [--keep DIR]
       [--baseline COMMIT [--baseline-db URL]]

Corpus: posts recombined from real recorded text (the t.me/s/topwar_official page and
the Guardian US feed in tests/fixtures, Russian and English) and the labeled
multilingual posts of bench/data/labeled_posts.jsonl (Arabic, Persian, Pashto, French,
Russian, English): each post is 1 to 4 sentences of one language drawn at random, with
a random source (20, all kinds and areas) and a time in the last 365 days.

- Query latency: the N items are loaded with plain INSERTs (items, revisions) and
  indexed by the real indexing code (``search.index.index_revisions``); then each
  query runs ``--runs`` times through ``search.service.search`` (the CLI's path, limit
  20, best first), p50 and p95 reported.
- Ingest: ``--ingest-items`` items through the real ``ingest_many`` (polls of 200
  items), in rounds alternating between a workspace that indexes (as shipped) and one
  whose ingest skips indexing, so both see the same machine load.
- Index size: the search_doc table and the FTS5 table (SQLite) or GIN index
  (PostgreSQL), per million items.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
import types
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from sourcewatch.collectors.news.feedparse import parse_feed
from sourcewatch.collectors.telegram.webpage import parse_page
from sourcewatch.config import load_settings
from sourcewatch.ingest import writer
from sourcewatch.records import ParsedItem, PollResult, RawCapture
from sourcewatch.search import service
from sourcewatch.search.engine import SearchFilter
from sourcewatch.search.index import index_revisions
from sourcewatch.search.service import SearchRequest, search
from sourcewatch.sources.config import SourceConfig
from sourcewatch.sources.sync import ensure_sources
from sourcewatch.store.db import read_connection
from sourcewatch.store.tables import ITEM, ITEM_REVISION
from sourcewatch.workspace import Workspace

ROOT = Path(__file__).resolve().parent.parent
NOW = datetime(2026, 12, 1, tzinfo=UTC)
KINDS = ("telegram", "x", "feed", "wordpress")
AREAS = ("sahel", "iraq-syria", "af-pak", "somalia", "ukraine")
SOURCES = [
    SourceConfig(
        name=f"bench-{n:02d}",
        kind=KINDS[n % 4],
        target=f"https://example.org/{n}" if KINDS[n % 4] in ("feed", "wordpress") else f"s{n}",
        areas=(AREAS[n % 5],),
    )
    for n in range(20)
]
# (label, query, filter): two terms with filters; a phrase; NEAR.
QUERIES: list[tuple[str, str, dict[str, Any]]] = [
    (
        "two terms + source, since 90d",
        "Трамп OR Trump AND State",
        {"sources": ("bench-02",), "since": 90},
    ),
    (
        "two terms + area, since 180d (ar)",
        "داعش AND الهجوم",
        {"areas": ("iraq-syria",), "since": 180},
    ),
    ("two terms + lang (ru)", "Вагнер AND Гао", {"langs": ("ru",)}),
    ("two terms + kind (fr)", "JNIM AND Gao", {"kinds": ("telegram",)}),
    ("two terms + source (fa)", "طالبان AND بدخشان", {"sources": ("bench-07",)}),
    ("phrase (ar)", '"الجيش المالي"', {}),
    ("phrase (en)", '"State of the Union"', {}),
    ("NEAR (entity, ru/fr/en)", "@wagner NEAR/5 (Гао OR Gao OR Bamako)", {}),
    ("NEAR + since 30d (ps)", "طالبان NEAR/3 امارت", {"since": 30}),
]


def sentences() -> dict[str, list[str]]:
    """Real recorded and labeled text, cut into sentences, by language."""
    pools: dict[str, list[str]] = {}

    def add(lang: str, text: str) -> None:
        for part in re.split(r"(?<=[.!?؟])\s+|\n+", text):
            if len(part.split()) >= 3:
                pools.setdefault(lang, []).append(part.strip())

    page = parse_page(
        (ROOT / "tests/fixtures/telegram/any2feed_topwar_official_channel_page.html").read_bytes()
    )
    for post in page.posts:
        add("ru", post.item.text)
    feed = parse_feed(
        (ROOT / "tests/fixtures/news/rss-parser__guardian.rss").read_bytes(), url="https://x/"
    )
    for entry in feed.entries:
        add("en", f"{entry.title}. {entry.text}")
    for line in (ROOT / "bench/data/labeled_posts.jsonl").read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        add(row["lang"], row["text"])
    return pools


def posts(total: int, seed: int = 7) -> Iterator[tuple[int, str, str, datetime]]:
    """(source index, language, text, published_at) for ``total`` posts."""
    rng = random.Random(seed)
    pools = sentences()
    langs = sorted(pools)
    for _ in range(total):
        lang = rng.choice(langs)
        text = " ".join(rng.choice(pools[lang]) for _ in range(rng.randint(1, 4)))
        when = NOW - timedelta(seconds=rng.randint(0, 365 * 86400))
        yield rng.randrange(len(SOURCES)), lang, text, when


def bulk_load(ws: Workspace, total: int, chunk: int = 5000) -> float:
    """Insert ``total`` items and their first revision, index them; seconds taken."""
    start = time.perf_counter()
    with ws.engine.begin() as conn:
        ids = ensure_sources(conn, SOURCES, NOW)
    source_ids = [ids[s.name] for s in SOURCES]
    batch: list[dict[str, Any]] = []
    done = 0
    for n, (source, lang, text, when) in enumerate(posts(total)):
        batch.append(
            {
                "source_id": source_ids[source],
                "external_id": str(n),
                "url": f"https://example.org/p/{n}",
                "text": text,
                "language": lang,
                "published_at": when,
                "collected_at": when,
                "updated_at": when,
                "content_hash": f"{n:064x}",
                "revision": 1,
                "media": [],
                "extra": {},
            }
        )
        if len(batch) == chunk or n == total - 1:
            _store(ws, batch)
            done += len(batch)
            batch = []
            if done % 100_000 == 0:
                print(f"  loaded {done} in {time.perf_counter() - start:.0f} s", flush=True)
    return time.perf_counter() - start


def _store(ws: Workspace, rows: list[dict[str, Any]]) -> None:
    with ws.engine.begin() as conn:
        inserted = conn.execute(
            sa.insert(ITEM).returning(ITEM.c.id, ITEM.c.external_id), rows
        ).all()
        by_ext = {row.external_id: row.id for row in inserted}
        conn.execute(
            sa.insert(ITEM_REVISION),
            [
                {
                    "item_id": by_ext[r["external_id"]],
                    "revision": 1,
                    "content_hash": r["content_hash"],
                    "text": r["text"],
                    "media": [],
                    "seen_at": r["collected_at"],
                }
                for r in rows
            ],
        )
        index_revisions(conn, [(item_id, 1) for item_id in by_ext.values()])


def baseline_searcher(commit: str) -> Any:
    """The ``Searcher`` class of ``search/engine.py`` as it was at ``commit``, so that
    the old and the current code run interleaved against the same database."""
    source = subprocess.run(
        ["git", "show", f"{commit}:src/sourcewatch/search/engine.py"],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    module = types.ModuleType("bench_baseline_engine")
    sys.modules[module.__name__] = module  # dataclasses look their module up
    exec(compile(source, f"{commit}:engine.py", "exec"), module.__dict__)
    return module.Searcher


def _timed(ws: Workspace, query: str, where: SearchFilter, entities: Any) -> tuple[float, Any]:
    start = time.perf_counter()
    with read_connection(ws.engine) as conn:
        hits = search(conn, SearchRequest(query, where, limit=20), entities).hits
    return (time.perf_counter() - start) * 1000, [(h.item_id, h.revisions) for h in hits]


def _p(times: list[float]) -> tuple[float, float]:
    times = sorted(times)
    return statistics.median(times), times[min(len(times) - 1, int(0.95 * len(times)))]


def latency(
    ws: Workspace, runs: int, baseline: str | None = None, baseline_ws: Workspace | None = None
) -> None:
    """p50/p95 per query; with ``baseline``, the old engine's runs alternate with the
    current one's and both hit lists are checked to be the same. ``baseline_ws``: the
    old engine runs on this database instead (the same data, loaded by the baseline's
    code and not migrated since), so the old layout is measured too."""
    entities = ws.matcher().entities
    old = baseline_searcher(baseline) if baseline else None
    current = service.Searcher
    for label, query, spec in QUERIES:
        where = SearchFilter(
            sources=spec.get("sources", ()),
            areas=spec.get("areas", ()),
            langs=spec.get("langs", ()),
            kinds=spec.get("kinds", ()),
            since=NOW - timedelta(days=spec["since"]) if "since" in spec else None,
        )
        times: dict[str, list[float]] = {"new": [], "old": []}
        found: dict[str, Any] = {}
        for _ in range(runs):
            for mode in ("old", "new") if old is not None else ("new",):
                service.Searcher = old if mode == "old" else current  # type: ignore[misc]
                target = baseline_ws if mode == "old" and baseline_ws is not None else ws
                try:
                    ms, found[mode] = _timed(target, query, where, entities)
                finally:
                    service.Searcher = current  # type: ignore[misc]
                times[mode].append(ms)
        p50, p95 = _p(times["new"])
        load = os.getloadavg()[0]
        line = f"  {label:36} p50 {p50:7.1f} p95 {p95:7.1f} ms  hits {len(found['new'])}"
        line += f"  load {load:.1f}"
        if old is not None:
            o50, o95 = _p(times["old"])
            same = "same hits" if found["old"] == found["new"] else "HITS DIFFER"
            line += f" | baseline p50 {o50:7.1f} p95 {o95:7.1f} ms  {same}"
        print(line, flush=True)


def index_size(ws: Workspace) -> dict[str, float]:
    with ws.engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            rows = conn.exec_driver_sql(
                "SELECT name, sum(pgsize) FROM dbstat WHERE name LIKE 'search_%' "
                "OR name LIKE 'sqlite_autoindex_search_doc%' GROUP BY name"
            ).all()
            sizes = {name: size / 1e6 for name, size in rows}
            docs = sum(v for k, v in sizes.items() if k.startswith(("search_doc", "sqlite_auto")))
            return {"documents_mb": docs, "word_index_mb": sum(sizes.values()) - docs}
        docs = conn.exec_driver_sql("SELECT pg_total_relation_size('search_doc')").scalar_one()
        gin = conn.exec_driver_sql("SELECT pg_relation_size('ix_search_doc_words')").scalar_one()
        return {"documents_mb": (docs - gin) / 1e6, "word_index_mb": gin / 1e6}


def ingest_rate(url_for: Any, data_dir: Path, total: int, rounds: int = 4) -> dict[str, float]:
    """items/s through ingest_many with and without indexing, interleaved rounds."""
    shipped = writer.index_revisions
    per_round = total // rounds
    seconds = {"indexing": 0.0, "no index": 0.0}
    all_posts = list(posts(total * 2, seed=11))
    workspaces = {
        mode: Workspace.open(
            load_settings(data_dir=data_dir / mode.replace(" ", "-"), database_url=url_for(mode))
        )
        for mode in seconds
    }
    try:
        for r in range(rounds):
            for m, mode in enumerate(seconds):
                chunk = all_posts[(2 * r + m) * per_round : (2 * r + m + 1) * per_round]
                polls = list(_polls(chunk, f"{mode}-{r}"))
                writer.index_revisions = shipped if mode == "indexing" else (lambda conn, keys: 0)  # type: ignore[assignment]
                start = time.perf_counter()
                for group in range(0, len(polls), 5):
                    writer.ingest_many(workspaces[mode], polls[group : group + 5], now=NOW)
                seconds[mode] += time.perf_counter() - start
    finally:
        writer.index_revisions = shipped  # type: ignore[assignment]
        for ws in workspaces.values():
            ws.close()
    return {mode: per_round * rounds / s for mode, s in seconds.items()}


def _polls(
    chunk: list[tuple[int, str, str, datetime]], tag: str
) -> Iterator[tuple[SourceConfig, PollResult]]:
    for first in range(0, len(chunk), 200):
        part = chunk[first : first + 200]
        source = SOURCES[(first // 200) % len(SOURCES)]
        capture = RawCapture(
            url=f"https://example.org/{tag}/{first}", body=f"{tag} {first}".encode(), status=200
        )
        items = [
            ParsedItem(
                external_id=f"{tag}-{first + n}",
                url=f"https://example.org/{tag}/{first + n}",
                text=text,
                lang=lang,
                published_at=when,
                capture_sha256s=[capture.sha256],
            )
            for n, (_, lang, text, when) in enumerate(part)
        ]
        yield source, PollResult([capture], items)


def kept_postgres(server: str, items: int) -> str:
    """A database kept between runs (created when missing)."""
    db = f"bench_search_keep_{items}"
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        exists = conn.execute(
            sa.text("SELECT 1 FROM pg_database WHERE datname = :db"), {"db": db}
        ).first()
        if not exists:
            conn.execute(sa.text(f'CREATE DATABASE "{db}"'))
    admin.dispose()
    return sa.engine.make_url(server).set(database=db).render_as_string(hide_password=False)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--ingest-items", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--postgres", help="a PostgreSQL server URL (a database is created)")
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument("--skip-latency", action="store_true")
    parser.add_argument(
        "--keep",
        type=Path,
        help="keep the loaded database (SQLite: in this directory; PostgreSQL: a database "
        "named after the size) and reuse it on the next run",
    )
    parser.add_argument(
        "--baseline",
        metavar="COMMIT",
        help="also run search/engine.py as of COMMIT, interleaved, and compare the hits",
    )
    parser.add_argument(
        "--baseline-db",
        metavar="URL",
        help="with --baseline: the database the old engine runs on (the same items loaded "
        "by that commit's code; opened without migrating)",
    )
    args = parser.parse_args()
    backends = [] if args.no_sqlite else ["sqlite"]
    backends += ["postgresql"] if args.postgres else []
    for backend in backends:
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            created: list[str] = []

            def url_for(
                name: str, backend: str = backend, root: Path = root, created: list[str] = created
            ) -> str:
                if backend == "sqlite":
                    return f"sqlite:///{root / (name.replace(' ', '-') + '.db')}"
                db = f"bench_search_{name.replace(' ', '_')}"
                admin = sa.create_engine(args.postgres, isolation_level="AUTOCOMMIT")
                with admin.connect() as conn:
                    conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{db}"'))
                    conn.execute(sa.text(f'CREATE DATABASE "{db}"'))
                admin.dispose()
                created.append(db)
                return (
                    sa.engine.make_url(args.postgres)
                    .set(database=db)
                    .render_as_string(hide_password=False)
                )

            print(f"{backend}:", flush=True)
            if args.ingest_items:
                rates = ingest_rate(url_for, root, args.ingest_items)
                ratio = rates["indexing"] / rates["no index"]
                print(
                    f"  ingest items/s: indexing {rates['indexing']:.0f}, "
                    f"without {rates['no index']:.0f} (x{ratio:.2f}), "
                    f"load {os.getloadavg()[0]:.1f}",
                    flush=True,
                )
            if not args.skip_latency:
                big = url_for("big") if not args.keep else ""
                if args.keep and backend == "sqlite":
                    args.keep.mkdir(parents=True, exist_ok=True)
                    big = f"sqlite:///{args.keep / f'search-{args.items}.db'}"
                elif args.keep:
                    big = kept_postgres(args.postgres, args.items)
                settings = load_settings(data_dir=root / "big", database_url=big)
                with Workspace.open(settings) as ws:
                    with ws.engine.connect() as conn:
                        loaded = conn.execute(sa.select(sa.func.count()).select_from(ITEM)).scalar()
                    seconds = bulk_load(ws, args.items) if loaded != args.items else 0.0
                    if seconds:
                        print(
                            f"  {args.items} items loaded and indexed in {seconds:.0f} s "
                            f"({args.items / seconds:.0f}/s)",
                            flush=True,
                        )
                    if backend == "postgresql":
                        with ws.engine.connect().execution_options(
                            isolation_level="AUTOCOMMIT"
                        ) as conn:
                            conn.exec_driver_sql("VACUUM ANALYZE")
                    size = index_size(ws)
                    per_million = {k: v * 1_000_000 / args.items for k, v in size.items()}
                    print(
                        f"  index size per million items: {per_million}, "
                        f"load {os.getloadavg()[0]:.1f}",
                        flush=True,
                    )
                    old_ws = None
                    if args.baseline_db:
                        old_settings = load_settings(
                            data_dir=root / "baseline", database_url=args.baseline_db
                        )
                        old_ws = Workspace.open(old_settings, migrate_schema=False)
                    try:
                        latency(ws, args.runs, args.baseline, old_ws)
                    finally:
                        if old_ws is not None:
                            old_ws.close()
            if created:
                admin = sa.create_engine(args.postgres, isolation_level="AUTOCOMMIT")
                with admin.connect() as conn:
                    for db in created:
                        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)'))
                admin.dispose()


if __name__ == "__main__":
    main()
