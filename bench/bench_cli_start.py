"""Cold start of one CLI command (``sourcewatch queue`` on an empty workspace): CPU
(user+sys of the child, from ``os.wait4``) and wall time per run, this checkout against
another one (``--baseline DIR``: a checkout or ``git archive`` of the previous commit,
its ``src/`` is put first on ``PYTHONPATH``), runs interleaved so load hits both alike.
Each tree is started through its own console-script entry point (``[project.scripts]``
in its pyproject.toml), as the installed ``sourcewatch`` command would start it.

    .venv/bin/python bench/bench_cli_start.py --baseline /tmp/base --runs 10
    .venv/bin/python bench/bench_cli_start.py --postgres postgresql+psycopg://postgres@127.0.0.1/clistart

The workspace is made once with ``sourcewatch init`` in a temporary directory (with
``--postgres``, that database is used and must exist; its tables are created). Each run
is a fresh interpreter, as a user's shell would start it.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
_PYCACHE = shutil.ignore_patterns("__pycache__")


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--baseline", type=Path, help="another checkout to run beside this one")
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--postgres", help="database URL (default: SQLite in the workspace)")
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
    if opts.baseline:
        trees = {"baseline": opts.baseline, **trees}
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
        for name, src in trees.items():  # warm the OS file cache (and bytecode) for both
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
    print(
        f"sourcewatch {' '.join(opts.command)} ({backend}, {compiled}), {opts.runs} runs, "
        f"load {load:.1f}"
    )
    for name in trees:
        print(
            f"  {name:<8} CPU mean {statistics.mean(cpu[name]):.3f} s "
            f"median {statistics.median(cpu[name]):.3f} s; "
            f"wall median {statistics.median(wall[name]):.3f} s min {min(wall[name]):.3f} s"
        )
    if opts.baseline:
        ratios = [t / b for t, b in zip(cpu["this"], cpu["baseline"], strict=True)]
        print(f"  CPU this/baseline per pair: median {statistics.median(ratios):.2f}")


if __name__ == "__main__":
    main()
