"""import --format: a file is what it claims, or the import stops naming what it looks like."""

from __future__ import annotations

from pathlib import Path

import pytest

from sourcewatch.collectors.formats import ImportContext, ImportFileError, parse_file
from sourcewatch.collectors.sniff import sniff

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.mark.parametrize(
    ("path", "looks"),
    [
        ("news/rss-parser__guardian.rss", "rss"),
        ("news/wordpress__wordpress-org-news.xml", "rss"),
        ("feedparser/encoding_utf-16le-autodetect.xml", "rss"),
        ("news/trafilatura__reuters.com.parasite.html", "html"),
        ("news/python-wp__wp-json_wp_v2_posts.json", "wp-json"),
        ("news/wp-api-generated__UsersCollection.json", "wp-json"),
        ("telegram/any2feed_topwar_official_channel_page.html", "telegram-html"),
        ("telegram/telethon_chp_chechnya_channel_messages.json", "telethon-json"),
        ("x/syndication__tweet-result.json", "x-json"),
        ("x/twarc-csv__media_tweet.jsonl", "x-json"),
    ],
)
def test_each_recorded_file_looks_like_its_format(path: str, looks: str) -> None:
    assert sniff((FIXTURES / path).read_bytes()).format == looks


@pytest.mark.parametrize(
    ("path", "claimed", "looks"),
    [
        # A WordPress answer as x-json was an empty X page (its posts have a "meta" key).
        ("news/python-wp__wp-json_wp_v2_posts.json", "x-json", "wp-json"),
        # --format html accepted feeds and JSON as "articles".
        ("news/rss-parser__guardian.rss", "html", "rss"),
        ("news/python-wp__wp-json_wp_v2_posts.json", "html", "wp-json"),
        ("x/syndication__tweet-result.json", "html", "x-json"),
        ("telegram/any2feed_topwar_official_channel_page.html", "html", "telegram-html"),
        ("telegram/telethon_chp_chechnya_channel_messages.json", "wp-json", "telethon-json"),
        ("news/trafilatura__reuters.com.parasite.html", "rss", "html"),
        ("x/twarc-csv__media_tweet.jsonl", "jsonl", "x-json"),
    ],
)
def test_a_file_in_another_format_is_refused_naming_it(path: str, claimed: str, looks: str) -> None:
    file = FIXTURES / path
    ctx = ImportContext(source=None, url="https://example.org/a", filename=file.name)
    with pytest.raises(
        ImportFileError, match=f"not a {claimed} file: it looks like .*\\({looks}\\)"
    ):
        parse_file(file, claimed, ctx)


def test_a_file_like_no_format_is_left_to_the_parser(tmp_path: Path) -> None:
    file = tmp_path / "notes.txt"
    file.write_text("just some notes\n")
    assert sniff(file.read_bytes()).format is None
    with pytest.raises(ImportFileError, match="line 1: bad JSON"):
        parse_file(file, "jsonl", ImportContext(source=None, url=None, filename=file.name))
