"""Station records and staff lists imported from a file, by admins and county supervisors, in their scope.

  POST /api/v1/stations/import          stations file (CSV/XLSX): creates or updates station records
  POST /api/v1/stations/staff/import    staff file: the file becomes the staff list of each station it names

Both are all or nothing: bad rows answer 400.2 listing every one (``details.problems``). The
compliance of a station (GET /stations/<code>/compliance) lives with the indicators.
"""
from __future__ import annotations

from dataclasses import asdict

from flask import request

from server.adapters.tabular import Table, read_table_stream
from server.api import bp
from server.api.auth import authenticated, current_user
from server.domain.access import Role
from server.domain.station_rows import STAFF_REQUIRED_COLUMNS, STATION_REQUIRED_COLUMNS
from server.errors import BadRequest
from server.services import accounts, station_import

RECORD_KEEPERS = (Role.ADMIN, Role.COUNTY)


@bp.post("/stations/import")
@authenticated(*RECORD_KEEPERS)
def import_stations():
    table = _uploaded_table(STATION_REQUIRED_COLUMNS)
    summary = station_import.import_stations(table.rows, accounts.scope_of(current_user()), table.first_line)
    return asdict(summary)


@bp.post("/stations/staff/import")
@authenticated(*RECORD_KEEPERS)
def import_staff():
    table = _uploaded_table(STAFF_REQUIRED_COLUMNS)
    summary = station_import.import_staff(table.rows, accounts.scope_of(current_user()), table.first_line)
    return asdict(summary)


def _uploaded_table(required: tuple[str, ...]) -> Table:
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise BadRequest(reason="请以 multipart 字段 file 上传文件 / upload the file as multipart field 'file'")
    return read_table_stream(upload.stream, upload.filename, required=required)
