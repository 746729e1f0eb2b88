"""The one rule for text cells in every CSV and XLSX the service hands out.

A spreadsheet treats a cell starting with = + - @ (or a tab or carriage return before one) as a
formula, so text a person typed could run as a formula on someone else's computer (OWASP "CSV
injection"; ASVS 1.2.10). Every download passes each cell through `neutralise` (CSV) or
`neutralise_sheet` (XLSX), which both decide by `looks_like_formula`:

- CSV: the text gets a leading apostrophe, which spreadsheets read as "this is text".
- XLSX: the cell is stored as a string with Excel's own "quote prefix" flag, so it shows the
  text as typed, stays text when edited, and reads back unchanged (the round-trip spreadsheet
  compares what comes back with what went out).
"""

from __future__ import annotations

from collections.abc import Iterable

TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n")


def looks_like_formula(value) -> bool:
    return isinstance(value, str) and value.startswith(TRIGGERS)


def neutralise(value):
    """A CSV cell: text that a spreadsheet would read as a formula gets a leading apostrophe."""
    if looks_like_formula(value):
        return "'" + value
    return value


def neutralise_row(values: Iterable) -> list:
    return [neutralise(v) for v in values]


def neutralise_cell(cell) -> None:
    """An openpyxl cell (normal or write-only): formula-like text stays text."""
    if looks_like_formula(cell.value):
        cell.data_type = "s"
        cell.quotePrefix = True


def neutralise_sheet(ws) -> None:
    """Every cell of a normal (not write-only) worksheet."""
    for row in ws.iter_rows():
        for cell in row:
            neutralise_cell(cell)


def write_only_row(ws, values: Iterable) -> list:
    """A row for a write-only worksheet (`Workbook(write_only=True)`), its text neutralised."""
    from openpyxl.cell import WriteOnlyCell

    out = []
    for v in values:
        if looks_like_formula(v):
            cell = WriteOnlyCell(ws, value=v)
            neutralise_cell(cell)
            out.append(cell)
        else:
            out.append(v)
    return out
