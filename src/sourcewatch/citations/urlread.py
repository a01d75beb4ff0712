"""Read URLs out of messy footnote text: refang, split, trim, canonicalize, classify.

Footnotes are written by people and pasted from everywhere. What this module
undoes, in order:

* *defanging*: ``hxxps://``, ``example[.]com``, ``example(.)com``,
  ``example[dot]com``, ``example(dot)com``, and the spelled-out
  ``shaam dot org`` / ``www dot x dot com``. A spelled-out `` dot `` is only
  read as a dot inside something that already looks like a host (after
  ``://`` or ``www``, or when a path follows), so prose stays prose;
* *separators*: several URLs in one footnote, separated by whitespace, ``;``,
  ``,`` or ``and`` (a ``;``/``,`` directly followed by another URL splits too);
* *wrapping*: ``<...>``, quotes, and trailing punctuation. A closing
  parenthesis is kept when it belongs to the URL: either balanced inside it
  (``Foo_(bar)``) or not opened right before the URL (``...it)`` at the end of
  a ``#:~:text=`` fragment), and dropped when the URL was written ``(url)``.

``raw`` is always the exact footnote text the URL was read from.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from sourcewatch.text.urls import canonical_url, telegram_post, x_status_id

URL_KINDS = ("telegram", "x", "jihadology", "web")

_FANGS = re.compile(r"\[\.\]|\(\.\)|\{\.\}|\[dot\]|\(dot\)|\{dot\}", re.I)
_HXXP = re.compile(r"\bhxxp(s?)(?=\[?:\]?//)", re.I)
_BRACKET_COLON = re.compile(r"\[:\]//")
_LABEL = r"[A-Za-z0-9\-]+"
# " dot " inside a URL: after "scheme://label(.label)*" or "www".
_DOT_IN_HOST = re.compile(
    rf"((?:[A-Za-z][A-Za-z0-9+.\-]*://(?:{_LABEL}\.)*{_LABEL})|\bwww(?:\.{_LABEL})*)"
    rf"\s+dot\s+(?={_LABEL})",
    re.I,
)
# " dot " in a bare host followed by a path ("shaam dot org/news").
_DOT_BARE = re.compile(rf"\b({_LABEL})\s+dot\s+(?=(?:{_LABEL}\.)*[A-Za-z]{{2,24}}/)", re.I)
_FOLLOWING_DOT = re.compile(rf"{_LABEL}(\s+dot\s+)(?={_LABEL})", re.I)
_CANDIDATE = re.compile(
    r"(?:[A-Za-z][A-Za-z0-9+.\-]*://|\bwww\.|\b(?:[A-Za-z0-9\-]+\.)+[A-Za-z]{2,24}/)[^\s<>\"\u201c\u201d]*",
    re.I,
)
_SPLIT = re.compile(r"[;,](?=(?:https?://|www\.))", re.I)
_TRAILING = ".,;:!?'\"\u2019\u201d\u00bb*"
_CLOSERS = {")": "(", "]": "[", "}": "{", ">": "<"}
_WAYBACK = re.compile(r"^/web/(?P<stamp>[0-9]{1,14})[a-z_]*/(?P<url>.+)$", re.I)
_ARCHIVE_TODAY_HOSTS = frozenset(
    {"archive.today", "archive.ph", "archive.is", "archive.li", "archive.vn", "archive.md"}
    | {"archive.fo"}
)
_ARCHIVE_TODAY = re.compile(r"^/(?P<stamp>[0-9.\-]{8,20}|newest|oldest)/(?P<url>.+)$", re.I)
_JIHADOLOGY = frozenset({"jihadology.net", "www.jihadology.net"})


@dataclass(frozen=True)
class FoundUrl:
    """One URL read from a footnote: the text as written, the refanged URL, its one spelling."""

    raw: str
    url: str
    canonical: str
    kind: str
    archive_of: str | None = None  # a Wayback / archive.today URL: the original's canonical URL
    archived_at: str | None = None  # the archive's timestamp, as the archive URL gives it

    def to_json(self) -> dict[str, str]:
        data = {"raw": self.raw, "url": self.url, "canonical": self.canonical, "kind": self.kind}
        if self.archive_of:
            data["archive_of"] = self.archive_of
            if self.archived_at:
                data["archived_at"] = self.archived_at
        return data


def refang(text: str) -> str:
    """``text`` with every defanged URL spelling turned back into a URL."""
    return _Refanged(text).text


def find_urls(text: str) -> list[FoundUrl]:
    """Every URL in ``text`` in order (repeats included), with its raw spelling.

    A candidate that cannot be a URL (no valid host after refanging) is skipped.
    """
    refanged = _Refanged(text)
    found: list[FoundUrl] = []
    for match in _CANDIDATE.finditer(refanged.text):
        for start, end in _pieces(refanged.text, match.start(), match.end()):
            url = refanged.text[start:end]
            if "://" not in url:
                url = "https://" + url
            try:
                canonical = canonical_url(url)
            except ValueError:
                continue
            if urlsplit(canonical).scheme not in ("http", "https"):
                continue
            raw = text[refanged.raw_index(start) : refanged.raw_index(end)]
            found.append(_classified(raw.strip(), url, canonical))
    return found


def url_kind(canonical: str) -> str:
    """telegram, x, jihadology or web."""
    if telegram_post(canonical) is not None or urlsplit(canonical).hostname == "t.me":
        return "telegram"
    if x_status_id(canonical) is not None or urlsplit(canonical).hostname == "x.com":
        return "x"
    if (urlsplit(canonical).hostname or "") in _JIHADOLOGY:
        return "jihadology"
    return "web"


def archived_original(canonical: str) -> tuple[str, str] | None:
    """(original canonical URL, archive timestamp) for a Wayback Machine or archive.today URL."""
    parts = urlsplit(canonical)
    host = (parts.hostname or "").removeprefix("www.")
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    if host == "web.archive.org":
        match = _WAYBACK.match(path)
    elif host in _ARCHIVE_TODAY_HOSTS:
        match = _ARCHIVE_TODAY.match(path)
    else:
        return None
    if match is None:
        return None
    original = match.group("url")
    if re.match(r"^https?:/[^/]", original):  # archives collapse "//" to "/" at times
        original = original.replace(":/", "://", 1)
    try:
        return canonical_url(original), match.group("stamp")
    except ValueError:
        return None


def _classified(raw: str, url: str, canonical: str) -> FoundUrl:
    archived = archived_original(canonical)
    if archived is not None:
        return FoundUrl(raw, url, canonical, "web", archive_of=archived[0], archived_at=archived[1])
    return FoundUrl(raw, url, canonical, url_kind(canonical))


def _pieces(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Split a candidate at ``;``/``,`` glued to the next URL, then trim each piece."""
    bounds = [start] + [start + m.start() + 1 for m in _SPLIT.finditer(text[start:end])] + [end + 1]
    pieces = []
    for piece_start, piece_end in itertools.pairwise(bounds):
        trimmed = _trim(text, piece_start, piece_end - 1)
        if trimmed is not None:
            pieces.append(trimmed)
    return pieces


