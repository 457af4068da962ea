"""The volunteer ledger (docs/volunteers.md).

  GET /api/v1/volunteers?station=&from=&to=   hours and activities per volunteer and per station in the caller's
                                               scope, counted from service records not rejected; default period:
                                               this year to today (China days)
"""
from __future__ import annotations

from datetime import date

from flask import request
from marshmallow import Schema, fields, validate

from server.api import bp
from server.api.auth import authenticated, current_user
from server.api.schemas import day_argument, load_args
from server.domain.clock import today_in_china
from server.domain.volunteers import TARGET_VOLUNTEERS, hours_text
from server.errors import BadRequest, NotFound
from server.queries import places as place_queries
from server.services import accounts, volunteers


class VolunteerArgsSchema(Schema):
    station = fields.String(load_default=None, validate=validate.Length(max=12))
    date_from = day_argument("from")
    date_to = day_argument("to")


def _hours(minutes: int) -> float:
    return float(hours_text(minutes))


@bp.get("/volunteers")
@authenticated()
def list_volunteers():
    args = load_args(VolunteerArgsSchema(), request.args)
    scope = accounts.scope_of(current_user())
    today = today_in_china()
    start, end = args["date_from"] or date(today.year, 1, 1), args["date_to"] or today
    if start > end:
        raise BadRequest(reason="开始日期晚于结束日期 / from is after to")
    stations = place_queries.list_stations_in_scope(scope)
    if args["station"]:
        stations = [s for s in stations if s.code == args["station"]]
        if not stations:
            raise NotFound(what="社工站", key=args["station"])
    rows = volunteers.ledger(scope, start, end, args["station"])
    totals = volunteers.station_volunteering(scope, [s.code for s in stations], start, end)
    return {
        "from": start.isoformat(), "to": end.isoformat(),
        "volunteers": [{"id": r.staff_member_id, "name": r.name, "station_code": r.station_code,
                        "hours": _hours(r.minutes), "minutes": r.minutes, "activities": r.activities,
                        "last_service": r.last_day.isoformat() if r.last_day else None} for r in rows],
        "stations": [{"station_code": t.station_code, "hours": _hours(t.minutes), "minutes": t.minutes,
                      "activities": t.activities, "volunteers_served": t.volunteers_served,
                      "active_volunteers": t.active_volunteers, "target": TARGET_VOLUNTEERS}
                     for t in totals.values()],
    }


class _LedgerRowSchema(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    station_code = fields.String(required=True)
    hours = fields.Float(required=True)
    minutes = fields.Integer(required=True)
    activities = fields.Integer(required=True)
    last_service = fields.String(required=True, allow_none=True)


class _StationVolunteeringSchema(Schema):
    station_code = fields.String(required=True)
    hours = fields.Float(required=True)
    minutes = fields.Integer(required=True)
    activities = fields.Integer(required=True)
    volunteers_served = fields.Integer(required=True)
    active_volunteers = fields.Integer(required=True, metadata={"description": "with service in the 12 months to `to`"})
    target = fields.Integer(required=True, metadata={"description": "POLICY.md §4.4: at least 30 volunteers"})


class VolunteerLedgerSchema(Schema):
    date_from = fields.String(required=True, data_key="from")
    date_to = fields.String(required=True, data_key="to")
    volunteers = fields.List(fields.Nested(_LedgerRowSchema), required=True)
    stations = fields.List(fields.Nested(_StationVolunteeringSchema), required=True)
