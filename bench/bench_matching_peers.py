"""The matcher beside the tools an analyst would use instead, in one process, interleaved.

Peers, each given the same 10,000 entities x 4 aliases and the same posts:

- ``pyahocorasick``: a bare scan of the raw post with an automaton of the aliases
  as written (no normalization, no word boundaries, no offsets: the floor);
- ``flashtext``: ``KeywordProcessor.extract_keywords(post, span_info=True)``
  (case-insensitive whole-word matching, what people reach for in Python);
- ``sourcewatch``: ``Matcher.match(post)`` end to end (normalization, scan,
  word-boundary/inflection checks, excludes, rules, offsets in the original text).

Each round runs every engine once over all posts, in a rotating order, and
measures ``time.process_time()``; the figures are the median per-round ratios,
so a noisy neighbour slows both sides of a ratio alike.

    .venv/bin/python bench/bench_matching_peers.py [--posts 5000] [--rounds 7]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import ahocorasick
from flashtext import KeywordProcessor  # type: ignore[import-untyped]

sys.path.insert(0, str(Path(__file__).parent))
from bench_matching import generate_names, generate_posts, write_watchlist

from sourcewatch.matching import load_matcher


def bare_automaton(names: list[tuple[str, str, str, str]]) -> ahocorasick.Automaton:
    automaton = ahocorasick.Automaton()
    for number, aliases in enumerate(names):
        for alias in aliases:
            automaton.add_word(alias, (len(alias), number))
    automaton.make_automaton()
    return automaton


def flashtext_processor(names: list[tuple[str, str, str, str]]) -> KeywordProcessor:
    processor = KeywordProcessor(case_sensitive=False)
    for number, aliases in enumerate(names):
        for alias in aliases:
            processor.add_keyword(alias, f"e{number}")
    return processor


def rounds(engines: dict[str, Callable[[], object]], count: int) -> dict[str, list[float]]:
    """CPU seconds per engine per round; the order rotates each round."""
    times: dict[str, list[float]] = {name: [] for name in engines}
    names = list(engines)
    for round_number in range(count):
        order = names[round_number % len(names) :] + names[: round_number % len(names)]
        for name in order:
            started = time.process_time()
            engines[name]()
            times[name].append(time.process_time() - started)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--posts", type=int, default=5_000)
    parser.add_argument("--entities", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    rng = random.Random(6)
    names = generate_names(args.entities, rng)
    corpora = {
        "sparse (10% mention)": generate_posts(args.posts, names, random.Random(7), 0.10),
        "dense (50% mention)": generate_posts(args.posts, names, random.Random(8), 0.50),
    }
    with tempfile.TemporaryDirectory() as tmp:
        write_watchlist(Path(tmp), names)
        matcher = load_matcher(Path(tmp))
    automaton = bare_automaton(names)
    processor = flashtext_processor(names)
    print(f"entities: {args.entities} x 4 aliases, posts per corpus: {args.posts}")
    for label, posts in corpora.items():
        matched = sum(1 for post in posts if matcher.match(post))

        def bare(posts: list[str] = posts) -> None:
            for post in posts:
                for _ in automaton.iter(post):
                    pass

        def flash(posts: list[str] = posts) -> None:
            for post in posts:
                processor.extract_keywords(post, span_info=True)

        def ours(posts: list[str] = posts) -> None:
            for post in posts:
                matcher.match(post)

        engines = {"pyahocorasick": bare, "flashtext": flash, "sourcewatch": ours}
        times = rounds(engines, args.rounds)
        ours_times = times["sourcewatch"]
        ratios_bare = [b / o for b, o in zip(times["pyahocorasick"], ours_times, strict=True)]
        ratios_flash = [f / o for f, o in zip(times["flashtext"], ours_times, strict=True)]
        print(f"\n{label}: {matched} of {len(posts)} posts matched")
        for name, values in times.items():
            per_post = statistics.median(values) / len(posts) * 1e6
            print(f"  {name:14} median {per_post:7.1f} us/post CPU")
        print(
            f"  sourcewatch speed / bare pyahocorasick: {statistics.median(ratios_bare):.2f}x "
            f"(rounds {min(ratios_bare):.2f}-{max(ratios_bare):.2f})"
        )
        print(
            f"  sourcewatch speed / flashtext:          {statistics.median(ratios_flash):.2f}x "
            f"(rounds {min(ratios_flash):.2f}-{max(ratios_flash):.2f})"
        )


if __name__ == "__main__":
    main()
