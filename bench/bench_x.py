"""Speed of the X parsers and of canonical_url, on one core.

Usage: .venv/bin/python bench/bench_x.py [--seconds 5]

* parse_v2_response on a 100-post API page (the largest X sends) built from
  the recorded posts in tests/fixtures/x: the twarc post with its video and
  user, and the ten tweepy search posts, repeated with distinct ids;
* canonical_url on the 50 X and t.me URLs cited in the seed report's
  footnotes (what `cite` canonicalizes);
* syndication_token (the float-to-base-36 port) on recorded post ids.

Single process, single thread, pinned to one core.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import platform
import time
from collections.abc import Callable
from pathlib import Path

import yaml

from sourcewatch.collectors.x.syndication_token import syndication_token
from sourcewatch.collectors.x.v2 import parse_v2_response
from sourcewatch.text.urls import canonical_url

FIXTURES = Path(__file__).resolve().parents[1] / "tests/fixtures/x"
SEED_URLS = [
    "https://x.com/DeirEzzore/status/1703418752753127722?s=20",
    "https://twitter.com/DeirEzzore/status/1703458709068755211",
    "https://twitter.com/thesyrianlions/status/1703054764055933059",
    "https://twitter.com/SimNasr/status/1686725855408496640?s=20",
    "https://x.com/Wamaps_news/status/1701875614859313272?s=20",
    "https://twitter.com/natsecjeff/status/1701893522612461734?s=46",
    "https://t.me/rybar/51204",
    "https://t.me/multi_XAM/712",
    "https://t.me/s/knyaz_cherkasky/1744",
    "https://www.brookings.edu/articles/comparing-al-qaeda-and-isis-different-goals-"
    "different-targets/#:~:text=The%20Islamic%20State's%20strategy%20is",
] * 5


def page_of_100() -> dict[str, object]:
    twarc = json.loads((FIXTURES / "twarc-csv__media_tweet.jsonl").read_text(encoding="utf-8"))
    cassette = yaml.safe_load(
        (FIXTURES / "tweepy__test_client_search_recent_tweets.yaml").read_text(encoding="utf-8")
    )
    search = json.loads(gzip.decompress(cassette["interactions"][0]["response"]["body"]["string"]))
    posts = [twarc["data"][0], *search["data"]]
    data = []
    for n in range(100):
        post = dict(posts[n % len(posts)])
        post["id"] = str(1600000000000000000 + n)
        post["edit_history_tweet_ids"] = [post["id"]]
        data.append(post)
    return {"data": data, "includes": twarc["includes"]}


def rate(label: str, unit: str, work: Callable[[], int], seconds: float) -> None:
    work()  # warm up
    done = 0
    start = time.perf_counter()
    while (elapsed := time.perf_counter() - start) < seconds:
        done += work()
    print(f"{label:44s} {done / elapsed:12,.0f} {unit}/s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})  # one core
    page = page_of_100()
    ids = [post["id"] for post in page["data"]]  # type: ignore[index]
    print(f"python {platform.python_version()}")
    rate(
        "parse_v2_response (100-post page)",
        "posts",
        lambda: len(parse_v2_response(page)),
        args.seconds,
    )
    rate(
        "canonical_url (seed footnote URLs)",
        "URLs",
        lambda: len([canonical_url(u) for u in SEED_URLS]),
        args.seconds,
    )
    rate(
        "syndication_token",
        "tokens",
        lambda: len([syndication_token(i) for i in ids]),
        args.seconds,
    )


if __name__ == "__main__":
    main()
