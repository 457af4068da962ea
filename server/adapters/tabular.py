"""Tables in and out: reading rows from CSV (stdlib) and XLSX (openpyxl) files, writing workbooks.

Rows come back as dicts keyed by the lower-cased, stripped header; line numbers
count the header as line 1, as a spreadsheet user sees them; files are read row by row within
``ImportLimits``. Written text is always stored as text, never as a formula, and text a spreadsheet
would run is made inert (``domain/cells.neutralise``).
"""
from __future__ import annotations

import codecs
import csv
import io
import itertools
import os
import struct
import tempfile
import zipfile
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, BinaryIO, Iterator, Mapping, Sequence

from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from server.adapters.export_files import CHUNK, Cell
from server.domain.cells import neutralise
from server.errors import BadRequest, FileTooLarge, LastmeterError


@dataclass(frozen=True)
class Table:
    columns: tuple[str, ...]
    rows: list[dict[str, str | None]]
    first_line: int = 2


@dataclass(frozen=True)
class ImportLimits:
    """What an imported file may hold, checked while it is read (never after loading it whole): a file
    within these bounds costs bounded memory and time, whatever it claims or expands to."""

    max_bytes: int = 10_000_000            # the file as uploaded
    max_unpacked_bytes: int = 50_000_000   # an XLSX's parts once unzipped (sheets, shared strings…)
    max_rows: int = 50_000                 # rows under the header, blank rows between them included
    max_columns: int = 100
    max_line_chars: int = 32_767           # one CSV line, or one XLSX cell (Excel's own cell limit)

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> "ImportLimits":
        return cls(int(config["IMPORT_MAX_BYTES"]), int(config["IMPORT_MAX_UNPACKED_BYTES"]),
                   int(config["IMPORT_MAX_ROWS"]), int(config["IMPORT_MAX_COLUMNS"]),
                   int(config["IMPORT_MAX_LINE_CHARS"]))


XLSX_MAX_PARTS = 10_000  # a workbook of one sheet has about a dozen; a zip's directory is read whole


def read_table(path: str | Path, required: tuple[str, ...], limits: ImportLimits = ImportLimits()) -> Table:
    path = Path(path)
    if not path.is_file():
        raise BadRequest(reason=f"文件不存在 / no such file: {path}")
    with open(path, "rb") as stream:
        return read_table_stream(stream, path.name, required, limits)


def read_table_stream(stream: BinaryIO, filename: str, required: tuple[str, ...],
                      limits: ImportLimits = ImportLimits()) -> Table:
    """Rows of a CSV or XLSX file, read row by row within ``limits`` (FileTooLarge past any of them).
    ``stream`` must be seekable: an upload spooled by Werkzeug, or an open file."""
    suffix = Path(filename).suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise BadRequest(reason=f"只支持 .csv 或 .xlsx 文件 / only .csv and .xlsx files are supported: {filename}")
    stream.seek(0, io.SEEK_END)
    size = stream.tell()
    stream.seek(0)
    if size > limits.max_bytes:
        raise _too_large("文件大小", "file size", limits.max_bytes, " 字节", " bytes")
    table = _read_xlsx(stream, limits) if suffix == ".xlsx" else _read_csv(stream, limits)
    missing = [c for c in required if c not in table.columns]
    if missing:
        raise BadRequest(reason=f"缺少列 / missing column(s): {', '.join(missing)}")
    return table


def _encoding_of(stream: BinaryIO) -> str:
    """Excel on Chinese Windows saves CSV as GB18030 unless told otherwise: the first encoding that
    decodes the whole file, checked chunk by chunk."""
    for encoding in ("utf-8-sig", "gb18030"):
        decoder = codecs.getincrementaldecoder(encoding)()
        stream.seek(0)
        try:
            for chunk in iter(lambda: stream.read(CHUNK), b""):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        stream.seek(0)
        return encoding
    raise BadRequest(reason="CSV 文件编码无法识别（请用 UTF-8） / unreadable CSV encoding (use UTF-8)")


