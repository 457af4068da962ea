"""Reading tables of rows from CSV (stdlib) and XLSX (openpyxl) files.

Rows come back as dicts keyed by the lower-cased, stripped header; line numbers
count the header as line 1, as a spreadsheet user sees them.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import BinaryIO

from openpyxl import load_workbook

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
    reader = csv.reader(io.StringIO(_decode(data), newline=""))
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
