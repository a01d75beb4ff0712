"""Reading URLs out of footnote text: refanging, splitting, trimming, canonical form, kind."""

from __future__ import annotations

import pytest

from sourcewatch.citations.urlread import archived_original, find_urls, refang, url_kind


def urls(text: str) -> list[str]:
    return [found.url for found in find_urls(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("https://shaam dot org/news/a", "https://shaam.org/news/a"),
        ("https://www dot x dot com/a", "https://www.x.com/a"),
        ("http://en.kremlin dot ru/events/71838", "http://en.kremlin.ru/events/71838"),
        ("hxxps://evil[.]example/x", "https://evil.example/x"),
        ("hxxp://evil(.)example/x", "http://evil.example/x"),
        ("https://evil[dot]example/x", "https://evil.example/x"),
        ("https://evil(dot)example/x", "https://evil.example/x"),
        ("hxxps[:]//evil[.]example/x", "https://evil.example/x"),
        ("shaam dot org/news/a", "https://shaam.org/news/a"),
        ("www dot independentpersian dot com/node/1", "https://www.independentpersian.com/node/1"),
    ],
)
def test_defanged_spellings_are_read_as_urls(text: str, expected: str) -> None:
    assert urls(text) == [expected]


def test_the_raw_text_is_kept_exactly_as_written() -> None:
    [found] = find_urls("see https://www dot punjabnewsexpress dot com/world/x-1.")
    assert found.raw == "https://www dot punjabnewsexpress dot com/world/x-1"
    assert found.url == "https://www.punjabnewsexpress.com/world/x-1"


def test_prose_with_the_word_dot_is_left_alone() -> None:
    assert refang("the dot com bubble and a dot in the text") == (
        "the dot com bubble and a dot in the text"
    )
    assert find_urls("the dot com bubble") == []


@pytest.mark.parametrize(
    "text",
    [
        "https://a.example/x; https://b.example/y",
        "https://a.example/x;https://b.example/y;",
        "https://a.example/x, https://b.example/y",
        "https://a.example/x,https://b.example/y",
        "https://a.example/x and https://b.example/y",
        "<https://a.example/x> <https://b.example/y>.",
        '"https://a.example/x", “https://b.example/y”',
    ],
)
def test_several_urls_in_one_footnote(text: str) -> None:
    assert urls(text) == ["https://a.example/x", "https://b.example/y"]


def test_trailing_punctuation_is_not_part_of_the_url() -> None:
    assert urls("Seen at https://a.example/x. Then https://b.example/y!") == [
        "https://a.example/x",
        "https://b.example/y",
    ]


def test_a_closing_parenthesis_that_belongs_to_the_url_is_kept() -> None:
    text = (
        "https://www.brookings.edu/articles/comparing-al-qaeda-and-isis/#:~:text=The%20"
        "Islamic%20State's%20strategy%20is,State's%20twisted%20version%20of%20it)"
    )
    [found] = find_urls(text)
    assert found.raw == text
    assert found.url.endswith("version%20of%20it)")
    assert found.canonical == "https://www.brookings.edu/articles/comparing-al-qaeda-and-isis/"
    assert urls("https://en.wikipedia.org/wiki/Foo_(bar)") == [
        "https://en.wikipedia.org/wiki/Foo_(bar)"
    ]


def test_a_url_written_in_parentheses_loses_them() -> None:
    assert urls("(https://a.example/x)") == ["https://a.example/x"]
    assert urls("(see https://en.wikipedia.org/wiki/Foo_(bar))") == [
        "https://en.wikipedia.org/wiki/Foo_(bar)"
    ]


X_POST = "https://x.com/deirezzore/status/1703418752753127722"
X_ID = "1701893522612461734"


@pytest.mark.parametrize(
    ("url", "canonical", "kind"),
    [
        ("https://x.com/DeirEzzore/status/1703418752753127722?s=20", X_POST, "x"),
        (f"https://twitter.com/Jeff/status/{X_ID}?s=46", f"https://x.com/jeff/status/{X_ID}", "x"),
        (f"https://m.twitter.com/i/web/status/{X_ID}", f"https://x.com/i/web/status/{X_ID}", "x"),
        ("https://t.me/s/rybar/51411", "https://t.me/rybar/51411", "telegram"),
        ("https://telegram.me/Rybar/51411?utm_source=x", "https://t.me/rybar/51411", "telegram"),
        ("https://jihadology.net/2023/a/", "https://jihadology.net/2023/a/", "jihadology"),
        ("https://www.reuters.com/a?utm_source=tw&id=3", "https://www.reuters.com/a?id=3", "web"),
    ],
)  # fmt: skip
def test_canonical_form_and_kind(url: str, canonical: str, kind: str) -> None:
    [found] = find_urls(url)
    assert (found.canonical, found.kind) == (canonical, kind)
    assert url_kind(found.canonical) == kind


@pytest.mark.parametrize(
    ("url", "original", "stamp"),
    [
        (
            "https://web.archive.org/web/20230920140200/https://t.me/s/rybar/51411",
            "https://t.me/rybar/51411",
            "20230920140200",
        ),
        (
            "http://web.archive.org/web/20230101000000id_/https://twitter.com/a/status/1?s=20",
            "https://x.com/a/status/1",
            "20230101000000",
        ),
        (
            "https://archive.ph/2023.09.20-140200/https://www.reuters.com/x?utm_source=a",
            "https://www.reuters.com/x",
            "2023.09.20-140200",
        ),
        ("https://archive.today/newest/https://t.me/rybar/1", "https://t.me/rybar/1", "newest"),
    ],
)
def test_archive_urls_are_recognized_as_archives_of_their_original(
    url: str, original: str, stamp: str
) -> None:
    [found] = find_urls(url)
    assert found.archive_of == original
    assert found.archived_at == stamp
    assert found.to_json()["archive_of"] == original
    assert archived_original(found.canonical) == (original, stamp)


def test_an_archive_short_link_names_no_original() -> None:
    [found] = find_urls("https://archive.ph/AbCd1")
    assert found.archive_of is None
    assert found.kind == "web"


@pytest.mark.parametrize(
    "text",
    [
        "javascript:alert(1)",
        "https://",
        "ftp://files.example/x",
        "https://exa mple/",
        "http://[::1",
    ],
)
def test_things_that_are_not_web_urls_are_skipped(text: str) -> None:
    assert [f for f in find_urls(text) if f.canonical.startswith("ftp")] == []
    for found in find_urls(text):
        assert found.canonical.startswith(("http://", "https://"))


def test_hostile_text_is_read_in_linear_time() -> None:
    text = "https://a" + " dot a" * 5000 + "/x " + "(" * 10000 + "https://b.example/" + ")" * 10000
    found = find_urls(text)
    assert found[0].url.startswith("https://a.a.a.")
    assert found[-1].url.startswith("https://b.example/")
