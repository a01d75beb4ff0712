"""Article extraction, measured on the recorded Reuters page (expected values from
trafilatura's own evaluation set, see tests/fixtures/news/SOURCES.md)."""

from __future__ import annotations

import gzip
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

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


# --- issue #18: pages of the article-extraction-benchmark (tests/fixtures/articles) ---

ARTICLES = Path(__file__).parent / "fixtures" / "articles"


def benchmark_page(key: str) -> str:
    return gzip.decompress((ARTICLES / f"aeb__{key}.html.gz").read_bytes()).decode("utf-8")


@pytest.mark.parametrize(
    ("key", "url", "first_words"),
    [
        (  # WSJ: the body sits in a "subType-unsubscribed" container
            "042bb7b5fedab6eac7db576522b89b93904c237d344bcbe14a6a5ab7f7335856",
            "https://www.wsj.com/articles/google-stadia-microsoft-xcloud-apple-arcade-so-many-"
            "ways-to-playand-pay-11574168580",
            "Gaming used to be so simple.",
        ),
        (  # Gizmodo: the body sits in a wrapper whose class names mention the newsletter
            "5fa5679de56c43edf70685762c2d1f2de296432ae53aa46e075b552fee17cab8",
            "https://gizmodo.com/so-this-is-the-future-of-apple-innovation-1839927963",
            "The big iFixit teardown is done, and the results are in.",
        ),
    ],
)
def test_class_names_do_not_remove_the_article_body(key: str, url: str, first_words: str) -> None:
    article = extract_article(benchmark_page(key), url)
    assert first_words in article.text


USA_TODAY = "c58aa507c4deebd660f69905f9abb8f96d935f6e7210f597ed4cd32b3f39f7f7"
USA_TODAY_URL = (
    "https://www.usatoday.com/story/news/politics/2019/11/19/"
    "prison-guards-arrested-alleged-failure-check-jeffrey-epstein/4082679002/"
)


def test_a_placeholder_date_is_rejected_for_the_next_plausible_one() -> None:
    article = extract_article(
        benchmark_page(USA_TODAY), USA_TODAY_URL, now=datetime(2019, 11, 21, tzinfo=UTC)
    )
    assert article.published_at is not None
    assert article.published_at.date().isoformat() == "2019-11-19"  # not 0001-01-01
    assert article.published_from in ("trafilatura", "url")
    assert "Two federal prison officers were charged Tuesday" in article.text


def test_a_future_date_is_not_a_publication_date() -> None:
    page = article_page("Future", [LONG] * 3).replace(
        "2023-09-17T09:30:00Z", "2099-01-01T00:00:00Z"
    )
    article = extract_article(
        page, "https://example.org/2023/09/20/story", now=datetime(2023, 9, 21, tzinfo=UTC)
    )
    assert article.published_at == datetime(2023, 9, 20, tzinfo=UTC)
    assert article.published_from in ("trafilatura", "url")  # both read the URL's day


def test_an_html_import_in_utf16_without_bom_reads_as_in_utf8(reuters_html: str) -> None:
    # Same class as the UTF-16 feeds: appendix F's signature applies to saved pages too.
    wide = reuters_html.encode("utf-16-le")
    ctx = ImportContext(source=None, url=REUTERS_URL, filename="reuters.html")
    [item] = get_format("html")(wide, ctx)
    assert item.text == extract_article(reuters_html, REUTERS_URL).text


def test_the_daemon_does_not_load_trafilatura_it_extracts_in_its_worker() -> None:
    """trafilatura, htmldate, justext and courlan are ~15 MB of an idle daemon (issue 19):
    they load with the first extraction, in the parse worker."""
    probe = (
        "import sys, sourcewatch.daemon.loop, sourcewatch.collectors.news.feed;"
        "print(sorted(m for m in ('trafilatura', 'htmldate', 'justext') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
    page = article_page("Report", [LONG])
    assert LONG[:40] in extract_article(page, "https://example.org/a").text  # it still extracts
