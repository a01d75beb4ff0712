"""Does fastfeedparser return the same items as feedparser? Run on feedparser's own test
corpus (issue #24: a faster parser is welcome only if it does).

Usage: .venv/bin/python bench/compare_feedparsers.py CORPUS_DIR [--show 10]

``CORPUS_DIR`` is the ``tests/`` folder of https://github.com/kurtmckee/feedparser
(~2,100 XML files, not vendored). Each file is parsed by both; a file counts when
both accept it (feedparser gives a version and no fatal bozo, fastfeedparser does
not raise). For those, the fields sourcewatch reads are compared entry by entry:
id, link, title, author, published time, and the body (first content, else
summary) with whitespace collapsed. Also reports CPU time of each parser over the
accepted files.
"""

from __future__ import annotations

import argparse
import time
from collections import Counter
from pathlib import Path
from typing import Any

import fastfeedparser  # type: ignore[import-untyped]
import feedparser

FIELDS = ("count", "id", "link", "title", "author", "published", "body")


def _text(value: Any) -> str:
    return " ".join(str(value or "").split())


def _body(entry: Any) -> str:
    content = entry.get("content") or []
    if content:
        return _text(content[0].get("value"))
    return _text(entry.get("summary") or entry.get("description"))


def _published(entry: Any) -> str:
    parsed = entry.get("published_parsed") or entry.get("updated_parsed")
    if parsed:
        return time.strftime("%Y-%m-%dT%H:%M:%S", tuple(parsed))
    return _text(entry.get("published") or entry.get("updated"))


def entry_fields(entry: Any) -> dict[str, str]:
    return {
        "id": _text(entry.get("id")),
        "link": _text(entry.get("link")),
        "title": _text(entry.get("title")),
        "author": _text(entry.get("author")),
        "published": _published(entry),
        "body": _body(entry),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("corpus", type=Path)
    parser.add_argument("--show", type=int, default=10, help="differences printed per field")
    args = parser.parse_args()
    files = sorted(p for p in args.corpus.rglob("*.xml") if p.is_file())
    accepted = 0
    agree: Counter[str] = Counter()
    compared: Counter[str] = Counter()
    shown: Counter[str] = Counter()
    cpu = {"feedparser": 0.0, "fastfeedparser": 0.0}
    for path in files:
        data = path.read_bytes()
        started = time.process_time()
        theirs = feedparser.parse(data)
        fp_cpu = time.process_time() - started
        started = time.process_time()
        try:
            fast = fastfeedparser.parse(data)
        except Exception:  # a refusal is a result here: the file is not "accepted by both"
            continue
        ffp_cpu = time.process_time() - started
        if not theirs.get("version"):
            continue
        accepted += 1
        cpu["feedparser"] += fp_cpu
        cpu["fastfeedparser"] += ffp_cpu
        a, b = theirs.entries, fast.get("entries") or []
        compared["count"] += 1
        if len(a) == len(b):
            agree["count"] += 1
        else:
            _show(shown, args.show, "count", path, len(a), len(b))
        for ea, eb in zip(a, b, strict=False):
            fa, fb = entry_fields(ea), entry_fields(eb)
            for name in FIELDS[1:]:
                compared[name] += 1
                if fa[name] == fb[name]:
                    agree[name] += 1
                else:
                    _show(shown, args.show, name, path, fa[name], fb[name])
    print(f"files: {len(files)}, accepted by both: {accepted}")
    for name in FIELDS:
        share = agree[name] / compared[name] if compared[name] else 0.0
        print(f"  {name:<10} agree {agree[name]:>5} of {compared[name]:>5} ({share:.1%})")
    speedup = cpu["feedparser"] / cpu["fastfeedparser"] if cpu["fastfeedparser"] else 0.0
    print(
        f"CPU over accepted files: feedparser {cpu['feedparser']:.2f} s, "
        f"fastfeedparser {cpu['fastfeedparser']:.2f} s ({speedup:.1f}x)"
    )


def _show(shown: Counter[str], limit: int, name: str, path: Path, a: Any, b: Any) -> None:
    if shown[name] < limit:
        shown[name] += 1
        print(f"DIFF {name} {path.name}: feedparser={str(a)[:80]!r} fast={str(b)[:80]!r}")


if __name__ == "__main__":
    main()
