"""Article extraction, measured on the recorded Reuters page (expected values from
trafilatura's own evaluation set, see tests/fixtures/news/SOURCES.md)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from news_support import ARABIC, LONG, RUSSIAN, article_page, fixture_bytes
from sourcewatch.collectors.formats import ImportContext, ImportFileError
from sourcewatch.collectors.news.article import ArticleError, extract_article
from sourcewatch.collectors.registry import get_format
from sourcewatch.net import decode_body

REUTERS_URL = (
    "https://www.reuters.com/article/us-awards-sag/"
    "parasite-scores-upset-at-sag-awards-boosting-oscar-chances-idUSKBN1ZI0EH"
)


@pytest.fixture(scope="module")
def reuters_html() -> str:
    return decode_body(fixture_bytes("trafilatura__reuters.com.parasite.html"), "text/html").text


def test_reuters_metadata(reuters_html: str) -> None:
    article = extract_article(reuters_html, REUTERS_URL)
    assert article.title == "'Parasite' scores historic upset at SAG awards, boosting Oscar chances"
    assert article.author == "Jill Serjeant"
    assert article.published_at == datetime(2020, 1, 19, 12, 25, 36, tzinfo=UTC)
    assert article.lang == "en"
    assert article.url == "https://www.reuters.com/article/us-awards-sag-idUSKBN1ZI0EH"


@pytest.mark.parametrize(
    "snippet", ["cementing their roles", "Despite an unknown cast,", "Additional reporting by"]
)
def test_reuters_text_keeps_the_article(reuters_html: str, snippet: str) -> None:
    assert snippet in extract_article(reuters_html, REUTERS_URL).text


@pytest.mark.parametrize(
    "boilerplate", ["Related Coverage", "4 Min Read", "The Thomson Reuters Trust Principles"]
)
def test_reuters_text_drops_the_boilerplate(reuters_html: str, boilerplate: str) -> None:
    assert boilerplate not in extract_article(reuters_html, REUTERS_URL).text


@pytest.mark.parametrize(
    ("text", "codec", "lang"), [(ARABIC, "cp1256", "ar"), (RUSSIAN, "cp1251", "ru")]
)
def test_legacy_encoded_page_without_charset_imports_correctly(
    text: str, codec: str, lang: str
) -> None:
    page = article_page(text, [f"{text}. {LONG}", text * 3], lang=lang).encode(codec)
    ctx = ImportContext(source=None, url="http://local.example/a/1", filename="page.html")
    [item] = get_format("html")(page, ctx)
    assert item.title == text and text in item.text
    assert item.lang == lang and item.external_id == "http://local.example/a/1"


def test_html_import_needs_the_url() -> None:
    ctx = ImportContext(source=None, url=None, filename="page.html")
    with pytest.raises(ImportFileError, match=r"page\.html: --format html needs --url"):
        get_format("html")(b"<html><body><p>x</p></body></html>", ctx)


def test_page_without_article_text_is_an_error() -> None:
    with pytest.raises(ArticleError, match="no article text"):
        page = "<html><head><title>t</title></head><body><script>var a=1;</script></body></html>"
        extract_article(page, "http://x.example/")
    with pytest.raises(ArticleError, match="empty page"):
        extract_article("   ", "http://x.example/")
