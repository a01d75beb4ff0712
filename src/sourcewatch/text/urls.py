"""Canonical URLs: one spelling per resource, so that the same post cited twice is one.

``canonical_url`` is used for every URL the project stores or compares (item
URLs, citation footnotes). General rules, for any site:

* scheme and host are lower-cased, a trailing dot on the host is dropped, and
  the default port (80 for http, 443 for https) is removed;
* an empty path becomes ``/``;
* tracking parameters are removed (``utm_*``, ``fbclid``, ``gclid`` and the
  few others in ``TRACKING_PARAMS``; on YouTube also ``feature``, ``si``, ``pp``,
  ``ab_channel``, see ``SITE_TRACKING_PARAMS``); every other parameter keeps its
  place and spelling, because the order of a query can change what a server
  answers. A YouTube ``t`` (the cited moment) is kept. The list is ours and short
  on purpose: courlan was measured and does not fit citation identity (its strict
  mode drops every parameter it does not know, YouTube's ``v`` included; its
  tracker pattern drops any key containing ``uid``, ``source``, ``ref`` or
  ``session``, which can name the cited article). The raw URL is always stored
  beside the canonical one (``FoundUrl.raw``/``url``, ``citation.url``, ``item.url``);
* a text fragment (``#:~:text=...``, a browser highlight) is removed; any
  other fragment (``#Mali20230913``, a section anchor) is kept, because the
  analyst cited that section.

Platform rules:

* X: twitter.com, www/mobile/m.twitter.com and www/mobile.x.com become
  ``https://x.com``. A post becomes ``https://x.com/<handle>/status/<id>``
  with the handle lower-cased (X handles are case-insensitive), whatever
  followed the id (``/photo/1``, ``/video/1``, ``/analytics``) and whatever
  the query said (``?s=20``, ``?t=...``, ``?ref_src=...``). A post known only
  by id (``/i/web/status/<id>``, ``/i/status/<id>``) becomes
  ``https://x.com/i/web/status/<id>``. Old ``/#!/handle/status/id`` links work.
* Telegram: t.me, telegram.me (with or without www) become ``https://t.me``;
  a post in the web preview (``/s/<channel>/<id>``) becomes
  ``https://t.me/<channel>/<id>``, its query (``?single``, ``?embed=1``)
  dropped except ``comment``, which names another message. A channel becomes
  ``https://t.me/<channel>``, unless its preview page has a query
  (``/s/<channel>?before=...`` is another page). Channel names are
  lower-cased: Telegram usernames are case-insensitive.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from sourcewatch.errors import InvalidInput

TRACKING_PARAMS = frozenset(
    {
        "fbclid",
        "gclid",
        "dclid",
        "gbraid",
        "wbraid",
        "msclkid",
        "yclid",
        "mc_cid",
        "mc_eid",
        "igshid",
        "igsh",
        "mibextid",
        "mkt_tok",
        "_hsenc",
        "_hsmi",
    }
)
_YOUTUBE_TRACKING = frozenset({"feature", "si", "pp", "ab_channel", "embeds_referring_euri"})
# Parameters that track only on these hosts (elsewhere "feature" or "si" may mean something).
SITE_TRACKING_PARAMS: dict[str, frozenset[str]] = {
    host: _YOUTUBE_TRACKING
    for host in (
        "youtube.com",
        "www.youtube.com",
        "m.youtube.com",
        "music.youtube.com",
        "youtu.be",
    )
} | {
    host: frozenset({"_r", "_t", "is_from_webapp", "sender_device", "is_copy_url"})
    for host in ("tiktok.com", "www.tiktok.com", "vm.tiktok.com")
}
DEFAULT_PORTS = {"http": 80, "https": 443}

X_HOSTS = frozenset(
    {
        "x.com",
        "www.x.com",
        "mobile.x.com",
        "twitter.com",
        "www.twitter.com",
        "mobile.twitter.com",
        "m.twitter.com",
    }
)
TELEGRAM_HOSTS = frozenset({"t.me", "www.t.me", "telegram.me", "www.telegram.me"})

# Legacy accounts have handles longer than today's 15 characters; be lenient.
_HANDLE = r"[A-Za-z0-9_]{1,50}"
_STATUS_ID = r"[0-9]{1,25}"
_X_STATUS = re.compile(rf"^/(?P<handle>{_HANDLE})/status(?:es)?/(?P<id>{_STATUS_ID})(?:/.*)?$")
_X_ID_ONLY = re.compile(rf"^/i/(?:web/)?status(?:es)?/(?P<id>{_STATUS_ID})(?:/.*)?$")
_X_PROFILE = re.compile(rf"^/(?P<handle>{_HANDLE})/?$")
# First path segments that are X pages, not accounts.
_X_RESERVED = frozenset(
    {"i", "home", "search", "explore", "hashtag", "intent", "share", "settings", "messages"}
    | {"notifications", "compose", "login", "logout", "signup", "tos", "privacy"}
)
# Parameters the share button adds to X links; they never change the page.
_X_SHARE_PARAMS = frozenset({"s", "t", "ref_src", "ref_url", "src"})
_TG_NAME = r"[A-Za-z0-9_]{1,64}"
_TG_POST = re.compile(rf"^/(?:s/)?(?P<channel>{_TG_NAME})/(?P<id>[0-9]{{1,12}})/?$")
_TG_PRIVATE_POST = re.compile(r"^/c/(?P<chat>[0-9]{1,20})/(?P<id>[0-9]{1,12})/?$")
_TG_CHANNEL = re.compile(rf"^/(?:s/)?(?P<channel>{_TG_NAME})/?$")
_BAD_HOST_CHARS = re.compile(r"[\s<>\"{}|\\^`/?#@]")
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:")


class InvalidURL(InvalidInput):
    """A URL that cannot be read (no host, bad port, impossible host characters)."""


@functools.lru_cache(maxsize=8192)  # ~3 MB at most: a poll re-reads its own URLs
def canonical_url(url: str) -> str:
    """The one spelling of ``url`` (see the module docstring for the rules).

    A URL without a scheme (``x.com/a/status/1``) is read as https. A URL that
    is not http(s) is returned stripped but otherwise unchanged. Raises
    ``InvalidURL`` (a ``ValueError``) for an empty string or an unparsable URL (bad
    port, unbalanced IPv6 brackets).
    """
    text = url.strip()
    if not text:
        raise InvalidURL("empty URL")
    if not _SCHEME.match(text):
        text = "https://" + text.lstrip("/")
    parts = urlsplit(text)
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        return text
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise InvalidURL(f"URL has no host: {url!r}")
    if _BAD_HOST_CHARS.search(host):
        raise InvalidURL(f"URL host has characters no host can have: {url!r}")
    try:
        port = parts.port
    except ValueError as exc:  # a non-numeric or out-of-range port
        raise InvalidURL(f"URL has a bad port: {url!r}") from exc
    if host in X_HOSTS:
        return _canonical_x(parts.path, parts.query, parts.fragment)
    if host in TELEGRAM_HOSTS:
        return _canonical_telegram(parts.path, parts.query, parts.fragment)
    netloc = f"[{host}]" if ":" in host else host
    if parts.username is not None:
        credentials = parts.username + (f":{parts.password}" if parts.password is not None else "")
        netloc = f"{credentials}@{netloc}"
    if port is not None and port != DEFAULT_PORTS[scheme]:
        netloc = f"{netloc}:{port}"
    path = parts.path or "/"
    fragment = _drop_text_directive(parts.fragment)
    site = SITE_TRACKING_PARAMS.get(host.lower(), frozenset())
    query = _filter_query(parts.query, lambda key: _is_tracking(key) or key in site)
    return urlunsplit((scheme, netloc, path, query, fragment))


def x_status_id(url: str) -> str | None:
    """The post id of an X/Twitter post URL (any spelling), else None."""
    match = _x_post_match(url)
    return match.group("id") if match else None


def x_status_handle(url: str) -> str | None:
    """The lower-cased handle in an X post URL, or None (not a post, or id-only link)."""
    match = _x_post_match(url)
    if match is None or "handle" not in match.groupdict():
        return None
    return match.group("handle").lower()


def x_post_url(post_id: str, handle: str | None = None) -> str:
    """The canonical URL of an X post from its id and, where known, its author's handle."""
    if handle:
        return f"https://x.com/{handle.lstrip('@').lower()}/status/{post_id}"
    return f"https://x.com/i/web/status/{post_id}"


