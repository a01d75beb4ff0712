"""Article extraction quality on the article-extraction-benchmark (issue #18, "Articles and dates").

Usage: .venv/bin/python bench/bench_extraction.py --benchmark DIR [--n-bootstrap 1000]
       [--output bench/results/extraction.json]

``DIR`` is a checkout of https://github.com/scrapinghub/article-extraction-benchmark
(``ground-truth.json``, ``html/*.html.gz``, ``evaluate.py``): 181 real news pages
with a hand-checked article body each. Not vendored (about 12 MB); three of its pages
are test fixtures under ``tests/fixtures/articles``.

Scored with the benchmark's own ``evaluate.py`` (token shingles, bootstrap for the
spread), loaded from ``DIR``, so the figures compare with the benchmark's README.
Three extractors run on the same pages:

- ``sourcewatch``: :func:`sourcewatch.collectors.news.article.extract_article`, the
  function every poll and ``import --format html`` use; a page where it raises
  ``ArticleError`` counts as an empty body;
- ``trafilatura`` (defaults) and ``trafilatura-precision`` (``favor_precision=True``),
  as the benchmark's own runner calls it, for reference.

Also reported: pages where sourcewatch gives no text although trafilatura finds some
(the target is zero), and the publication dates: how many pages have a date, how many
are implausible (before 1990 or in the future: the target is zero), and how many pages
with a date in their URL got a date on another day.
"""

from __future__ import annotations

import argparse
import gzip
import importlib.util
import json
import platform
import re
import sys
import time
from pathlib import Path
from types import ModuleType
from typing import Any

import trafilatura

from sourcewatch.collectors.news.article import ArticleError, extract_article
from sourcewatch.collectors.news.dates import url_date

_URL_DATE = re.compile(r"/(19|20)\d\d[/-]\d\d?[/-]\d\d?/")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--benchmark", type=Path, required=True)
    parser.add_argument("--n-bootstrap", type=int, default=1000)
    parser.add_argument("--output", type=Path)
    args = parser.parse_args()
    scorer = _load_scorer(args.benchmark / "evaluate.py")
    truth: dict[str, dict[str, Any]] = json.loads(
        (args.benchmark / "ground-truth.json").read_text("utf-8")
    )
    pages = {key: _page(args.benchmark, key) for key in sorted(truth)}
    runs = {
        "sourcewatch": _run_sourcewatch(pages, truth),
        "trafilatura": _run_trafilatura(pages, favor_precision=False),
        "trafilatura-precision": _run_trafilatura(pages, favor_precision=True),
    }
    results: dict[str, Any] = {
        "pages": len(pages),
        "python": platform.python_version(),
        "trafilatura": trafilatura.__version__,
        "n_bootstrap": args.n_bootstrap,
    }
    for name, (output, seconds) in runs.items():
        metrics = scorer.evaluate(truth, output["bodies"], args.n_bootstrap)
        empty = sorted(k for k, v in output["bodies"].items() if not v["articleBody"].strip())
        results[name] = {
            **{k: round(v, 4) for k, v in metrics.items() if isinstance(v, float)},
            "empty_pages": len(empty),
            "seconds": round(seconds, 1),
        }
        print(
            f"{name:<22} F1 {metrics['f1']:.3f} ± {metrics['f1_std']:.3f}  "
            f"precision {metrics['precision']:.3f}  recall {metrics['recall']:.3f}  "
            f"empty pages {len(empty)}  ({seconds:.0f} s)"
        )
    ours, theirs = runs["sourcewatch"][0]["bodies"], runs["trafilatura"][0]["bodies"]
    lost = sorted(
        key
        for key in pages
        if not ours[key]["articleBody"].strip() and theirs[key]["articleBody"].strip()
    )
    results["sourcewatch"]["empty_where_trafilatura_has_text"] = lost
    results["sourcewatch"]["dates"] = runs["sourcewatch"][0]["dates"]
    print(f"empty where trafilatura finds text: {len(lost)} {lost}")
    print(f"dates: {json.dumps(runs['sourcewatch'][0]['dates'])}")
    if args.output:
        args.output.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n", "utf-8")


def _load_scorer(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location("aeb_evaluate", path)
    if spec is None or spec.loader is None:
        sys.exit(f"cannot load the benchmark's scorer from {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _page(benchmark: Path, key: str) -> str:
    with gzip.open(benchmark / "html" / f"{key}.html.gz", "rt", encoding="utf8") as f:
        return f.read()


def _run_sourcewatch(
    pages: dict[str, str], truth: dict[str, dict[str, Any]]
) -> tuple[dict[str, Any], float]:
    bodies: dict[str, dict[str, str]] = {}
    dates = {"dated": 0, "implausible": 0, "url_dated": 0, "url_day_differs": 0}
    started = time.process_time()
    for key, html in pages.items():
        url = str(truth[key].get("url") or "http://example.invalid/")
        try:
            article = extract_article(html, url)
        except ArticleError:
            bodies[key] = {"articleBody": ""}
            continue
        bodies[key] = {"articleBody": article.text}
        published = article.published_at
        in_url = url_date(url)
        dates["dated"] += published is not None
        dates["implausible"] += published is not None and not 1990 <= published.year <= 2100
        if in_url is not None:
            dates["url_dated"] += 1
            dates["url_day_differs"] += published is None or (
                abs((published.date() - in_url.date()).days) > 1
            )
    return {"bodies": bodies, "dates": dates}, time.process_time() - started


def _run_trafilatura(
    pages: dict[str, str], *, favor_precision: bool
) -> tuple[dict[str, Any], float]:
    bodies: dict[str, dict[str, str]] = {}
    started = time.process_time()
    for key, html in pages.items():
        text = trafilatura.extract(html, include_comments=False, favor_precision=favor_precision)
        bodies[key] = {"articleBody": text or ""}
    return {"bodies": bodies}, time.process_time() - started


if __name__ == "__main__":
    main()
