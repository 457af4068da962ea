"""Tables in and out: reading rows from CSV (stdlib) and XLSX (openpyxl) files, writing workbooks.

Rows come back as dicts keyed by the lower-cased, stripped header; line numbers
count the header as line 1, as a spreadsheet user sees them. Written text is always
stored as text, never as a formula, whatever it starts with.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
import os
import tempfile
from typing import Any, BinaryIO, Iterator, Sequence

from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from server.adapters.export_files import CHUNK, Cell
from server.errors import BadRequest


@dataclass(frozen=True)
class Table:
    columns: tuple[str, ...]
    rows: list[dict[str, str | None]]
    first_line: int = 2


def read_table(path: str | Path, required: tuple[str, ...]) -> Table:
    path = Path(path)
    if not path.is_file():
        raise BadRequest(reason=f"文件不存在 / no such file: {path}")
    with open(path, "rb") as stream:
        return read_table_stream(stream, path.name, required)


def read_table_stream(stream: BinaryIO, filename: str, required: tuple[str, ...]) -> Table:
    suffix = Path(filename).suffix.lower()
    if suffix == ".xlsx":
        table = _read_xlsx(stream)
    elif suffix == ".csv":
        table = _read_csv(stream.read())
    else:
        raise BadRequest(reason=f"只支持 .csv 或 .xlsx 文件 / only .csv and .xlsx files are supported: {filename}")
    missing = [c for c in required if c not in table.columns]
    if missing:
        raise BadRequest(reason=f"缺少列 / missing column(s): {', '.join(missing)}")
    return table


def _decode(data: bytes) -> str:
    # Excel on Chinese Windows saves CSV as GB18030 unless told otherwise.
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise BadRequest(reason="CSV 文件编码无法识别（请用 UTF-8） / unreadable CSV encoding (use UTF-8)")


def _read_csv(data: bytes) -> Table:
    text = _decode(data)
    if "\x00" in text:  # no register holds one, and PostgreSQL cannot store it: refused before any row is read
        raise BadRequest(reason="文件含有 NUL 字符，不是文本表格 / the file contains a NUL character: not a text table")
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, None)
    if not header:
        raise BadRequest(reason="文件为空 / the file is empty")
    columns = tuple(h.strip().lower() for h in header)
    rows = [dict(zip(columns, (cell.strip() for cell in record))) for record in reader]
    return Table(columns, _drop_trailing_blank(rows))


def _read_xlsx(stream: BinaryIO) -> Table:
    try:
        workbook = load_workbook(io.BytesIO(stream.read()), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a corrupt file
        raise BadRequest(reason=f"无法读取 XLSX 文件 / unreadable XLSX file: {exc}") from exc
    try:
        sheet = workbook.worksheets[0]
        records = sheet.iter_rows(values_only=True)
        header = next(records, None)
        if not header:
            raise BadRequest(reason="文件为空 / the file is empty")
        columns = tuple(str(h).strip().lower() if h is not None else "" for h in header)
        rows = [dict(zip(columns, (_cell(v) for v in record))) for record in records]
    finally:
        workbook.close()
    return Table(columns, _drop_trailing_blank(rows))


def _cell(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # codes typed into Excel come back as floats
    return str(value).strip()


def _drop_trailing_blank(rows: list[dict[str, str | None]]) -> list[dict[str, str | None]]:
    while rows and not any(rows[-1].values()):
        rows.pop()
    return rows


@dataclass(frozen=True)
class Sheet:
    title: str                          # at most 31 characters (Excel's limit)
    rows: Sequence[Sequence[Any]]       # the first row is the header, set in bold
    percent_columns: tuple[int, ...] = ()  # 0-based columns holding rates (0–1) shown as percentages
    widths: tuple[float, ...] = ()


def write_workbook(sheets: Sequence[Sheet], out: BinaryIO) -> None:
    """Write the sheets as one XLSX; strings are stored as text even when they start with '=' (no formula
    ever comes from data), dates as dates, rates with a percentage format."""
    book = Workbook()
    book.remove(book.active)
    bold = Font(bold=True)
    for sheet in sheets:
        page = book.create_sheet(sheet.title[:31])
        for row_index, row in enumerate(sheet.rows, start=1):
            for column_index, value in enumerate(row, start=1):
                cell = page.cell(row=row_index, column=column_index)
                cell.value = _clean(value) if isinstance(value, str) else value
                if isinstance(value, str):
                    cell.data_type = "s"
                elif isinstance(value, float) and column_index - 1 in sheet.percent_columns:
                    cell.number_format = "0.0%"
                elif isinstance(value, date):
                    cell.number_format = "yyyy-mm-dd"
                if row_index == 1:
                    cell.font = bold
        for index, width in enumerate(sheet.widths, start=1):
            page.column_dimensions[get_column_letter(index)].width = width
        page.freeze_panes = "A2"
    book.save(out)



class XlsxStream:
    """A workbook written row by row in openpyxl's write-only mode, which keeps each sheet in a
    temporary file rather than in memory; ``chunks()`` saves it once complete and reads it back."""

    def __init__(self, titles: Sequence[str]) -> None:
        self._book = Workbook(write_only=True)
        self._sheets = [self._book.create_sheet(title) for title in titles]
        self._bold = Font(bold=True)
        self._saved = False

    def header(self, sheet: int, row: Sequence[str]) -> None:
        page = self._sheets[sheet]
        page.freeze_panes = "A2"
        cells = []
        for value in row:
            cell = WriteOnlyCell(page, value=_clean(value))
            cell.font = self._bold
            cells.append(cell)
        page.append(cells)

    def append(self, sheet: int, row: Sequence[Cell]) -> None:
        page = self._sheets[sheet]
        page.append([_text_cell(page, value) if isinstance(value, str) else value for value in row])

    def chunks(self) -> Iterator[bytes]:
        with tempfile.TemporaryFile() as out:
            self._book.save(out)
            self._saved = True
            out.seek(0)
            yield from iter(lambda: out.read(CHUNK), b"")

    def discard(self) -> None:
        """An export abandoned half-way: saving is openpyxl's one public way to remove its sheet files."""
        if not self._saved:
            self._saved = True
            with open(os.devnull, "wb") as nowhere:
                self._book.save(nowhere)


def _clean(text: str) -> str:
    # Control characters are not allowed in XML 1.0; openpyxl refuses them rather than drop them.
    return ILLEGAL_CHARACTERS_RE.sub("", text)


def _text_cell(page, value: str) -> str | WriteOnlyCell:
    value = _clean(value)
    if not value.startswith("="):
        return value
    # openpyxl stores a string starting with '=' as a formula; text from data is never one.
    cell = WriteOnlyCell(page, value=value)
    cell.data_type = "s"
    return cell
