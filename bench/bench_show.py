"""What highlighting costs ``show``: every hit found again with the current watchlists.

Usage: python bench/bench_show.py [--runs 21]

Builds a workspace (SQLite, the shipped watchlists) holding the recorded Arabic report
(tests/fixtures/triage) and the recorded topwar page (tests/fixtures/telegram), then
times, each in a fresh process and interleaved run by run (so machine load hits both
alike):

* baseline: read the item and render it (``item_detail`` + ``item_view``), which is
  what ``show`` did before highlights;
* highlighted: the same plus ``Workspace.matcher()`` and ``highlight_item`` (import the
  matcher, compile the watchlists, explain the text).

Prints medians, 90th percentiles and the ratio; the CLI's own start-up (imports of
typer/rich, settings) comes on top of both.
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

REPO = Path(__file__).resolve().parents[1]
SCRIPT = """
import sys, time
started = time.perf_counter()
from rich.console import Console
from sourcewatch.config import load_settings
from sourcewatch.triage.detail import item_detail, highlight_item
from sourcewatch.triage.render import item_view
from sourcewatch.workspace import Workspace
ws = Workspace.open(load_settings(None), migrate_schema=False, create=False)
with ws.engine.connect() as conn:
    detail = item_detail(conn, int(sys.argv[1]))
if sys.argv[2] == "highlighted":
    highlight_item(detail, ws.matcher())
Console(file=open("/dev/null", "w"), width=100).print(item_view(detail))
print(time.perf_counter() - started)
"""


def build(directory: Path) -> dict[str, int]:
    """A workspace with the two recorded posts; returns label -> item id."""
    sys.path.insert(0, str(REPO / "tests"))
    from readview_support import arabic_report, topwar_posts
    from sourcewatch.config import load_settings
    from sourcewatch.workspace import Workspace
    from triage_support import Post, channel, ingest_posts

    settings = load_settings(None)
    with Workspace.open(settings) as ws:
        ids = ingest_posts(ws, channel("topwar"), [Post("70996", topwar_posts()["70996"])])
        ids |= ingest_posts(ws, channel("syrianarchive"), [Post("7", arabic_report())])
    return {"russian post (673 chars)": ids["70996"], "arabic report (6472 chars)": ids["7"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=21)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["SOURCEWATCH_DATA_DIR"] = tmp
        os.environ["SOURCEWATCH_WATCHLISTS_DIR"] = str(REPO / "watchlists")
        os.environ["SOURCEWATCH_SOURCES_FILE"] = str(Path(tmp) / "none.toml")
        items = build(Path(tmp))
        print(
            f"{time.strftime('%Y-%m-%d %H:%M')} UTC, load {os.getloadavg()[0]:.2f}, "
            f"{os.cpu_count()} cores, Python {sys.version.split()[0]}, {args.runs} runs"
        )
        for label, item in items.items():
            times: dict[str, list[float]] = {"baseline": [], "highlighted": []}
            for _ in range(args.runs):
                for mode in times:  # interleaved
                    out = subprocess.run(
                        [sys.executable, "-c", SCRIPT, str(item), mode],
                        check=True,
                        capture_output=True,
                        text=True,
                    ).stdout
                    times[mode].append(float(out))
            base, high = (statistics.median(times[m]) for m in ("baseline", "highlighted"))
            p90 = {m: sorted(v)[int(len(v) * 0.9) - 1] for m, v in times.items()}
            print(
                f"{label}: baseline {base * 1000:.0f} ms (p90 {p90['baseline'] * 1000:.0f}), "
                f"highlighted {high * 1000:.0f} ms (p90 {p90['highlighted'] * 1000:.0f}), "
                f"ratio {high / base:.2f}, +{(high - base) * 1000:.0f} ms"
            )


if __name__ == "__main__":
    main()
