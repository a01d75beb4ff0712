"""``export --format xlsx``: the export as an Excel sheet (openpyxl).

One row per entry with the CSV's columns (``export.columns``: a translation column
appears when rows have one). Cells are plain UTF-8 strings: a value starting with
``=`` is stored as text, never as a formula; characters XML cannot hold are dropped;
cells whose text reads right to left (Arabic script first) are right-aligned with a
right-to-left reading order.
"""

from __future__ import annotations

import io
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from sourcewatch.triage.export import cell_text, columns
from sourcewatch.triage.writeup import is_rtl

MAX_CELL_CHARS = 32_767  # Excel's limit per cell
RTL = Alignment(horizontal="right", readingOrder=2, vertical="top", wrap_text=True)
LTR = Alignment(vertical="top", wrap_text=True)
WIDE = {"text": 80, "title": 40, "translation": 80, "canonical_url": 40, "note": 40}


def xlsx_bytes(rows: list[dict[str, Any]]) -> bytes:
    """The export as the bytes of an .xlsx workbook."""
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "items"
    names = columns(rows)
    sheet.append(list(names))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append([_cell(row.get(name)) for name in names])
        for cell in sheet[sheet.max_row]:
            cell.data_type = "s" if isinstance(cell.value, str) else cell.data_type
            cell.alignment = RTL if isinstance(cell.value, str) and is_rtl(cell.value) else LTR
    for index, name in enumerate(names, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = WIDE.get(name, 16)
    sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _cell(value: Any) -> str | int | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    text = ILLEGAL_CHARACTERS_RE.sub("", cell_text(value))
    if len(text) > MAX_CELL_CHARS:
        text = text[: MAX_CELL_CHARS - 1] + "\u2026"
    return text or None