def _trim(text: str, start: int, end: int) -> tuple[int, int] | None:
    before = text[max(0, start - 500) : start]
    inside_parens = before.count("(") > before.count(")")
    while end > start:
        last = text[end - 1]
        if last in _TRAILING:
            end -= 1
            continue
        opener = _CLOSERS.get(last)
        if opener is None:
            break
        body = text[start : end - 1]
        balanced = body.count(opener) > body.count(last)
        if balanced or (last == ")" and not inside_parens):
            break  # it belongs to the URL
        end -= 1
    if end <= start or "." not in text[start:end]:
        return None
    return start, end


class _Refanged:
    """The refanged text, and where each of its characters came from in the raw text."""

    def __init__(self, raw: str) -> None:
        edits: list[tuple[int, int, str]] = []
        for pattern, replacement in ((_FANGS, "."), (_BRACKET_COLON, "://")):
            edits += [(m.start(), m.end(), replacement) for m in pattern.finditer(raw)]
        edits += [(m.start(), m.end(), f"http{m.group(1)}") for m in _HXXP.finditer(raw)]
        edits += self._spelled_dots(raw)
        edits.sort()
        parts: list[str] = []
        index: list[int] = []
        position = 0
        for start, end, replacement in edits:
            if start < position:
                continue  # overlapping spellings: the first one wins
            parts.append(raw[position:start])
            index.extend(range(position, start))
            parts.append(replacement)
            index.extend([start] * len(replacement))
            position = end
        parts.append(raw[position:])
        index.extend(range(position, len(raw) + 1))
        self.text = "".join(parts)
        self._index = index

    def raw_index(self, refanged_index: int) -> int:
        if refanged_index >= len(self.text):
            return self._index[-1]
        return self._index[refanged_index]

    @staticmethod
    def _spelled_dots(raw: str) -> list[tuple[int, int, str]]:
        # Find " dot " runs on a copy where each found one is already a dot, so that
        # "www dot x dot com" resolves left to right; record spans on the raw text.
        edits = []
        for pattern in (_DOT_IN_HOST, _DOT_BARE):
            for match in pattern.finditer(raw):
                edits.append((match.end(1), match.end(), "."))
        return _chained(raw, edits)


def _chained(raw: str, edits: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """Add the later dots of ``www dot a dot com``: a label after a found dot may be a host too."""
    found = {start: (start, end, r) for start, end, r in edits}
    pending = [end for _start, end, _r in found.values()]
    while pending:
        follow = _FOLLOWING_DOT.match(raw, pending.pop())
        if follow and follow.start(1) not in found:
            found[follow.start(1)] = (follow.start(1), follow.end(1), ".")
            pending.append(follow.end(1))
    return sorted(found.values())