def _read_csv(stream: BinaryIO, limits: ImportLimits) -> Table:
    text = io.TextIOWrapper(stream, encoding=_encoding_of(stream), newline="")
    try:
        reader = csv.reader(_bounded_lines(text, limits.max_line_chars))
        header = next(reader, None)
        if not header:
            raise BadRequest(reason="文件为空 / the file is empty")
        columns = _columns(header, limits)
        return Table(columns, _collect(columns, ((cell.strip() for cell in record) for record in reader), limits))
    except csv.Error as exc:  # a quoted cell running past the csv module's own field limit
        raise _too_large("单元格长度", "cell length", limits.max_line_chars, " 个字符", " characters") from exc
    finally:
        text.detach()  # the caller owns the stream


def _bounded_lines(text: io.TextIOWrapper, max_chars: int) -> Iterator[str]:
    """Physical lines, none longer than ``max_chars``, and no NUL (no register holds one, and PostgreSQL
    cannot store it): refused as soon as one is met, before the rest is read."""
    number = 0
    while True:
        line = text.readline(max_chars + 2)  # the line and its CR LF
        if not line:
            return
        number += 1
        if len(line.rstrip("\r\n")) > max_chars:
            raise _too_large(f"第 {number} 行的长度", f"the length of line {number}", max_chars, " 个字符", " characters")
        if "\x00" in line:
            raise BadRequest(reason="文件含有 NUL 字符，不是文本表格 / the file contains a NUL character: not a text table")
        yield line


def _read_xlsx(stream: BinaryIO, limits: ImportLimits) -> Table:
    check_xlsx_size(stream, limits)
    try:
        workbook = load_workbook(stream, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a corrupt file
        raise BadRequest(reason=f"无法读取 XLSX 文件 / unreadable XLSX file: {exc}") from exc
    try:
        # Bounded columns: a sheet whose stated dimension reaches column XFD would pad every row to 16 384.
        records = workbook.worksheets[0].iter_rows(max_col=limits.max_columns + 1, values_only=True)
        header = next(records, None)
        if not header or not any(v is not None for v in header):
            raise BadRequest(reason="文件为空 / the file is empty")
        columns = _columns(tuple(str(h).strip().lower() if h is not None else "" for h in header), limits)
        return Table(columns, _collect(columns, ((_cell(v, limits) for v in record) for record in records), limits))
    except LastmeterError:
        raise
    except Exception as exc:  # read-only sheets are parsed lazily: a damaged sheet (bad XML, bad CRC) fails here
        raise BadRequest(reason=f"无法读取 XLSX 文件 / unreadable XLSX file: {exc}") from exc
    finally:
        workbook.close()


def check_xlsx_size(stream: BinaryIO, limits: ImportLimits) -> None:
    """A zip states each part's unpacked size, and Python's zipfile never inflates a part past it: summing
    the stated sizes bounds the work before any part is inflated. The count of parts is read from the end
    record first, since zipfile reads the whole directory into memory."""
    stream.seek(0, io.SEEK_END)
    stream.seek(max(0, stream.tell() - 65_557))  # the end record and the longest comment a zip may carry
    tail = stream.read()
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or len(tail) < at + 22:
        stream.seek(0)
        return  # not a zip at all: nothing to inflate, and its reader says what is wrong with it
    (parts,) = struct.unpack("<H", tail[at + 10:at + 12])
    if parts > XLSX_MAX_PARTS:  # 0xFFFF (Zip64) included
        raise _too_large("XLSX 的组成部分数", "the number of parts of the XLSX", XLSX_MAX_PARTS)
    stream.seek(0)
    try:
        with zipfile.ZipFile(stream) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, ValueError):
        stream.seek(0)
        return  # a broken zip: likewise left to its reader's message
    if unpacked > limits.max_unpacked_bytes:
        raise _too_large("解压后的大小", "unpacked size", limits.max_unpacked_bytes, " 字节", " bytes")
    stream.seek(0)


