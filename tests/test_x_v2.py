"""Parsing X API v2 payloads into ParsedItems: the recorded responses, then the odd shapes."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from sourcewatch.collectors.x.v2 import XPayloadError, parse_v2_response, snowflake_time
from x_fake_api import recorded_json

USERS = [
    {"id": "1", "username": "AfghanAnalyst2", "name": "Afghan Analyst"},
    {"id": "2", "username": "KhyberScoop", "name": "Khyber Scoop"},
]


def test_the_recorded_twarc_response_with_a_video() -> None:
    (item,) = parse_v2_response(recorded_json("twarc-csv__media_tweet.jsonl"))

    assert item.external_id == "1558553189766631429"
    assert item.url == "https://x.com/igorbrigadir/status/1558553189766631429"
    assert item.author == "@IgorBrigadir"
    assert item.text == "She's GOING with it! 🐍"  # the link to its own video is dropped
    assert item.lang == "en"
    assert item.published_at == datetime(2022, 8, 13, 20, 36, 51, tzinfo=UTC)
    assert item.edited is False and item.edited_at is None
    (video,) = item.media
    assert video.kind == "video"
    assert video.media_type == "video/mp4"
    assert video.url == (  # the 2176 kbit/s variant, not the m3u8 or the smaller mp4s
        "https://video.twimg.com/ext_tw_video/1558552952549277696/pu/vid/1280x720/"
        "WiZrNZKT2lMzK5zA.mp4?tag=12"
    )
    assert item.extra["conversation_id"] == "1558553189766631429"
    assert item.extra["public_metrics"]["like_count"] == 93
    assert item.extra["author_name"].startswith("Igor Brigadir")


def test_the_recorded_search_response_in_the_default_shape() -> None:
    items = parse_v2_response(recorded_json("tweepy__test_client_search_recent_tweets.yaml"))
    assert len(items) == 10
    assert items[-1].external_id == "1578511538419212288"
    assert items[-1].text == "2022-10-07 22:24:12.640234 tweepy"
    assert items[-1].author is None  # no expansions were asked for
    assert items[-1].url == "https://x.com/i/web/status/1578511538419212288"
    assert items[-1].published_at == snowflake_time("1578511538419212288")


def test_links_are_expanded_and_entities_decoded() -> None:
    payload = {
        "data": {
            "id": "1703503862391357495",
            "author_id": "1",
            "text": "TTP claims Chitral raid &amp; clashes https://t.co/AbC https://t.co/pic",
            "entities": {
                "urls": [
                    {"url": "https://t.co/AbC", "expanded_url": "https://example.org/a?b=1&copy=2"},
                    {
                        "url": "https://t.co/pic",
                        "expanded_url": "https://x.com/AfghanAnalyst2/status/1703503862391357495/photo/1",
                    },
                ]
            },
        },
        "includes": {"users": USERS},
    }
    (item,) = parse_v2_response(payload)
    assert item.text == "TTP claims Chitral raid & clashes https://example.org/a?b=1&copy=2"


def test_a_long_post_uses_note_tweet() -> None:
    long_text = "Detailed thread on the Chitral incursion. " * 20
    payload = {
        "data": [
            {
                "id": "1703503862391357495",
                "text": long_text[:270] + "… https://t.co/more",
                "note_tweet": {"text": long_text.strip()},
            }
        ]
    }
    (item,) = parse_v2_response(payload)
    assert item.text == long_text.strip()


def test_retweet_reply_and_quote() -> None:
    original = {
        "id": "1703480256349266107",
        "author_id": "2",
        "text": "Full text of the report " * 12,
    }
    quoted = {"id": "1703312816432611834", "author_id": "2", "text": "the quoted post"}
    payload = {
        "data": [
            {
                "id": "1703503862391357495",
                "author_id": "1",
                "text": "RT @KhyberScoop: Full text of the report Full text…",
                "referenced_tweets": [{"type": "retweeted", "id": original["id"]}],
            },
            {
                "id": "1703503862391357496",
                "author_id": "1",
                "text": "@KhyberScoop confirmed by locals",
                "referenced_tweets": [{"type": "replied_to", "id": original["id"]}],
            },
            {
                "id": "1703503862391357497",
                "author_id": "1",
                "text": "worth reading",
                "referenced_tweets": [{"type": "quoted", "id": quoted["id"]}],
            },
        ],
        "includes": {"users": USERS, "tweets": [original, quoted]},
    }
    retweet, reply, quote = parse_v2_response(payload)
    assert retweet.text == original["text"].strip()  # the whole text, not the truncated RT
    assert retweet.forwarded_from == "@KhyberScoop"
    assert retweet.extra["retweeted_id"] == original["id"]
    assert reply.reply_to == original["id"]
    assert reply.extra["replied_to_id"] == original["id"]
    assert quote.extra["quoted_id"] == quoted["id"]
    assert quote.extra["quoted"] == {
        "id": quoted["id"],
        "author": "@KhyberScoop",
        "url": "https://x.com/khyberscoop/status/1703312816432611834",
        "text": "the quoted post",
    }


def test_two_versions_of_one_post_in_a_page_keep_the_newest() -> None:
    payload = {
        "data": [
            {
                "id": "1703503862391357495",
                "text": "old",
                "edit_history_tweet_ids": ["1703503862391357495"],
            },
            {
                "id": "1703503999999999999",
                "text": "new",
                "edit_history_tweet_ids": ["1703503862391357495", "1703503999999999999"],
            },
        ]
    }
    (item,) = parse_v2_response(payload)
    assert (item.external_id, item.text, item.edited) == ("1703503862391357495", "new", True)


def test_media_missing_from_includes_is_noted_not_fatal() -> None:
    payload = {"data": [{"id": "5", "text": "x", "attachments": {"media_keys": ["3_9"]}}]}
    (item,) = parse_v2_response(payload)
    assert item.media[0].note == "media 3_9 missing from includes"


def test_an_empty_page() -> None:
    assert parse_v2_response({"meta": {"result_count": 0}}) == []


@pytest.mark.parametrize(
    ("payload", "problem"),
    [
        ([1, 2], "expected a JSON object"),
        ({"data": "text"}, "'data' must be"),
        ({"data": [42]}, "data[0] is not an object"),
        ({"data": [{"id": 5, "text": "x"}]}, "numeric string id"),
        ({"data": [{"id": "1e5", "text": "x"}]}, "numeric string id"),
        ({"data": [{"id": "5"}]}, "has no text"),
        ({"data": [{"id": "5", "text": "x" * 100_001}]}, "over 100000"),
        ({"data": [{"id": "5", "text": "x", "created_at": "yesterday"}]}, "not an ISO 8601 time"),
        ({"data": [], "includes": []}, "'includes' must be an object"),
        ({"data": [], "includes": {"users": {"id": "1"}}}, "must be a list"),
    ],
)
def test_malformed_payloads_name_the_problem(payload: Any, problem: str) -> None:
    with pytest.raises(XPayloadError) as caught:
        parse_v2_response(payload)
    assert problem in str(caught.value)


def test_hostile_field_types_are_ignored_not_trusted() -> None:
    payload = {
        "data": [
            {
                "id": "5",
                "text": "x",
                "author_id": {"$ne": 1},
                "edit_history_tweet_ids": ["5", 6, "../../etc"],
                "referenced_tweets": [{"type": "quoted", "id": "javascript:alert(1)"}, "junk"],
                "entities": {"urls": [{"url": "https://evil.example/", "expanded_url": "x"}, 7]},
                "public_metrics": {"like_count": True, "reply_count": 3},
            }
        ],
        "includes": {"users": [{"id": "5", "username": "bad name\x1b[31m"}]},
    }
    (item,) = parse_v2_response(payload)
    assert item.external_id == "5"
    assert item.author is None
    assert "quoted_id" not in item.extra
    assert item.text == "x"
    assert item.extra["public_metrics"] == {"reply_count": 3}


def test_snowflake_time() -> None:
    # The id says 20:36:51.615; the recorded created_at is 20:36:51.000: whole seconds.
    assert snowflake_time("1558553189766631429") == datetime(2022, 8, 13, 20, 36, 51, tzinfo=UTC)
    assert snowflake_time("20") is None  # 2006: ids were not snowflakes yet


def test_the_same_post_edited_or_not_has_one_published_at() -> None:
    """The recorded post, and the same payload as X serves it after one edit (its
    history gains the edit's id and ``created_at`` becomes the edit's time)."""
    payload = recorded_json("twarc-csv__media_tweet.jsonl")
    (unedited,) = parse_v2_response(payload)
    edit_id = str(int("1558553189766631429") + (90_000 << 22))  # 90 s later
    tweet = payload["data"][0] if isinstance(payload["data"], list) else payload["data"]
    tweet["edit_history_tweet_ids"] = ["1558553189766631429", edit_id]
    tweet["id"] = edit_id
    tweet["created_at"] = "2022-08-13T20:38:21.000Z"
    (edited,) = parse_v2_response(payload)

    assert edited.edited and edited.external_id == unedited.external_id
    assert edited.published_at == unedited.published_at
    assert edited.published_at is not None and edited.published_at.microsecond == 0
    assert edited.edited_at == datetime(2022, 8, 13, 20, 38, 21, tzinfo=UTC)


def test_a_partial_referenced_post_is_not_fatal() -> None:
    payload = {
        "data": [
            {
                "id": "1703503862391357495",
                "text": "RT @KhyberScoop: withheld…",
                "referenced_tweets": [{"type": "retweeted", "id": "1703480256349266107"}],
            },
            {
                "id": "1703503862391357496",
                "text": "see this",
                "referenced_tweets": [{"type": "quoted", "id": "1703480256349266107"}],
            },
        ],
        "includes": {"tweets": [{"id": "1703480256349266107", "withheld": {"copyright": True}}]},
    }
    retweet, quote = parse_v2_response(payload)
    assert retweet.text == "RT @KhyberScoop: withheld…"  # its own text, since the original has none
    assert retweet.extra["retweeted_id"] == "1703480256349266107"
    assert quote.extra["quoted"]["text"] is None
