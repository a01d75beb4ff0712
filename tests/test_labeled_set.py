"""The shipped watchlists keep >= 95% recall and precision per language on the labeled
multilingual set (bench/data/labeled_posts.jsonl, issue 21)."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "bench" / "data" / "labeled_posts.jsonl"


def _bench():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location(
        "bench_recall", ROOT / "bench" / "bench_recall.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_the_set_is_large_and_covers_every_language() -> None:
    posts = [json.loads(line) for line in DATA.read_text(encoding="utf-8").splitlines()]
    assert len(posts) >= 300
    counts = {
        lang: sum(p["lang"] == lang for p in posts) for lang in ("ar", "ru", "fr", "en", "fa", "ps")
    }
    assert min(counts.values()) >= 45, counts
    assert sum(not p["entities"] for p in posts) >= 40  # traps that must match nothing


@pytest.mark.parametrize("lang", ["ar", "ru", "fr", "en", "fa", "ps"])
def test_recall_and_precision_per_language(lang: str) -> None:
    score = _bench().score(ROOT / "watchlists", DATA)[lang]
    assert score.recall >= 0.95, score.errors
    assert score.precision >= 0.95, score.errors
