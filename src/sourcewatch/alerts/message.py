"""What an alert says: one entry, a digest grouped per area, a test message.

Text from a source is hostile: escape sequences go (``terminal_safe``), HTML and
Markdown/Slack markup are reduced to plain text, and links in it are shown defanged
(``hxxps://example[.]org/...``) so no chat service previews, and nobody fetches, them
by accident. The item's own URL, the archive hash and ``sourcewatch show ID`` follow.
"""

from __future__ import annotations

import html
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sourcewatch.text.sanitize import terminal_safe

EXCERPT_LINES = 4
EXCERPT_CHARS = 400
DIGEST_MAX_ENTRIES = 100  # the rest is counted, and waits in the queue
_TAG = re.compile(r"<[^>]{0,2000}>")
_MD_LINK = re.compile(r"!?\[([^\]\n]{0,500})\]\(([^)\s]{1,2000})\)")
_SLACK_LINK = re.compile(r"<(https?://[^|>\s]{1,2000})\|([^>\n]{0,500})>")
_MARKUP_CHARS = re.compile(r"[*_~`]+")  # emphasis and code marks
_URL = re.compile(r"\b(?:https?|ftp)://[^\s<>\"']+", re.IGNORECASE)
_SPACES = re.compile(r"[ \t]+")


@dataclass(frozen=True)
class EntryView:
    """One queue entry as an alert shows it."""

    item_id: int
    revision: int
    source: str
    priority: int
    areas: Sequence[str]
    names: Sequence[str]  # matched forms as written
    entities: Sequence[str]
    rules: Sequence[str]
    at: datetime | None  # published (else first seen)
    title: str | None
    text: str
    url: str | None
    sha256: str | None  # newest archived capture the item was read from
    # A machine translation of this revision, if one is stored: (label, title, text).
    translation: tuple[str, str | None, str] | None = None


@dataclass(frozen=True)
class Message:
    title: str
    body: str


def defang(url: str) -> str:
    scheme, _, rest = url.partition("://")
    host, slash, path = rest.partition("/")
    return f"{scheme.lower().replace('t', 'x', 2)}://{host.replace('.', '[.]')}{slash}{path}"


def _mark_url(match: re.Match[str]) -> str:
    url = match.group()
    trimmed = url.rstrip(".,;:!?)]}")
    return "\0" + trimmed + "\0" + url[len(trimmed) :]


def plain_text(text: str | None) -> str:
    """Source text reduced to plain lines: no escapes, no markup, links defanged."""
    text = _SLACK_LINK.sub(lambda m: f"{m.group(2)} ({m.group(1)})", text or "")
    text = _MD_LINK.sub(lambda m: f"{m.group(1)} ({m.group(2)})", text)
    text = html.unescape(_TAG.sub(" ", text))
    text = text.replace("<", "\u2039").replace(">", "\u203a")  # no tag survives any renderer
    text = terminal_safe(text)  # after unescaping, which can bring controls back
    parts = _URL.sub(_mark_url, text.replace("\0", "")).split("\0")  # odd parts: URLs
    text = "".join(defang(p) if i % 2 else _MARKUP_CHARS.sub(" ", p) for i, p in enumerate(parts))
    return "\n".join(_SPACES.sub(" ", line).strip() for line in text.split("\n"))


def excerpt(title: str | None, text: str) -> str:
    lines = [line for line in plain_text(text).split("\n") if line]
    if title:
        lines.insert(0, plain_text(title).replace("\n", " "))
    short = "\n".join(lines[:EXCERPT_LINES])
    if len(short) > EXCERPT_CHARS:
        short = short[:EXCERPT_CHARS].rstrip() + " ..."
    elif len(lines) > EXCERPT_LINES:
        short += "\n..."
    return short


def _when(at: datetime | None) -> str:
    return at.strftime("%Y-%m-%d %H:%M UTC") if at else "time unknown"


def _matched(entry: EntryView) -> str:
    names = ", ".join(plain_text(n).replace("\n", " ") for n in entry.names)
    parts = []
    if entry.entities:
        parts.append(f"{names or '-'} [{', '.join(entry.entities)}]")
    if entry.rules:
        parts.append("rules " + ", ".join(entry.rules))
    return "; ".join(parts) or "nothing (source queues every item)"


def _translation_lines(entry: EntryView) -> list[str]:
    """The translation under the original, labelled as a machine translation."""
    if entry.translation is None:
        return []
    label, title, text = entry.translation
    return ["", f"Machine translation ({plain_text(label)}):", excerpt(title, text)]


