"""GET /api/v1/indicators?area=CODE&from=YYYY-MM-DD&to=YYYY-MM-DD — coverage, satisfaction and station
coverage of an area in the caller's scope, and of each area below it (docs/indicators.md);
GET /api/v1/stations/<code>/compliance — the station standard, rule by rule."""
from __future__ import annotations

from datetime import timedelta

from flask import request
from marshmallow import Schema, fields

from server.api import bp
from server.api.auth import authenticated, current_user
from server.api.schemas import day_argument, load_args
from server.domain.clock import today_in_china
from server.errors import BadRequest, NotFound
from server.queries import places as place_queries
from server.services import accounts
from server.services.compliance import station_compliance
from server.services.indicators import indicators_of


class IndicatorArgsSchema(Schema):
    area = fields.String(load_default=None)
    date_from = day_argument("from")
    date_to = day_argument("to")


@bp.get("/indicators")
@authenticated()
def get_indicators():
    args = load_args(IndicatorArgsSchema(), request.args)
    scope = accounts.scope_of(current_user())
    area = place_queries.get_area_by_code(args["area"] or scope.area_code)
    if area is None or not scope.contains_path(area.path):
        raise NotFound(what="区划", key=args["area"] or "")
    period_to = args["date_to"] or today_in_china()
    period_from = args["date_from"] or period_to - timedelta(days=29)
    if period_from > period_to:
        raise BadRequest(reason="from 不能晚于 to / 'from' is after 'to'")
    return indicators_of(area, period_from, period_to)


@bp.get("/stations/<code>/compliance")
@authenticated()
def get_station_compliance(code: str):
    """One check per rule of the standard, each with its clause; ``passed`` null means not recorded."""
    station = place_queries.get_station_by_code(code)
    if station is None or not accounts.scope_of(current_user()).contains_path(station.township.path):
        raise NotFound(what="社工站", key=code)
    checks = station_compliance(station, today_in_china())
    return {"station": station.code, "name": station.official_name,
            "compliant": all(c.passed for c in checks),
            "checks": [{"rule": c.rule, "clause": c.clause, "passed": c.passed, "detail": c.detail} for c in checks]}
