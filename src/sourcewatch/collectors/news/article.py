"""Article extraction: the text, title, author, date and language of a news page.

trafilatura finds the main text; metadata comes first from what the page
declares in machine-readable form (``article:published_time``, JSON-LD
``datePublished``, ``<html lang>``), because trafilatura's date heuristics
prefer the *modified* date on pages such as Reuters', and analysts cite the
publication date. The same function backs ``import --format html``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime

import lxml.etree
import lxml.html
import trafilatura

from sourcewatch.collectors.formats import ImportContext, ImportFileError
from sourcewatch.net.decoding import decode_body
from sourcewatch.records import ParsedItem

# Editorial boilerplate inside article bodies that trafilatura keeps: trust badges,
# newsletter boxes, share bars. Matched on lower-cased class names, site-independent.
_BOILERPLATE_CLASS_FRAGMENTS = (
    "trustbadge",
    "trust-badge",
    "newsletter",
    "most-read",
    "mostread",
    "subscribe",
    "social-share",
    "share-bar",
)
_LOWER_CLASS = "translate(@class,'ABCDEFGHIJKLMNOPQRSTUVWXYZ','abcdefghijklmnopqrstuvwxyz')"
_PRUNE_XPATH = [
    "//*["
    + " or ".join(f"contains({_LOWER_CLASS},'{f}')" for f in _BOILERPLATE_CLASS_FRAGMENTS)
    + "]"
]
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


def extract_article(html: str, url: str) -> Article:
    """Extract the article from decoded HTML; ArticleError if there is none."""
    if not html.strip():
        raise ArticleError("empty page")
    try:
        tree = lxml.html.document_fromstring(html)
    except (lxml.etree.ParserError, ValueError) as exc:
        raise ArticleError(f"not parseable as HTML: {exc}") from exc
    # Read the declared metadata first: trafilatura prunes the tree it is given.
    canonical, published, lang = _canonical(tree, url), _published(tree), _language(tree)
    document = trafilatura.bare_extraction(
        tree,
        url=url,
        with_metadata=True,
        include_comments=False,
        include_tables=True,
        prune_xpath=_PRUNE_XPATH,
    )
    assert not isinstance(document, dict)  # as_dict=False: a Document or None
    text = (document.text if document is not None else "") or ""
    if not text.strip():
        raise ArticleError("no article text found on the page")
    return Article(
        url=canonical,
        title=_clean(document.title) if document is not None else None,
        author=_clean(document.author) if document is not None else None,
        published_at=published or _parse_time(document.date if document else None),
        text=text.strip(),
        lang=lang,
    )


def article_item(article: Article, *, external_id: str | None = None) -> ParsedItem:
    return ParsedItem(
        external_id=external_id or article.url,
        url=article.url,
        author=article.author,
        published_at=article.published_at,
        text=article.text,
        title=article.title,
        lang=article.lang,
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


def _published(tree: lxml.html.HtmlElement) -> datetime | None:
    declared: dict[str, datetime] = {}
    for meta in tree.iter("meta"):
        key = (meta.get("property") or meta.get("name") or meta.get("itemprop") or "").lower()
        parsed = _parse_time(meta.get("content")) if key in _PUBLISHED_META else None
        if parsed is not None:
            declared.setdefault(key, parsed)
    for key in _PUBLISHED_META:  # most specific first, whatever the order in the page
        if key in declared:
            return declared[key]
    for script in tree.xpath("//script[@type='application/ld+json']"):
        found = _ld_date(script.text_content())
        if found is not None:
            return found
    for time_el in tree.xpath("//time[@datetime]")[:1]:
        return _parse_time(time_el.get("datetime"))
    return None


def _ld_date(raw: str) -> datetime | None:
    try:
        data = json.loads(raw)
    except ValueError:
        return None
    stack = [data]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            parsed = _parse_time(node.get("datePublished"))
            if parsed is not None:
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
