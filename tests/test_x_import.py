"""``sourcewatch import --format x-json``: API v2 responses and syndication objects."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sourcewatch.collectors.formats import ImportContext, ImportFileError, parse_file
from sourcewatch.collectors.registry import get_format
from sourcewatch.collectors.x.collector import parse_x_json
from sourcewatch.sources.config import SourceConfig
from x_fake_api import FIXTURES, cassette_response

SOURCE = SourceConfig(name="x-import", kind="x", target="@IgorBrigadir")


def ctx(filename: str = "saved.jsonl", url: str | None = None) -> ImportContext:
    return ImportContext(source=SOURCE, url=url, filename=filename)


def test_the_format_is_registered() -> None:
    assert get_format("x-json") is parse_x_json


def test_a_twarc_jsonl_file(tmp_path: Path) -> None:
    path = tmp_path / "media_tweet.jsonl"
    path.write_bytes((FIXTURES / "twarc-csv__media_tweet.jsonl").read_bytes())
    _, items = parse_file(path, "x-json", ctx(path.name))
    (item,) = items
    assert item.external_id == "1558553189766631429"
    assert item.author == "@IgorBrigadir"
    assert item.media[0].url is not None and item.media[0].url.endswith(".mp4?tag=12")


def test_json_lines_of_several_responses() -> None:
    twarc_line = (FIXTURES / "twarc-csv__media_tweet.jsonl").read_text(encoding="utf-8").strip()
    search_body, _ = cassette_response("tweepy__test_client_search_recent_tweets.yaml")
    search_line = json.dumps(json.loads(search_body))
    data = f"{twarc_line}\n\n{search_line}\n".encode()
    items = parse_x_json(data, ctx())
    assert len(items) == 11
    assert items[0].external_id == "1558553189766631429"


def test_one_pretty_printed_response_and_a_list_of_responses() -> None:
    body, _ = cassette_response("tweepy__test_client_get_users_tweets.yaml")
    response = json.loads(body)
    pretty = json.dumps(response, indent=2).encode()
    assert [i.external_id for i in parse_x_json(pretty, ctx())] == [
        "1577730467436138524",
        "1565318587736285184",
    ]
    as_list = json.dumps([response, {"meta": {"result_count": 0}}]).encode()
    assert len(parse_x_json(as_list, ctx())) == 2


def test_a_syndication_tweet_result() -> None:
    data = (FIXTURES / "syndication__tweet-result.json").read_bytes()
    (item,) = parse_x_json(data, ctx("tweet-result.json"))
    assert item.external_id == "1595137918448054272"
    assert item.author == "@samselikoff"


def test_a_tombstone_needs_the_post_url() -> None:
    tombstone = b'{"__typename": "TweetTombstone", "tombstone": {"text": {"text": "gone"}}}'
    (item,) = parse_x_json(
        tombstone, ctx(url="https://twitter.com/SimNasr/status/1686725855408496640")
    )
    assert item.deleted is True and item.external_id == "1686725855408496640"
    with pytest.raises(ImportFileError) as caught:
        parse_x_json(tombstone, ctx())
    assert "names no post id" in str(caught.value)


def test_later_edit_in_the_file_wins_whatever_the_order() -> None:
    old = {
        "data": [{"id": "100000000000", "text": "old", "edit_history_tweet_ids": ["100000000000"]}]
    }
    new = {
        "data": [
            {
                "id": "100000000001",
                "text": "new",
                "edit_history_tweet_ids": ["100000000000", "100000000001"],
            }
        ]
    }
    for lines in ([new, old], [old, new]):
        data = "\n".join(json.dumps(line) for line in lines).encode()
        (item,) = parse_x_json(data, ctx())
        assert (item.external_id, item.text) == ("100000000000", "new")


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (b"", "saved.jsonl: not JSON"),
        (b'{"data": [{"id": "1", "text": "a"}]}\n{"data": [\n', "saved.jsonl: line 2: not JSON"),
        (
            b'{"data": []}\n{"data": []}\n{"users": []}\n',
            "saved.jsonl: line 3: neither an X API v2",
        ),
        (b"\xff\xfe{}", "not UTF-8 (byte 0)"),
        (
            b'{\n  "data": [\n    {"id": "1",, "text": "a"}\n  ]\n}\n',
            "not JSON: Expecting property name",
        ),
        (b'{"data": [{"id": "1"}]}', "saved.jsonl: line 1: post 1 has no text"),
        (b'[{"data": []}, 7]', "line 1, element 1: expected a JSON object"),
        (b"[" * 200_000, "nested too deeply"),
        (b'"just a string"', "expected a JSON object"),
    ],
    ids=[
        "empty",
        "truncated-line",
        "unknown-shape",
        "not-utf8",
        "pretty-printed-broken",
        "no-text",
        "list-junk",
        "nesting",
        "scalar",
    ],
)
def test_bad_files_name_the_line_and_problem(data: bytes, problem: str) -> None:
    with pytest.raises(ImportFileError) as caught:
        parse_x_json(data, ctx())
    assert problem in str(caught.value)
