"""One rule for every spreadsheet the product writes: text stays text, never a formula.

A citizen's comment such as `=HYPERLINK("http://…")` must not run when a leader opens the file.

>>> csv_text('=HYPERLINK("http://x")')
'\\'=HYPERLINK("http://x")'
>>> as_text(workbook)        # every cell openpyxl would write as a formula becomes a string cell
>>> ws.append(text_cells(ws, ["=1+1", 5]))   # the same for a write-only (streaming) sheet
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

__all__ = ["FORMULA_STARTS", "as_text", "csv_text", "text_cells"]

# Characters that make Excel, LibreOffice or Google Sheets read a cell as a formula (OWASP CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_text(value: str) -> str:
    """Free text for a CSV cell: a leading quote before a formula start; no control characters."""
    value = ILLEGAL_CHARACTERS_RE.sub("", value)
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def as_text(workbook: Any) -> Any:
    """Turn every would-be formula cell of an (ordinary) openpyxl workbook into a text cell; returns it.

    The product writes no formulas of its own, so any "formula" is text that happens to start with "=".
    """
    for ws in workbook.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if cell.data_type == "f":
                    cell.data_type = "s"
    return workbook


def text_cells(ws: Any, values: Iterable[Any]) -> list[Any]:
    """A row for a write-only sheet: strings that look like formulas go in as text cells."""
    out: list[Any] = []
    for value in values:
        if isinstance(value, str) and value.startswith("="):
            cell = WriteOnlyCell(ws, value=value)
            cell.data_type = "s"
            out.append(cell)
        else:
            out.append(value)
    return out
