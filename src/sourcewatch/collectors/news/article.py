"""Article extraction: the text, title, author, date and language of a news page.

trafilatura finds the main text, with ``favor_precision=True`` and nothing of our
own removed: a site-independent filter on class-name substrings ("newsletter",
"subscribe") once removed whole article bodies (WSJ's ``subType-unsubscribed``,
Gizmodo's newsletter-named wrappers). ``bench/bench_extraction.py`` measures the
choice on the article-extraction-benchmark (results in ``bench/results/``).
trafilatura parses the page itself (``trafilatura.load_html``): handing it an
``lxml.html`` tree of ours instead loses text on some pages.

Metadata comes first from what the page declares in machine-readable form
(``article:published_time``, JSON-LD ``datePublished``, ``<html lang>``), because
trafilatura's date heuristics prefer the *modified* date on pages such as
Reuters', and analysts cite the publication date. Implausible dates are skipped
in the order :mod:`sourcewatch.collectors.news.dates` states. The same function
backs ``import --format html``.
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import lxml.etree
import lxml.html

from sourcewatch.collectors.formats import ImportContext, ImportFileError
from sourcewatch.collectors.news.dates import first_plausible, plausible, url_date
from sourcewatch.net.decoding import decode_body
from sourcewatch.records import ParsedItem, utcnow
from sourcewatch.text.cut import DEFAULT_MAX_ITEM_TEXT_CHARS, EXTRA_KEY, cut_text

_PUBLISHED_META = (
    "article:published_time",
    "og:article:published_time",
    "datepublished",
    "pubdate",
    "publishdate",
    "dc.date.issued",
    "dc.date",
    "sailthru.date",
    "parsely-pub-date",
)
# A wire story's closing credit ("Additional reporting by ...; Editing by ..."):
# who wrote and checked the story, which an analyst cites. favor_precision drops it
# together with the boilerplate around it; it is put back from the page.
_CREDIT = re.compile(
    r"^\(?\s*(?:additional\s+)?(?:reporting|writing|editing|compiled|research)\s+by\s", re.I
)
_MAX_CREDIT_CHARS = 300
_LANG = re.compile(r"^[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})*$")


class ArticleError(Exception):
    """The page has no extractable article (empty, not HTML, no main text)."""


@dataclass(frozen=True)
class Article:
    url: str  # the page's canonical URL when it declares one, else the fetched URL
    title: str | None
    author: str | None
    published_at: datetime | None
    text: str
    lang: str | None
    # Where published_at came from: "structured", "trafilatura" or "url" (dates.ORDER).
    published_from: str | None = None
    # Set when ``text`` was cut at max_item_text_chars: {"kept_chars", "original_chars"}.
    text_cut: dict[str, Any] | None = None


def extract_article(
    html: str,
    url: str,
    *,
    now: datetime | None = None,
    max_text_chars: int = DEFAULT_MAX_ITEM_TEXT_CHARS,
) -> Article:
    """Extract the article from decoded HTML; ArticleError if there is none.

    ``now`` is the fetch time, the bound for a plausible date (default: the clock). The
    text is cut at ``max_text_chars`` here, in the parse worker, so a giant page's text
    is not carried (and copied) through ingest: see :mod:`sourcewatch.text.cut`.
    """
    # Imported here: ~60 ms that a daemon whose feeds fetch no articles never needs.
    import trafilatura

    if not html.strip():
        raise ArticleError("empty page")
    try:
        tree = trafilatura.load_html(html)
    except (lxml.etree.ParserError, ValueError) as exc:
        raise ArticleError(f"not parseable as HTML: {exc}") from exc
    if tree is None:
        raise ArticleError("not parseable as HTML")
    now = now or utcnow()
    _load_tld_names_once()
    # Read the declared metadata first: trafilatura prunes the tree it is given.
    canonical, declared, lang = _canonical(tree, url), _published(tree, now), _language(tree)
    credits = _credit_lines(tree)
    document = trafilatura.bare_extraction(
        tree,
        url=url,
        with_metadata=True,
        include_comments=False,
        include_tables=True,
        favor_precision=True,
    )
    assert not isinstance(document, dict)  # as_dict=False: a Document or None
    text = (document.text if document is not None else "") or ""
    if not text.strip():
        raise ArticleError("no article text found on the page")
    text = "\n".join([text.strip(), *(line for line in credits if line not in text)])
    published, origin = first_plausible(
        [
            ("structured", declared),
            ("trafilatura", _parse_time(document.date if document else None)),
            ("url", url_date(url) or url_date(canonical)),
        ],
        now,
    )
    text, cut = cut_text(text.strip(), max_text_chars)
    return Article(
        url=canonical,
        title=_clean(document.title) if document is not None else None,
        author=_clean(document.author) if document is not None else None,
        published_at=published,
        text=text,
        lang=lang,
        published_from=origin,
        text_cut=cut,
    )


def extract_article_from(
    body: bytes,
    content_type: str | None,
    url: str,
    *,
    max_text_chars: int = DEFAULT_MAX_ITEM_TEXT_CHARS,
) -> Article:
    """:func:`extract_article` of a fetched body, decoded here (in the parse worker)."""
    html = decode_body(body, content_type).text
    return extract_article(html, url, max_text_chars=max_text_chars)


def article_item(article: Article, *, external_id: str | None = None) -> ParsedItem:
    extra: dict[str, Any] = {}
    if article.published_from:
        extra["published_from"] = article.published_from
    if article.text_cut:
        extra[EXTRA_KEY] = article.text_cut
    return ParsedItem(
        external_id=external_id or article.url,
        url=article.url,
        author=article.author,
        published_at=article.published_at,
        text=article.text,
        title=article.title,
        lang=article.lang,
        extra=extra,
    )


def parse_html(data: bytes, ctx: ImportContext) -> list[ParsedItem]:
    """``import --format html --url URL``: one saved article page -> one item."""
    if not ctx.url:
        raise ImportFileError(f"{ctx.filename}: --format html needs --url (the page's address)")
    html = decode_body(data, "text/html").text
    try:
        article = extract_article(html, ctx.url)
    except ArticleError as exc:
        raise ImportFileError(f"{ctx.filename}: {exc}") from exc
    return [article_item(article)]


def _credit_lines(tree: lxml.html.HtmlElement) -> list[str]:
    """The page's closing credit paragraphs ("Reporting by ..."), whitespace folded."""
    found: list[str] = []
    for paragraph in tree.iter("p"):
        line = " ".join(paragraph.text_content().split())
        if len(line) <= _MAX_CREDIT_CHARS and _CREDIT.match(line) and line not in found:
            found.append(line)
    return found[:3]


