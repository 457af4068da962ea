"""Files uploaded to the REST API: one way in for every import and form upload, within the import limits.

The request's declared length is checked before its multipart body is parsed, so an oversized upload is
refused before Werkzeug spools it to disk; a table is then read row by row from the spooled upload.
"""
from __future__ import annotations

from pathlib import Path

from flask import current_app, request
from werkzeug.datastructures import FileStorage

from server.adapters.tabular import ImportLimits, Table, check_xlsx_size, read_table_stream
from server.errors import BadRequest, FileTooLarge

MULTIPART_FRAMING = 64 * 1024  # boundaries and part headers around the file


def uploaded_table(required: tuple[str, ...]) -> Table:
    """The rows of the CSV or XLSX file uploaded as multipart field ``file``."""
    upload, limits = _upload()
    return read_table_stream(upload.stream, upload.filename or "", required, limits)


def uploaded_workbook() -> tuple[bytes, str]:
    """An uploaded XLSForm: its bytes and name, after an XLSX's unpacked size is checked."""
    upload, limits = _upload()
    if Path(upload.filename or "").suffix.lower() == ".xlsx":
        check_xlsx_size(upload.stream, limits)
    return upload.read(), upload.filename or ""


def _upload() -> tuple[FileStorage, ImportLimits]:
    limits = ImportLimits.from_config(current_app.config)
    if (request.content_length or 0) > limits.max_bytes + MULTIPART_FRAMING:
        raise FileTooLarge(what="文件大小", what_en="file size", limit=f"{limits.max_bytes:,}",
                           unit=" 字节", unit_en=" bytes")
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise BadRequest(reason="请以 multipart 字段 file 上传文件 / upload the file as multipart field 'file'")
    return upload, limits