def entry_message(entry: EntryView, alert: str, *, replay: bool = False) -> Message:
    edited = f" (edit, revision {entry.revision})" if entry.revision > 1 else ""
    lines = [
        f"Source: {entry.source}{edited}",
        f"Time: {_when(entry.at)}",
        f"Priority: {entry.priority}   Areas: {', '.join(entry.areas) or '-'}",
        f"Matched: {_matched(entry)}",
        "",
        excerpt(entry.title, entry.text),
        *_translation_lines(entry),
        "",
        f"URL: {defang(entry.url) if entry.url else '-'}",
        f"Archive sha256: {entry.sha256 or '-'}",
        f"Open: sourcewatch show {entry.item_id}",
        f"Alert: {alert} / item {entry.item_id} revision {entry.revision}",
    ]
    first = ", ".join(entry.entities or entry.rules) or "queued item"
    prefix = "[replay] " if replay else ""
    return Message(f"{prefix}sourcewatch: {first} in {entry.source}", "\n".join(lines))


def digest_message(entries: Sequence[EntryView], alert: str, *, reason: str) -> Message:
    """New entries grouped per area (each under its primary area, stored first: see
    matching.areas), highest priority first."""
    by_area: dict[str, list[EntryView]] = defaultdict(list)
    for entry in entries:
        by_area[entry.areas[0] if entry.areas else "(no area)"].append(entry)  # primary first
    groups = sorted(by_area.items(), key=lambda kv: (-max(e.priority for e in kv[1]), kv[0]))
    lines = [f"{len(entries)} new queue entries ({reason})", ""]
    shown = 0
    for area, members in groups:
        members.sort(key=lambda e: (-e.priority, e.item_id))
        lines.append(f"== {area} ({len(members)}) ==")
        for entry in members:
            if shown >= DIGEST_MAX_ENTRIES:
                break
            shown += 1
            first_line = excerpt(entry.title, entry.text).split("\n", 1)[0][:160]
            lines.append(
                f"[{entry.priority}] {entry.source}, {_when(entry.at)}: {_matched(entry)}"
                f" | {first_line} | sourcewatch show {entry.item_id}"
                f" | sha256 {(entry.sha256 or '-')[:16]}"
            )
        lines.append("")
    if shown < len(entries):
        lines.append(f"... and {len(entries) - shown} more: sourcewatch queue")
    return Message(f"sourcewatch digest ({alert}): {len(entries)} entries", "\n".join(lines))


def test_message(alert: str, now: datetime) -> Message:
    return Message(
        f"sourcewatch: test of alert channel {alert}",
        f"This is a test message from sourcewatch to the channel {alert!r}, sent "
        f"{_when(now)}. If you read this, alerts on this channel are delivered.",
    )


@dataclass(frozen=True)
class DeletionView:
    """A relevant or cited post deleted at its source, as a deletion alert shows it."""

    item_id: int
    source: str
    url: str | None
    reasons: Sequence[str]  # "marked relevant (entry 3)", "cited in draft.md [4]"
    capture_sha256: str | None  # our newest capture of the post as it was
    captured_at: datetime | None
    deleted_at: datetime
    title: str | None
    text: str


def deletion_message(view: DeletionView, alert: str) -> Message:
    """One message per deleted post, its first line saying it all: what, why it matters,
    and what the citation now stands on."""
    what = defang(view.url) if view.url else f"item {view.item_id} of {view.source}"
    # Our own words and the analyst's report paths: escapes go, underscores stay.
    why = " and ".join(terminal_safe(r).replace("\n", " ") for r in view.reasons) or "watched"
    if view.capture_sha256:
        ours = f"our capture sha256 {view.capture_sha256} at {_when(view.captured_at)}"
    else:
        ours = "no capture of ours holds it"
    lines = [
        f"DELETED: {what} was {why}; {ours}.",
        "",
        f"Source: {view.source}",
        f"Deletion seen: {_when(view.deleted_at)}",
        "Text as we archived it:",
        excerpt(view.title, view.text) or "(no text)",
        "",
        f"Open: sourcewatch show {view.item_id}",
        f"Alert: {alert} / deleted item {view.item_id}",
    ]
    title = f"sourcewatch: DELETED at source: {view.source} item {view.item_id}"
    return Message(title, "\n".join(lines))
