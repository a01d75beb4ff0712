"""Find what to poll for a ``web`` source: its feed, else its news sitemap, else its sitemap.

Order: ``<link rel="alternate">`` feeds on the home page (RSS before Atom, as
declared), then ``Sitemap:`` lines of robots.txt (Google News sitemaps first),
then ``/sitemap.xml``. Every URL here comes from fetched content, so it is
fetched with the private-address guard on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

import lxml.etree
import lxml.html

from sourcewatch.collectors.base import CollectContext, CollectorError
from sourcewatch.collectors.news.feedparse import FeedFormatError, parse_feed
from sourcewatch.collectors.webfetch import fetch_for
from sourcewatch.records import RawCapture
from sourcewatch.sources.config import SourceConfig

FEED_TYPES = ("application/rss+xml", "application/atom+xml", "application/rdf+xml")
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


def robots_sitemaps(robots_txt: str, base_url: str) -> list[str]:
    """``Sitemap:`` URLs from robots.txt, Google News sitemaps first."""
    urls = [urljoin(base_url, m.group(1)) for m in _SITEMAP_LINE.finditer(robots_txt)]
    urls = [u for u in dict.fromkeys(urls) if u.startswith(("http://", "https://"))]
    return sorted(urls, key=lambda u: 0 if "news" in u.lower() else 1)


async def discover(source: SourceConfig, ctx: CollectContext) -> Discovery:
    """Find the feed or sitemap of the site at ``source.target``; CollectorError if none."""
    site = source.target
    captures: list[RawCapture] = []
    home = await fetch_for(source, ctx, site, what="home page")
    captures.append(home.capture)
    if home.ok:
        links = feed_links(home.text(), home.url)
        if links:
            return Discovery(links[0], "link", captures)
    root = f"{urlsplit(home.url).scheme}://{urlsplit(home.url).netloc}/"
    robots = await fetch_for(source, ctx, urljoin(root, "/robots.txt"), what="robots.txt")
    candidates: list[tuple[str, str]] = []
    if robots.ok:
        captures.append(robots.capture)
        candidates = [(u, "robots-sitemap") for u in robots_sitemaps(robots.text(), root)]
    candidates.append((urljoin(root, "/sitemap.xml"), "sitemap"))
    tried: list[str] = []
    for url, how in candidates[:4]:
        fetched = await fetch_for(source, ctx, url, what="sitemap", from_content=True)
        tried.append(f"{url} (HTTP {fetched.status})")
        if not fetched.ok:
            continue
        try:
            parse_feed(
                fetched.body, url=fetched.url, content_type=fetched.headers.get("content-type")
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
