"""Benchmark the matcher: 10,000 entities x 4 aliases (Latin x2, Cyrillic, Arabic) against
200,000 generated posts of about 300 characters in English, Russian and Arabic.

Reports: watchlist load + automaton build time, matcher memory (tracemalloc peak and
RSS growth), end-to-end posts/s on one core (normalization + automaton + boundary,
inflection and exclude checks + rules + span mapping), and the parts alone.

    .venv/bin/python bench/bench_matching.py [--posts 200000] [--entities 10000]
"""

from __future__ import annotations

import argparse
import gc
import random
import resource
import tempfile
import time
import tracemalloc
from pathlib import Path

from sourcewatch.matching import load_matcher, normalize

# Latin, Cyrillic and Arabic spellings of the same syllables, so each generated name has
# three consistent transliterations.
SYLLABLES = [
    ("ka", "ка", "كا"), ("ra", "ра", "را"), ("mi", "ми", "مي"), ("to", "то", "تو"),
    ("su", "су", "سو"), ("bel", "бел", "بل"), ("dan", "дан", "دان"), ("har", "хар", "هار"),
    ("lo", "ло", "لو"), ("ni", "ни", "ني"), ("zor", "зор", "زور"), ("fa", "фа", "فا"),
    ("rid", "рид", "ريد"), ("sha", "ша", "شا"), ("nur", "нур", "نور"), ("tal", "тал", "طال"),
    ("gul", "гуль", "غول"), ("bak", "бак", "باك"), ("mus", "мус", "موس"), ("ham", "хам", "حام"),
    ("jab", "джаб", "جاب"), ("qas", "кас", "قاس"), ("wad", "вад", "واد"), ("yus", "юс", "يوس"),
    ("dar", "дар", "دار"), ("kil", "киль", "كيل"), ("tum", "тум", "توم"), ("sab", "саб", "صاب"),
]  # fmt: skip
_FILLER_TEXT = {
    "en": (
        "the forces attacked a convoy near the town on Tuesday while local sources reported "
        "heavy fighting and several casualties among civilians as the group claimed the "
        "operation and officials said security would be reinforced across the province"
    ),
    "ru": (
        "силы атаковали колонну возле города во вторник местные источники сообщили о "
        "тяжелых боях и нескольких жертвах среди мирных жителей группировка заявила об "
        "операции а власти сообщили что безопасность будет усилена по всей провинции"
    ),
    "ar": (
        "هاجمت القوات قافلة قرب المدينة يوم الثلاثاء بينما أفادت مصادر محلية بوقوع "
        "اشتباكات عنيفة وسقوط عدة ضحايا بين المدنيين وأعلنت الجماعة مسؤوليتها عن العملية "
        "وقال مسؤولون إن الأمن سيعزز في أنحاء المحافظة"
    ),
}
FILLER = {language: text.split() for language, text in _FILLER_TEXT.items()}
RU_ENDINGS = ["", "а", "у", "ом", "е"]
AR_PREFIXES = ["", "و", "ب", "ل"]


def generate_names(count: int, rng: random.Random) -> list[tuple[str, str, str, str]]:
    names: dict[str, tuple[str, str, str, str]] = {}
    while len(names) < count:
        words = [[rng.choice(SYLLABLES) for _ in range(rng.randint(2, 3))] for _ in range(2)]
        latin = " ".join("".join(s[0] for s in w).capitalize() for w in words)
        cyrillic = " ".join("".join(s[1] for s in w).capitalize() for w in words)
        arabic = " ".join("".join(s[2] for s in w) for w in words)
        variant = latin.replace(" ", "-") + " Brigade"
        names.setdefault(latin.lower(), (latin, variant, cyrillic, arabic))
    return list(names.values())