def telegram_post(url: str) -> tuple[str, int] | None:
    """``(channel, message id)`` of a public Telegram post URL, else None.

    The channel is lower-cased. Private-chat links (``t.me/c/<chat>/<id>``)
    name no public channel and give None.
    """
    try:
        canonical = canonical_url(url)
    except ValueError:
        return None
    parts = urlsplit(canonical)
    if parts.netloc != "t.me":
        return None
    match = _TG_POST.match(parts.path)
    if match is None or match.group("channel") in {"s", "c"}:
        return None
    return match.group("channel"), int(match.group("id"))


def _x_post_match(url: str) -> re.Match[str] | None:
    try:
        canonical = canonical_url(url)
    except ValueError:
        return None
    parts = urlsplit(canonical)
    if parts.netloc != "x.com":
        return None
    id_only = _X_ID_ONLY.match(parts.path)
    if id_only:
        return id_only
    status = _X_STATUS.match(parts.path)
    if status and status.group("handle").lower() in _X_RESERVED:
        return None
    return status


def _canonical_x(path: str, query: str, fragment: str) -> str:
    # twitter.com/#!/handle/status/1 was the pre-2012 spelling of every link.
    if path in ("", "/") and fragment.startswith("!/"):
        path, query, fragment = fragment[1:], "", ""
    id_only = _X_ID_ONLY.match(path)
    if id_only:
        return x_post_url(id_only.group("id"))
    status = _X_STATUS.match(path)
    if status and status.group("handle").lower() not in _X_RESERVED:
        return x_post_url(status.group("id"), status.group("handle"))
    profile = _X_PROFILE.match(path)
    if profile and profile.group("handle").lower() not in _X_RESERVED:
        path = "/" + profile.group("handle").lower()
    kept = _filter_query(query, lambda key: key in _X_SHARE_PARAMS or _is_tracking(key))
    fragment = _drop_text_directive(fragment)
    return urlunsplit(("https", "x.com", path or "/", kept, fragment))