def _columns(header: Sequence[str], limits: ImportLimits) -> tuple[str, ...]:
    columns = tuple(h.strip().lower() for h in header)
    while columns and not columns[-1]:
        columns = columns[:-1]  # empty header cells after the last named column
    if len(columns) > limits.max_columns:
        raise _too_large("列数", "the number of columns", limits.max_columns)
    return columns


def _collect(columns: tuple[str, ...], records: Iterator[Iterator[str | None]],
             limits: ImportLimits) -> list[dict[str, str | None]]:
    """Rows as dicts, refusing the file at the first row past ``max_rows`` or wider than ``max_columns``.
    Blank rows cost no memory until a filled row follows them (trailing blank rows of a formatted range
    are dropped), but every row read counts against twice ``max_rows``: a sheet stating a last row of
    a million is refused after that many, not read to its end. Blank rows between filled ones are kept,
    so line numbers stay true."""
    rows: list[dict[str, str | None]] = []
    blank = 0
    for seen, record in enumerate(records, 1):
        cells = list(itertools.islice(record, limits.max_columns + 1))
        if any(cells[limits.max_columns:]):
            raise _too_large("列数", "the number of columns", limits.max_columns)
        row = dict(zip(columns, cells))
        if not any(row.values()):
            blank += 1
            if seen > 2 * limits.max_rows:
                raise _too_large("行数", "the number of rows", limits.max_rows)
            continue
        if len(rows) + blank + 1 > limits.max_rows:
            raise _too_large("行数", "the number of rows", limits.max_rows)
        rows.extend({} for _ in range(blank))
        blank = 0
        rows.append(row)
    return rows


def _too_large(what: str, what_en: str, limit: int, unit: str = "", unit_en: str = "") -> FileTooLarge:
    return FileTooLarge(what=what, what_en=what_en, limit=f"{limit:,}", unit=unit, unit_en=unit_en)


def _cell(value: object, limits: ImportLimits) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # codes typed into Excel come back as floats
    text = str(value).strip()
    if len(text) > limits.max_line_chars:
        raise _too_large("单元格长度", "cell length", limits.max_line_chars, " 个字符", " characters")
    return text


@dataclass(frozen=True)
class Sheet:
    title: str                          # at most 31 characters (Excel's limit)
    rows: Sequence[Sequence[Any]]       # the first row is the header, set in bold
    percent_columns: tuple[int, ...] = ()  # 0-based columns holding rates (0–1) shown as percentages
    widths: tuple[float, ...] = ()


def write_workbook(sheets: Sequence[Sheet], out: BinaryIO) -> None:
    """Write the sheets as one XLSX; strings are stored as text and formula-like text made inert (no formula
    ever comes from data), dates as dates, rates with a percentage format."""
    book = Workbook()
    book.remove(book.active)
    bold = Font(bold=True)
    for sheet in sheets:
        page = book.create_sheet(sheet.title[:31])
        for row_index, row in enumerate(sheet.rows, start=1):
            for column_index, value in enumerate(row, start=1):
                cell = page.cell(row=row_index, column=column_index)
                cell.value = _text(value) if isinstance(value, str) else value
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

    def header(self, sheet: int, *rows: Sequence[str]) -> None:
        """The sheet's header rows, in bold, frozen above the data."""
        page = self._sheets[sheet]
        page.freeze_panes = f"A{len(rows) + 1}"
        for row in rows:
            cells = []
            for value in row:
                cell = WriteOnlyCell(page, value=_text(value))
                cell.font = self._bold
                cells.append(cell)
            page.append(cells)

    def append(self, sheet: int, row: Sequence[Cell]) -> None:
        page = self._sheets[sheet]
        page.append([_text(value) if isinstance(value, str) else value for value in row])

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


def _text(text: str) -> str:
    """Text as a cell holds it: formula-like text made inert (``domain/cells``), and without the control
    characters XML 1.0 cannot hold (openpyxl refuses them rather than drop them)."""
    return neutralise(ILLEGAL_CHARACTERS_RE.sub("", text))  # type: ignore[return-value]



