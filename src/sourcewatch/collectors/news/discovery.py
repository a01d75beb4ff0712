"""Find what to poll for a ``web`` source: its feed, else its news sitemap, else its sitemap.

Order: ``<link rel="alternate">`` feeds on the home page (RSS before Atom, as
declared), then ``Sitemap:`` lines of robots.txt (Google News sitemaps first),
then ``/sitemap.xml``. Every URL here comes from fetched content, so it is
fetched with the private-address guard on. Each answer is read within a claim on the
daemon's byte budget, and the home page and the sitemaps are parsed in the parse worker
(a hostile 20 MiB home page parsed by lxml in the daemon cost it ~400 MB).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import ParamSpec, TypeVar
from urllib.parse import urljoin, urlsplit

import lxml.etree
import lxml.html

from sourcewatch.collectors.base import CollectContext, CollectorError
from sourcewatch.collectors.bytebudget import Claim
from sourcewatch.collectors.cpupool import BudgetBusy, ParserCrashed
from sourcewatch.collectors.news.feedparse import FeedFormatError, parse_feed
from sourcewatch.collectors.webfetch import fetch_for
from sourcewatch.net import Fetched, decode_body
from sourcewatch.records import RawCapture
from sourcewatch.sources.config import SourceConfig

FEED_TYPES = ("application/rss+xml", "application/atom+xml", "application/rdf+xml")
P = ParamSpec("P")
T = TypeVar("T")
_SITEMAP_LINE = re.compile(r"^\s*sitemap\s*:\s*(\S+)", re.I | re.M)


@dataclass
class Discovery:
    url: str
    how: str  # "link", "robots-sitemap", "sitemap"
    captures: list[RawCapture] = field(default_factory=list)


def feed_links(html: str, base_url: str) -> list[str]:
    """Feed URLs a page declares with ``<link rel="alternate" type=...>``, in page order."""
    try:
        tree = lxml.html.document_fromstring(html)
    except (lxml.etree.ParserError, ValueError):
        return []
    found: list[str] = []
    for link in tree.iter("link"):
        rel = (link.get("rel") or "").lower().split()
        media_type = (link.get("type") or "").lower().split(";")[0].strip()
        href = (link.get("href") or "").strip()
        if "alternate" in rel and media_type in FEED_TYPES and href:
            absolute = urljoin(base_url, href)
            if absolute.startswith(("http://", "https://")) and absolute not in found:
                found.append(absolute)
    return found


def feed_links_from(body: bytes, content_type: str | None, base_url: str) -> list[str]:
    """:func:`feed_links` of a fetched body, decoded here (in the parse worker)."""
    return feed_links(decode_body(body, content_type).text, base_url)


def robots_sitemaps(robots_txt: str, base_url: str) -> list[str]:
    """``Sitemap:`` URLs from robots.txt, Google News sitemaps first."""
    urls = [urljoin(base_url, m.group(1)) for m in _SITEMAP_LINE.finditer(robots_txt)]
    urls = [u for u in dict.fromkeys(urls) if u.startswith(("http://", "https://"))]
    return sorted(urls, key=lambda u: 0 if "news" in u.lower() else 1)


async def discover(source: SourceConfig, ctx: CollectContext) -> Discovery:
    """Find the feed or sitemap of the site at ``source.target``; CollectorError if none."""
    site = source.target
    captures: list[RawCapture] = []
    async with ctx.cpu.claim() as claim:
        home = await fetch_for(source, ctx, site, what="home page", claim=claim)
        captures.append(home.capture)
        links: list[str] = []
        if home.ok:
            content_type = home.headers.get("content-type")
            links = await _in_worker(
                source, ctx, claim, home, feed_links_from, home.body, content_type, home.url
            )
    if links:
        return Discovery(links[0], "link", captures)
    root = f"{urlsplit(home.url).scheme}://{urlsplit(home.url).netloc}/"
    candidates: list[tuple[str, str]] = []
    async with ctx.cpu.claim() as claim:
        robots_url = urljoin(root, "/robots.txt")
        robots = await fetch_for(source, ctx, robots_url, what="robots.txt", claim=claim)
        if robots.ok:
            captures.append(robots.capture)
            candidates = [(u, "robots-sitemap") for u in robots_sitemaps(robots.text(), root)]
    candidates.append((urljoin(root, "/sitemap.xml"), "sitemap"))
    tried: list[str] = []
    for url, how in candidates[:4]:
        async with ctx.cpu.claim() as claim:
            fetched = await fetch_for(
                source, ctx, url, what="sitemap", from_content=True, claim=claim
            )
            tried.append(f"{url} (HTTP {fetched.status})")
            if not fetched.ok:
                continue
            try:
                await _in_worker(
                    source,
                    ctx,
                    claim,
                    fetched,
                    parse_feed,
                    fetched.body,
                    url=fetched.url,
                    content_type=fetched.headers.get("content-type"),
                )
            except FeedFormatError as exc:
                tried[-1] = f"{url} ({exc})"
                continue
        captures.append(fetched.capture)
        return Discovery(url, how, captures)
    raise CollectorError(
        source.name,
        f"no feed found for {site}: home page HTTP {home.status} declares no "
        f"<link rel=alternate> feed; tried {'; '.join(tried)}. "
        'Set kind = "feed" with the feed URL as target.',
    )


async def _in_worker(
    source: SourceConfig,
    ctx: CollectContext,
    claim: Claim,
    fetched: Fetched,
    fn: Callable[P, T],
    /,
    *args: P.args,
    **kwargs: P.kwargs,
) -> T:
    """``fn(*args)`` on ``fetched``'s body in the parse worker, within ``claim``; a crash
    or a budget that stayed full is this poll's error."""
    try:
        return await ctx.cpu.run_claimed(claim, len(fetched.body), fn, *args, **kwargs)
    except (ParserCrashed, BudgetBusy) as exc:
        raise CollectorError(source.name, f"{fetched.url}: {exc}") from exc