def _published(tree: lxml.html.HtmlElement, now: datetime) -> datetime | None:
    """The first plausible publication date the page declares for machines: ``<meta>``
    (most specific name first), then JSON-LD ``datePublished``, then ``<time datetime>``.
    A placeholder (``0001-01-01``) in one place does not hide a real date in the next."""
    declared: dict[str, datetime] = {}
    for meta in tree.iter("meta"):
        key = (meta.get("property") or meta.get("name") or meta.get("itemprop") or "").lower()
        parsed = _parse_time(meta.get("content")) if key in _PUBLISHED_META else None
        if parsed is not None and plausible(parsed, now):
            declared.setdefault(key, parsed)
    for key in _PUBLISHED_META:  # most specific first, whatever the order in the page
        if key in declared:
            return declared[key]
    for script in tree.xpath("//script[@type='application/ld+json']"):
        found = _ld_date(script.text_content(), now)
        if found is not None:
            return found
    for time_el in tree.xpath("//time[@datetime]")[:1]:
        parsed = _parse_time(time_el.get("datetime"))
        return parsed if plausible(parsed, now) else None
    return None


def _ld_date(raw: str, now: datetime) -> datetime | None:
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):
        return None
    stack = [data]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            parsed = _parse_time(node.get("datePublished"))
            if parsed is not None and plausible(parsed, now):
                return parsed
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return None


def _parse_time(value: object) -> datetime | None:
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    if parsed.year < 2:  # 0001-01-01 and the like: no UTC conversion (it would overflow)
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def _language(tree: lxml.html.HtmlElement) -> str | None:
    candidates: list[str | None] = [tree.get("lang"), tree.get("xml:lang")]
    for meta in tree.iter("meta"):
        key = (meta.get("http-equiv") or meta.get("property") or "").lower()
        if key in ("content-language", "og:locale"):
            candidates.append(meta.get("content"))
    for value in candidates:
        if value and _LANG.match(value.strip()):
            return value.strip().replace("_", "-").split("-")[0].lower()
    return None


def _canonical(tree: lxml.html.HtmlElement, url: str) -> str:
    for link in tree.xpath("//link[@rel='canonical'][@href]")[:1]:
        href: str = link.get("href", "").strip()
        if href.startswith(("http://", "https://")):
            return href
    return url


def _clean(value: str | None) -> str | None:
    return " ".join(value.split()) or None if value else None


_TLD_NAMES = threading.Lock()


def _load_tld_names_once() -> None:
    """Load the public-suffix list that trafilatura's metadata reaches (through courlan
    and ``tld``) under a lock. ``tld`` parses it on first use with no lock of its own,
    so extractions starting together in worker threads each parsed all of it: six
    times over, about a second of the GIL, in a 100-URL ``cite``."""
    from tld.utils import get_tld_names  # with trafilatura, which uses it

    with _TLD_NAMES:
        get_tld_names()
