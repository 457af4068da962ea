"""Station records and staff lists imported from a file, by admins and county supervisors, in their scope.

  POST /api/v1/stations/import          stations file (CSV/XLSX): creates or updates station records
  POST /api/v1/stations/staff/import    staff file: the file becomes the staff list of each station it names
  POST /api/v1/stations/<code>/plaque-link   a stolen or defaced plaque: revoke its link, issue a new one

Both are all or nothing: bad rows answer 400.2 listing every one (``details.problems``). The
compliance of a station (GET /stations/<code>/compliance) lives with the indicators.
"""
from __future__ import annotations

from dataclasses import asdict

from flask import request

from server.api import bp
from server.api.auth import authenticated, current_user
from server.api.schemas import PlaqueLinkRequestSchema, PlaqueLinkSchema, load
from server.api.uploads import uploaded_table
from server.domain.access import Role
from server.domain.station_rows import STAFF_REQUIRED_COLUMNS, STATION_REQUIRED_COLUMNS
from server.errors import NotFound
from server.queries import places as place_queries
from server.services import accounts, station_import
from server.services.feedback import reissue_station_link
from server.services.plaques import feedback_url

RECORD_KEEPERS = (Role.ADMIN, Role.COUNTY)
LINK_KEEPERS = (Role.ADMIN, Role.COUNTY, Role.STATION)


@bp.post("/stations/import")
@authenticated(*RECORD_KEEPERS)
def import_stations():
    table = uploaded_table(STATION_REQUIRED_COLUMNS)
    summary = station_import.import_stations(table.rows, accounts.scope_of(current_user()), table.first_line)
    return asdict(summary)


@bp.post("/stations/staff/import")
@authenticated(*RECORD_KEEPERS)
def import_staff():
    table = uploaded_table(STAFF_REQUIRED_COLUMNS)
    summary = station_import.import_staff(table.rows, accounts.scope_of(current_user()), table.first_line)
    return asdict(summary)



@bp.post("/stations/<code>/plaque-link")
@authenticated(*LINK_KEEPERS)
def reissue_plaque_link(code: str):
    station = place_queries.get_station_by_code(code)
    if station is None or not accounts.scope_of(current_user()).contains_path(station.township.path):
        raise NotFound(what="社工站", key=code)
    body = load(PlaqueLinkRequestSchema(), request.get_json(silent=True) or {})
    link = reissue_station_link(station, body["reason"])
    return PlaqueLinkSchema().dump({"station": station.code, "url": feedback_url(station),
                                    "issued_at": link.created_at}), 201
