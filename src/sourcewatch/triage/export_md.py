"""``export --format md``: the write-up in Markdown, grouped by area and day.

Each item has its heading whole (its title, else its text's first line), then one
footnote-ready citation line (``writeup.citation``), the analyst's facts, the text
quoted, and its translation when there is one. Every fetched string is made
terminal-safe and Markdown-escaped: a post cannot inject links, HTML or headings.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sourcewatch.text.sanitize import terminal_safe
from sourcewatch.triage.writeup import by_area_and_day, citation_parts, heading, translation


def markdown(rows: list[dict[str, Any]]) -> Iterator[str]:
    yield f"# Triage export ({len(rows)} items)\n\n"
    for area, days in by_area_and_day(rows):
        yield f"## {_md_escape(area)}\n\n"
        for day, items in days:
            yield f"### {day}\n\n"
            for row in items:
                yield from _item(row)


def _item(row: dict[str, Any]) -> Iterator[str]:
    yield f"#### {_md_escape(heading(row))}\n\n"
    cite = "; ".join(
        f"<{text}>" if is_url else _md_escape(text) for is_url, text in citation_parts(row)
    )
    yield f"- **Cite:** {cite}.\n"
    yield f"- **Status:** {row['status']} (priority {row['priority']})\n"
    others = ", ".join(row["areas"][1:])
    if others:
        yield f"- **Also in:** {_md_escape(others)}\n"
    if row["entities"]:
        yield f"- **Entities:** {_md_escape(', '.join(row['entities']))}\n"
    if row["tags"]:
        yield f"- **Tags:** {_md_escape(', '.join(row['tags']))}\n"
    if row.get("source_state"):
        yield f"- **At the source:** {row['source_state']}\n"
    if row["note"]:
        yield f"- **Note:** {_md_escape(terminal_safe(row['note'], keep_newlines=False))}\n"
    yield f"\n{_quote(str(row['text'] or ''))}\n\n"
    translated = translation(row)
    if translated:
        label, text = translated
        yield f"*{_md_escape(label)}:*\n\n{_quote(text)}\n\n"


def _quote(text: str) -> str:
    return "\n".join(f"> {_md_escape(line)}" for line in terminal_safe(text).splitlines())


def _md_escape(text: str) -> str:
    return "".join("\\" + ch if ch in "\\`*_[]<>#|" else ch for ch in text)
