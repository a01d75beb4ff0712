"""Recall and precision of the shipped watchlists on a labeled multilingual set.

``bench/data/labeled_posts.jsonl``: one post a line, ``{"id", "lang", "text",
"entities"}``, where ``entities`` are the watchlist entity ids an analyst wants
found in that post (written for issue 21: real-style posts in Arabic, Russian,
French, English, Persian and Pashto, each form class represented, with
false-positive traps labeled with what they really mention, often nothing).

Scores count (post, entity) pairs: a true positive is a labeled entity found, a
false positive an entity found but not labeled, a false negative a labeled one
missed. Prints a Markdown table per language and every error, so a regression
names its post.

    .venv/bin/python bench/bench_recall.py [--watchlists watchlists] [--data FILE]
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass, field
from pathlib import Path

from sourcewatch.matching import load_matcher

ROOT = Path(__file__).resolve().parent.parent
LANGUAGES = ("ar", "ru", "fr", "en", "fa", "ps")


@dataclass
class Score:
    posts: int = 0
    tp: int = 0
    fp: int = 0
    fn: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0


def score(watchlists: Path, data: Path) -> dict[str, Score]:
    matcher = load_matcher(watchlists)
    scores = {lang: Score() for lang in LANGUAGES}
    for line in data.read_text(encoding="utf-8").splitlines():
        post = json.loads(line)
        found = set(matcher.match(post["text"]).entity_ids)
        wanted = set(post["entities"])
        s = scores[post["lang"]]
        s.posts += 1
        s.tp += len(found & wanted)
        s.fp += len(found - wanted)
        s.fn += len(wanted - found)
        for entity in sorted(wanted - found):
            s.errors.append(f"{post['id']} missed {entity}: {post['text']}")
        for entity in sorted(found - wanted):
            s.errors.append(f"{post['id']} false {entity}: {post['text']}")
    return scores


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--watchlists", type=Path, default=ROOT / "watchlists")
    parser.add_argument(
        "--data", type=Path, default=ROOT / "bench" / "data" / "labeled_posts.jsonl"
    )
    args = parser.parse_args()
    scores = score(args.watchlists, args.data)
    print("| language | posts | labeled mentions | recall | precision | missed | false |")
    print("|---|---|---|---|---|---|---|")
    for lang, s in scores.items():
        print(
            f"| {lang} | {s.posts} | {s.tp + s.fn} | {s.recall:.1%} | {s.precision:.1%} "
            f"| {s.fn} | {s.fp} |"
        )
    total = Score(
        sum(s.posts for s in scores.values()),
        sum(s.tp for s in scores.values()),
        sum(s.fp for s in scores.values()),
        sum(s.fn for s in scores.values()),
    )
    print(
        f"| all | {total.posts} | {total.tp + total.fn} | {total.recall:.1%} "
        f"| {total.precision:.1%} | {total.fn} | {total.fp} |"
    )
    print()
    for s in scores.values():
        for error in s.errors:
            print(f"- {error}")


if __name__ == "__main__":
    main()