def _canonical_telegram(path: str, query: str, fragment: str) -> str:
    post = _TG_POST.match(path)
    if post and post.group("channel").lower() not in {"s", "c"}:
        kept = [(k, v) for k, v in parse_qsl(query, keep_blank_values=True) if k == "comment"]
        channel = post.group("channel").lower()
        return urlunsplit(("https", "t.me", f"/{channel}/{post.group('id')}", urlencode(kept), ""))
    private = _TG_PRIVATE_POST.match(path)
    if private:
        return f"https://t.me/c/{private.group('chat')}/{private.group('id')}"
    channel = _TG_CHANNEL.match(path)
    if channel and channel.group("channel").lower() not in {"s", "c"}:
        name = channel.group("channel").lower()
        preview = _strip_tracking(query)
        # A preview page with ?before=/?q= is a different page of the channel: keep it.
        return f"https://t.me/s/{name}?{preview}" if preview else f"https://t.me/{name}"
    fragment = _drop_text_directive(fragment)
    return urlunsplit(("https", "t.me", path or "/", _strip_tracking(query), fragment))


def _is_tracking(key: str) -> bool:
    lowered = key.lower()
    return lowered.startswith("utm_") or lowered in TRACKING_PARAMS


def _strip_tracking(query: str) -> str:
    return _filter_query(query, _is_tracking)


def _filter_query(query: str, drop: Callable[[str], bool]) -> str:
    # Filter the raw pairs rather than parse_qsl/urlencode them, so that kept
    # parameters keep their exact encoding (%20 vs +, bare keys without "=").
    kept = [pair for pair in query.split("&") if pair and not drop(pair.partition("=")[0])]
    return "&".join(kept)


def _drop_text_directive(fragment: str) -> str:
    # "#section:~:text=foo" keeps "section"; "#:~:text=foo" keeps nothing.
    return fragment.split(":~:", 1)[0]