def write_watchlist(directory: Path, names: list[tuple[str, str, str, str]]) -> None:
    lines = ['area = "bench"', ""]
    for number, (latin, variant, cyrillic, arabic) in enumerate(names):
        lines += [
            "[[entities]]",
            f'id = "e{number}"',
            f'name = "{latin}"',
            'kind = "organization"',
            f"weight = {1 + number % 5}",
            f'aliases = ["{variant}", "{cyrillic}", "{arabic}"]',
            "",
        ]
    for number in range(0, 200, 2):
        lines += [
            "[[rules]]",
            f'id = "r{number}"',
            f'query = \'e{number} AND (e{number + 1} OR "convoy" OR "колонну")\'',
            "weight = 5",
            "",
        ]
    (directory / "bench.toml").write_text("\n".join(lines), encoding="utf-8")


def generate_posts(count: int, names: list, rng: random.Random, hit_rate: float) -> list[str]:
    posts = []
    for _ in range(count):
        language = rng.choice(("en", "en", "ru", "ar"))
        words: list[str] = []
        while sum(len(w) + 1 for w in words) < 300:
            words.append(rng.choice(FILLER[language]))
        if rng.random() < hit_rate:
            latin, _variant, cyrillic, arabic = rng.choice(names)
            if language == "ru":
                mention = cyrillic + rng.choice(RU_ENDINGS)
            elif language == "ar":
                mention = rng.choice(AR_PREFIXES) + arabic
            else:
                mention = latin + rng.choice(["", "’s"])
            words.insert(rng.randrange(len(words)), mention)
        posts.append(" ".join(words))
    return posts


def rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--posts", type=int, default=200_000)
    parser.add_argument("--entities", type=int, default=10_000)
    parser.add_argument("--hit-rate", type=float, default=0.10)
    args = parser.parse_args()
    rng = random.Random(6)
    names = generate_names(args.entities, rng)
    posts = generate_posts(args.posts, names, rng, args.hit_rate)
    average = sum(map(len, posts)) / len(posts)

    with tempfile.TemporaryDirectory() as tmp:
        write_watchlist(Path(tmp), names)
        gc.collect()
        rss_before = rss_mib()
        started = time.perf_counter()
        matcher = load_matcher(Path(tmp))
        build_seconds = time.perf_counter() - started
        rss_growth = rss_mib() - rss_before
        del matcher
        gc.collect()
        tracemalloc.start()
        matcher = load_matcher(Path(tmp))
        _, traced_peak = tracemalloc.get_traced_memory()
        traced_now = tracemalloc.get_traced_memory()[0]
        tracemalloc.stop()

    started = time.process_time()
    matched = sum(1 for post in posts if matcher.match(post))
    end_to_end = time.process_time() - started

    started = time.process_time()
    for post in posts:
        normalize(post)
    normalize_only = time.process_time() - started

    automaton = matcher._automaton  # the scan alone, for comparison
    normalized = [normalize(post) for post in posts]
    started = time.process_time()
    for text in normalized:
        for _ in automaton.iter(text):
            pass
    scan_only = time.process_time() - started

    print(f"entities: {args.entities} x 4 aliases, automaton keys: {matcher.key_count}")
    print(f"posts: {len(posts)}, average {average:.0f} characters, matched: {matched}")
    print(f"load + build: {build_seconds:.2f} s")
    print(
        f"matcher memory: tracemalloc {traced_now / 2**20:.0f} MiB retained "
        f"({traced_peak / 2**20:.0f} MiB peak while loading), RSS growth {rss_growth:.0f} MiB"
    )
    print(
        f"end to end: {len(posts) / end_to_end:,.0f} posts/s on one core "
        f"({end_to_end / len(posts) * 1e6:.1f} us/post)"
    )
    print(
        f"normalize only: {len(posts) / normalize_only:,.0f} posts/s "
        f"({normalize_only / len(posts) * 1e6:.1f} us/post)"
    )
    print(
        f"automaton scan only: {len(posts) / scan_only:,.0f} posts/s "
        f"({scan_only / len(posts) * 1e6:.1f} us/post)"
    )


if __name__ == "__main__":
    main()
