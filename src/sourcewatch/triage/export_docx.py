"""``export --format docx``: the write-up as a Word document (python-docx).

The same layout as the Markdown (``writeup``): area, day, item heading, the citation
line, facts, the text and its translation. Right-to-left text is told to Word, which
does not guess it: a paragraph whose first strong character is Arabic script gets
``w:bidi`` (right-to-left paragraph), and every run holding Arabic script gets
``w:rtl`` and a complex-script font and language (``w:rFonts w:cs``, ``w:lang
w:bidi``), so Arabic shapes and orders as in the source; Russian needs nothing extra.
"""

from __future__ import annotations

import io
import unicodedata
from typing import TYPE_CHECKING, Any

from docx import Document
from docx.oxml import OxmlElement
from docx.oxml.ns import qn

from sourcewatch.text.sanitize import terminal_safe
from sourcewatch.triage.writeup import by_area_and_day, citation, heading, is_rtl, translation

if TYPE_CHECKING:
    from docx.text.paragraph import Paragraph

COMPLEX_SCRIPT_FONT = "Arial"  # has Arabic glyphs on every system Word runs on
BIDI_LANGUAGE = "ar-SA"
_PPR_AFTER_BIDI = (
    "w:adjustRightInd",
    "w:snapToGrid",
    "w:spacing",
    "w:ind",
    "w:contextualSpacing",
    "w:mirrorIndents",
    "w:suppressOverlap",
    "w:jc",
    "w:textDirection",
    "w:textAlignment",
    "w:textboxTightWrap",
    "w:outlineLvl",
    "w:divId",
    "w:cnfStyle",
    "w:rPr",
    "w:sectPr",
    "w:pPrChange",
)


def docx_bytes(rows: list[dict[str, Any]]) -> bytes:
    """The export as the bytes of a .docx file."""
    document = Document()
    document.add_heading(f"Triage export ({len(rows)} items)", level=0)
    for area, days in by_area_and_day(rows):
        document.add_heading(area, level=1)
        for day, items in days:
            document.add_heading(day, level=2)
            for row in items:
                _item(document, row)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _item(document: Any, row: dict[str, Any]) -> None:
    write(document.add_heading(level=3), heading(row))
    write(document.add_paragraph(), citation(row), label="Cite: ")
    facts = f"{row['status']}, priority {row['priority']}"
    if row["entities"]:
        facts += "; entities " + ", ".join(row["entities"])
    if row["tags"]:
        facts += "; tags " + ", ".join(row["tags"])
    if row.get("source_state"):
        facts += f"; at the source: {row['source_state']}"
    write(document.add_paragraph(), facts, label="Status: ")
    if row["note"]:
        write(document.add_paragraph(), str(row["note"]), label="Note: ")
    for paragraph in terminal_safe(str(row["text"] or "")).split("\n"):
        if paragraph.strip():
            write(document.add_paragraph(style="Quote"), paragraph)
    translated = translation(row)
    if translated:
        label, text = translated
        write(document.add_paragraph(), "", label=f"{label}:")
        for paragraph in text.split("\n"):
            if paragraph.strip():
                write(document.add_paragraph(style="Quote"), paragraph)


def write(paragraph: Paragraph, text: str, *, label: str = "") -> Paragraph:
    """Fill ``paragraph`` with an optional bold label and ``text`` (made safe: XML
    refuses control characters), marking right-to-left text for Word."""
    text = terminal_safe(text)
    if label:
        paragraph.add_run(label).bold = True
    if text:
        run = paragraph.add_run(text)
        if _has_rtl(text):
            _rtl_run(run)
    if is_rtl(text) and not label:
        _rtl_paragraph(paragraph)
    return paragraph


def _has_rtl(text: str) -> bool:
    return any(unicodedata.bidirectional(ch) in ("R", "AL") for ch in text)


def _rtl_paragraph(paragraph: Paragraph) -> None:
    p_pr = paragraph._p.get_or_add_pPr()
    bidi = OxmlElement("w:bidi")
    p_pr.insert_element_before(bidi, *_PPR_AFTER_BIDI)  # type: ignore[arg-type]


def _rtl_run(run: Any) -> None:
    run.font.rtl = True
    run.font.complex_script = True
    r_pr = run._r.get_or_add_rPr()
    fonts = r_pr.get_or_add_rFonts()
    fonts.set(qn("w:cs"), COMPLEX_SCRIPT_FONT)
    lang = r_pr.find(qn("w:lang"))
    if lang is None:
        lang = OxmlElement("w:lang")
        r_pr.append(lang)  # w:lang comes last among the run properties set here
    lang.set(qn("w:bidi"), BIDI_LANGUAGE)
