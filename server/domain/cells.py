"""Cells of the spreadsheets people open (CSV, XLSX), made safe to open. Pure.

A spreadsheet runs a cell starting with ``= + - @``, a tab or a carriage return as a formula (and some
importers strip a leading line feed first): OWASP's "CSV Injection". Text from data — a resident's comment,
a name typed into a register — must never become one, so every writer of a file a person opens
(``adapters/export_files.CsvWriter``, ``adapters/tabular.write_workbook`` and ``XlsxStream``) passes each
text cell through ``neutralise``: such text gets a leading apostrophe. Numbers stay numbers.
"""
from __future__ import annotations

from typing import Union

Cell = Union[str, int, float, None]

FORMULA_TRIGGERS = frozenset("=+-@\t\r\n")


def neutralise(cell: Cell) -> Cell:
    """Text a spreadsheet would run as a formula, made inert with a leading apostrophe (OWASP)."""
    if cell.__class__ is str and cell[:1] in FORMULA_TRIGGERS:  # type: ignore[index]
        return "'" + cell  # type: ignore[operator]
    return cell


def cell_text(cell: Cell) -> str:
    """A cell as text, as the csv module writes it: blank for nothing, numbers as Python (and Java) spell them."""
    return "" if cell is None else str(cell)
