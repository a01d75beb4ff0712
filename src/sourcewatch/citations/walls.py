"""Pages served with HTTP 200 that are not the cited page: login walls, geoblocks, challenges.

A 200 is not proof that the post is there. X, Facebook and Instagram answer a logged-out
reader with a login page (often after a redirect), Cloudflare answers a bot with a
"Just a moment..." challenge, Telegram answers with "This channel can't be displayed",
and some sites say "not available in your country". Archiving such a page as ``live``
would cite a login form; calling it ``deleted`` would be false. These pages are
``blocked``, with the reason.

Detection is deliberately conservative: each rule needs a structural sign, never a word
in the prose. A login page counts only on the platform that serves it (its host, its
login path or its login title); a challenge needs Cloudflare's own markup; a geoblock
needs the words in the page's title or main heading *and* a page too short to be an
article about geoblocking. An ordinary article that says "log in" stays ``live``.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from lxml import etree
from lxml import html as lxml_html

# A geoblock notice is a short page; an article quoting one is not.
GEOBLOCK_MAX_TEXT_CHARS = 3000

_CHALLENGE_TITLES = re.compile(
    r"^(?:just a moment(?:\.{0,3}|\u2026)|attention required!? \| cloudflare)$", re.I
)
_CHALLENGE_MARKUP = (
    "cf-chl",
    "cf_chl_opt",
    "_cf_chl",
    "challenges.cloudflare.com",
    "/cdn-cgi/challenge-platform/",
    "cf-browser-verification",
)
# (hosts, login paths, login page titles) per platform; a host matches with subdomains.
_LOGIN_WALLS: tuple[tuple[str, tuple[str, ...], tuple[str, ...], re.Pattern[str]], ...] = (
    (
        "X",
        ("x.com", "twitter.com"),
        ("/i/flow/login", "/login", "/i/flow/signup"),
        re.compile(r"^(?:log ?in (?:to|on) (?:x|twitter)\b|login on (?:x|twitter)\b)", re.I),
    ),
    (
        "Facebook",
        ("facebook.com", "fb.com"),
        ("/login", "/login.php", "/login/", "/checkpoint"),
        re.compile(
            r"^(?:log ?in(?:to| to)? facebook|facebook\s*[-\u2013|]\s*log in or sign up)", re.I
        ),
    ),
    (
        "Instagram",
        ("instagram.com",),
        ("/accounts/login", "/challenge"),
        re.compile(r"^(?:login|log in)\s*[\u2022\u00b7|-]\s*instagram$", re.I),
    ),
)
_TELEGRAM_HOSTS = ("t.me", "telegram.me", "telegram.dog")
# t.me's own notices (tgme_page_description / the embed's message error) for content
# Telegram withholds: blocked channels, posts hidden in some countries, private chats.
_TELEGRAM_WITHHELD = re.compile(
    r"\bcan(?:'|\u2019|no)t be displayed\b|"
    r"\bthis (?:channel|group|post|message) is blocked because\b|"
    r"\b(?:unavailable|not available) in your country\b|"
    r"\b(?:this|the) (?:channel|group|chat) is private\b",
    re.I,
)
_TELEGRAM_NOTICE_CLASSES = frozenset({"tgme_page_description", "tgme_widget_message_error"})
_TELEGRAM_NOT_FOUND = re.compile(r"\b(?:post|message|channel) not found\b", re.I)
_GEOBLOCK = re.compile(
    r"\b(?:not|isn(?:'|\u2019)t|is not) available in your (?:country|region|location|area)\b|"
    r"\bunavailable in your (?:country|region|location|area)\b|"
    r"\bblocked in your (?:country|region)\b|"
    r"\bnot available in (?:the|your) (?:eu|european union|uk)\b",
    re.I,
)


def wall_reason(requested: str, final: str, html: str) -> str | None:
    """Why the 2xx HTML page fetched for ``requested`` (landing at ``final`` after
    redirects) is not the cited page, or None when it may be."""
    page = _Page.read(html)
    if page is None:
        return None
    return (
        _challenge(page)
        or _login_wall(requested, final, page)
        or _telegram_withheld(final, page)
        or _geoblock(page)
    )


def telegram_error_status(error: str) -> str:
    """What a t.me embed's error text means: ``deleted`` for "Post not found", ``blocked``
    for content Telegram withholds, ``unreachable`` for anything else (unknown words
    prove nothing)."""
    if _TELEGRAM_NOT_FOUND.search(error):
        return "deleted"
    if _TELEGRAM_WITHHELD.search(error):
        return "blocked"
    return "unreachable"


class _Page:
    """What the rules read: the title, the main headings, the text's size, the raw markup."""

    def __init__(
        self, title: str, headings: list[str], notices: list[str], text_chars: int, markup: str
    ) -> None:
        self.title = title
        self.headings = headings
        self.notices = notices  # t.me's notice blocks
        self.text_chars = text_chars
        self.markup = markup

    @classmethod
    def read(cls, html: str) -> _Page | None:
        try:
            # An HtmlElement (lxml-stubs types document_fromstring's result as a bare _Element).
            root: lxml_html.HtmlElement = lxml_html.document_fromstring(html)
        except (ValueError, etree.ParserError):
            return None
        title = " ".join((root.findtext(".//title") or "").split())
        elements = [e for e in root.iter() if isinstance(e, lxml_html.HtmlElement)]
        headings = [_words(e) for e in elements if e.tag in ("h1", "h2")][:3]
        notices = [
            _words(e)
            for e in elements
            if _TELEGRAM_NOTICE_CLASSES & set((e.get("class") or "").split())
        ][:5]
        for bad in [e for e in elements if e.tag in ("script", "style", "noscript")]:
            bad.drop_tree()
        text_chars = len(" ".join(root.text_content().split()))
        return cls(title, headings, notices, text_chars, html)


def _words(element: lxml_html.HtmlElement) -> str:
    return " ".join(element.text_content().split())


def _host_matches(url: str, hosts: tuple[str, ...]) -> bool:
    host = (urlsplit(url).hostname or "").lower()
    return any(host == h or host.endswith("." + h) for h in hosts)


def _challenge(page: _Page) -> str | None:
    if not _CHALLENGE_TITLES.match(page.title):
        return None
    marker = next((m for m in _CHALLENGE_MARKUP if m in page.markup), None)
    if marker is None:
        return None
    return f"Cloudflare challenge page (title {page.title!r}, {marker!r} in the page)"


def _login_wall(requested: str, final: str, page: _Page) -> str | None:
    for platform, hosts, paths, titles in _LOGIN_WALLS:
        if not _host_matches(final, hosts):
            continue
        path = urlsplit(final).path.rstrip("/") or "/"
        asked = urlsplit(requested).path.rstrip("/") or "/"
        if path != asked and any(path == p.rstrip("/") or path.startswith(p) for p in paths):
            return f"{platform} login wall (redirected to {path})"
        if titles.match(page.title):
            return f"{platform} login wall (page title {page.title!r})"
    return None


def _telegram_withheld(final: str, page: _Page) -> str | None:
    if not _host_matches(final, _TELEGRAM_HOSTS) or "tgme_widget_message_text" in page.markup:
        return None  # a page that shows posts is not withheld
    for notice in page.notices:
        if _TELEGRAM_WITHHELD.search(notice):
            return f"Telegram withholds it: {notice[:200]!r}"
    return None


def _geoblock(page: _Page) -> str | None:
    if page.text_chars > GEOBLOCK_MAX_TEXT_CHARS:
        return None
    for place in (page.title, *page.headings):
        if _GEOBLOCK.search(place):
            return f"geoblocked: {place[:200]!r}"
    return None
