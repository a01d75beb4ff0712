"""Cold start of one CLI command (``sourcewatch queue`` on an empty workspace): CPU
(user+sys of the child, from ``os.wait4``) and wall time per run, this checkout against
others (``--baseline DIR``, repeatable: a checkout or ``git archive`` of another commit,
its ``src/`` is put first on ``PYTHONPATH``), runs interleaved so load hits all alike.
Each tree is started through its own console-script entry point (``[project.scripts]``
in its pyproject.toml), as the installed ``sourcewatch`` command would start it.

    .venv/bin/python bench/bench_cli_start.py --baseline /tmp/base --runs 10
    .venv/bin/python bench/bench_cli_start.py --postgres postgresql+psycopg://postgres@127.0.0.1/clistart

The workspace is made once with ``sourcewatch init`` in a temporary directory (with
``--postgres``, that database is used and must exist; its tables are created); with
``--items N`` N posts of one source are ingested and queued first, so that ``queue``
renders its table (the default limit, 50 rows) instead of saying the queue is empty.
Each run is a fresh interpreter, as a user's shell would start it.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import tomllib
from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
_PYCACHE = shutil.ignore_patterns("__pycache__")


@contextlib.contextmanager
def _environment(env: dict[str, str]) -> Iterator[None]:
    """This process's environment replaced by ``env`` (the children's) for a while."""
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def launcher(tree: Path) -> str:
    """What the ``sourcewatch`` console script of the checkout ``tree`` runs (its
    ``[project.scripts]`` entry point), as ``python -c`` code."""
    with (tree / "pyproject.toml").open("rb") as fh:
        entry = tomllib.load(fh)["project"]["scripts"]["sourcewatch"]
    module, func = entry.split(":")
    return (
        f"import sys; from {module} import {func}; sys.argv[0] = 'sourcewatch'; sys.exit({func}())"
    )


def run_once(
    src: Path, launch: str, args: list[str], cwd: Path, env: dict[str, str]
) -> tuple[float, float]:
    """(CPU seconds, wall seconds) of one cold ``sourcewatch ARGS`` with ``src`` first."""
    child_env = {**env, "PYTHONPATH": str(src)}
    start = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-c", launch, *args],
        cwd=cwd,
        env=child_env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"{src}: sourcewatch {' '.join(args)} exited {proc.returncode}")
    return usage.ru_utime + usage.ru_stime, wall


def seed(items: int) -> None:
    """Ingest ``items`` posts of one source (``queue_all``: each is queued) into the
    workspace of the current directory and environment, through the real pipeline."""
    from datetime import UTC, datetime, timedelta

    from sourcewatch.config import load_settings
    from sourcewatch.ingest.writer import ingest
    from sourcewatch.records import ParsedItem, PollResult, RawCapture
    from sourcewatch.sources.config import SourceConfig
    from sourcewatch.sources.sync import sync_sources
    from sourcewatch.workspace import Workspace

    source = SourceConfig(name="bench_channel", kind="telegram", target="bench", queue_all=True)
    now = datetime(2026, 12, 5, 4, 0, tzinfo=UTC)
    with Workspace.open(load_settings(), migrate_schema=False, create=False) as ws:
        sync_sources(ws.engine, [source])
        captures, posts = [], []
        for n in range(items):
            text = f"Post {n}: a convoy was reported moving north from Bamako towards Gao."
            capture = RawCapture(
                url=f"https://t.me/s/bench?before={n}",
                body=f"<html>{text}</html>".encode(),
                fetched_at=now,
                status=200,
                media_type="text/html",
            )
            captures.append(capture)
            posts.append(
                ParsedItem(
                    external_id=str(n),
                    url=f"https://t.me/bench/{n}",
                    published_at=now - timedelta(minutes=n),
                    text=text,
                    capture_sha256s=[capture.sha256],
                )
            )
        ingest(ws, source, PollResult(captures=captures, items=posts), now=now)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--baseline",
        type=Path,
        action="append",
        default=[],
        help="another checkout to run beside this one (repeat for several, e.g. main and "
        "the commit an issue measured)",
    )
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--postgres", help="database URL (default: SQLite in the workspace)")
    parser.add_argument("--items", type=int, default=0, help="queued items (default: none)")
    parser.add_argument(
        "--bytecode",
        action="store_true",
        help="cache compiled bytecode (as an installed package); default: compile every start",
    )
    parser.add_argument("command", nargs="*", default=["queue"])
    opts = parser.parse_args()

    env = {k: v for k, v in os.environ.items() if not k.startswith("SOURCEWATCH_")}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    if not opts.bytecode:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
    if opts.postgres:
        env["SOURCEWATCH_DATABASE_URL"] = opts.postgres
    trees = {"this": REPO}
    baselines = {
        ("baseline" if len(opts.baseline) == 1 else f"baseline{n}"): tree
        for n, tree in enumerate(opts.baseline, start=1)
    }
    trees = {**baselines, **trees}
    launch = {name: launcher(tree) for name, tree in trees.items()}
    with tempfile.TemporaryDirectory(prefix="clistart-") as tmp:
        cwd = Path(tmp)
        # Each tree is copied without its __pycache__ (the test suite compiles src/):
        # with PYTHONDONTWRITEBYTECODE=1, as on this machine, our modules are compiled
        # at every start (the libraries' bytecode, written by pip, is read); with
        # --bytecode the warm-up run writes it, as an installed package has it.
        trees = {
            name: Path(shutil.copytree(tree / "src", cwd / name / "src", ignore=_PYCACHE))
            for name, tree in trees.items()
        }
        subprocess.run(
            [sys.executable, "-c", launch["this"], "init"],
            cwd=cwd,
            env={**env, "PYTHONPATH": str(trees["this"]), "PYTHONDONTWRITEBYTECODE": "1"},
            check=True,
            capture_output=True,
        )
        if opts.items:
            with contextlib.chdir(cwd), _environment(env):
                seed(opts.items)
        for name, src in trees.items():  # warm the OS file cache (and bytecode) for each
            run_once(src, launch[name], opts.command, cwd, env)
        cpu: dict[str, list[float]] = {name: [] for name in trees}
        wall: dict[str, list[float]] = {name: [] for name in trees}
        for i in range(opts.runs):
            order = list(trees.items()) if i % 2 == 0 else list(reversed(trees.items()))
            for name, src in order:
                c, w = run_once(src, launch[name], opts.command, cwd, env)
                cpu[name].append(c)
                wall[name].append(w)
    load = os.getloadavg()[0]
    backend = "PostgreSQL" if opts.postgres else "SQLite"
    compiled = "bytecode cached" if opts.bytecode else "compiled at every start"
    queued = f"{opts.items} items queued" if opts.items else "empty queue"
    print(
        f"sourcewatch {' '.join(opts.command)} ({backend}, {compiled}, {queued}), "
        f"{opts.runs} runs, load {load:.1f}"
    )
    for name in trees:
        where = f" ({baselines[name]})" if name in baselines and len(baselines) > 1 else ""
        print(
            f"  {name:<9} CPU mean {statistics.mean(cpu[name]):.3f} s "
            f"median {statistics.median(cpu[name]):.3f} s; "
            f"wall median {statistics.median(wall[name]):.3f} s min {min(wall[name]):.3f} s"
            f"{where}"
        )
    for name in baselines:
        ratios = [t / b for t, b in zip(cpu["this"], cpu[name], strict=True)]
        print(f"  CPU this/{name} per pair: median {statistics.median(ratios):.2f}")


if __name__ == "__main__":
    main()
