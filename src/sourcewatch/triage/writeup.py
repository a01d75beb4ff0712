"""What every write-up format says about an entry, written once: the order (by area,
then by day), an item's heading, its footnote-ready citation line and its translation.

``export_md`` and ``export_docx`` lay these out; they never phrase a citation
themselves, so a change of wording (or the translation ``translate/`` adds to a row)
reaches both.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from datetime import datetime
from itertools import groupby
from typing import Any

from sourcewatch.text.sanitize import terminal_safe

NO_AREA = "no area"
NO_DATE = "date unknown"
Row = dict[str, Any]


def by_area_and_day(rows: Iterable[Row]) -> list[tuple[str, list[tuple[str, list[Row]]]]]:
    """Rows grouped by primary area (alphabetical, "no area" last), then by the day they
    were published (UTC, newest first); within a day, highest priority first."""

    def area(row: Row) -> str:
        return str(row.get("primary_area") or NO_AREA)

    def day(row: Row) -> str:
        stamp = row.get("published_at") or row.get("archived_at")
        return str(stamp)[:10] if stamp else NO_DATE

    ordered = sorted(rows, key=lambda r: (area(r) == NO_AREA, area(r)))
    result = []
    for name, in_area in groupby(ordered, key=area):
        days = sorted(in_area, key=lambda r: (day(r) != NO_DATE, day(r), r["priority"]))
        days.reverse()
        result.append((name, [(d, list(rs)) for d, rs in groupby(days, key=day)]))
    return result


def heading(row: Row) -> str:
    """The item's title, else the first line of its text: whole, never cut mid-word."""
    for candidate in (row.get("title"), *(str(row.get("text") or "").splitlines())):
        line = terminal_safe(candidate, keep_newlines=False) if candidate else ""
        if line:
            return line
    return "(no text)"


def citation(row: Row) -> str:
    """One footnote-ready line: source, author, date in UTC and the source's local time
    (when its zone is known), canonical URL, archived SHA-256 and capture time."""
    return "; ".join(text for _, text in citation_parts(row)) + "."


def citation_parts(row: Row) -> list[tuple[bool, str]]:
    """The citation's parts in order, each with whether it is the URL (a format may
    link it, and must not escape it)."""
    parts = [(False, ", ".join(row.get("sources") or [row["source"]]))]
    if row.get("author"):
        parts.append((False, terminal_safe(str(row["author"]), keep_newlines=False)))
    parts.append((False, _when(row)))
    url = row.get("canonical_url")
    parts.append((True, terminal_safe(str(url), keep_newlines=False)) if url else (False, "no URL"))
    if row.get("archived_sha256"):
        captured = _utc(row.get("archived_at"))
        parts.append((False, f"archived SHA-256 {row['archived_sha256']} (captured {captured})"))
    else:
        parts.append((False, "not archived"))
    return parts


def translation(row: Row) -> tuple[str, str] | None:
    """(label, text) of the row's translation, when the translation step gave one."""
    found = row.get("translation")
    if not found:
        return None
    if isinstance(found, str):  # export_rows' flat fields (translation_fields)
        about = ", ".join(
            str(row[key]) for key in ("translation_engine", "translation_language") if row.get(key)
        )
        label = f"Translation ({about})" if about else "Translation"
        return terminal_safe(label), terminal_safe(found)
    about = ", ".join(str(found[key]) for key in ("engine", "model") if found.get(key))
    languages = "\u2192".join(
        str(found[key]) for key in ("source_language", "target_language") if found.get(key)
    )
    label = "Translation" + (
        f" ({', '.join(filter(None, (about, languages)))})" if about or languages else ""
    )
    return label, terminal_safe(str(found.get("text", "")))


def is_rtl(text: str) -> bool:
    """Whether ``text`` reads right to left: its first strong character is Arabic or
    Hebrew script (what Word and Excel need to be told)."""
    for ch in text:
        direction = unicodedata.bidirectional(ch)
        if direction in ("R", "AL"):
            return True
        if direction == "L":
            return False
    return False


def _when(row: Row) -> str:
    published = row.get("published_at")
    if not published:
        return "publication date unknown"
    text = f"published {_utc(published)}"
    local = row.get("published_local")
    if local:
        moment = datetime.fromisoformat(local)
        text += f" ({moment:%Y-%m-%d %H:%M} {row.get('source_timezone')}, UTC{moment:%z})"
    return text


def _utc(stamp: str | None) -> str:
    if not stamp:
        return "time unknown"
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).strftime("%Y-%m-%d %H:%M UTC")
