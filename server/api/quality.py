"""Was the work real? (docs/authenticity.md)

  GET /api/v1/quality[?station=CODE&months=3|6|12]   authenticity flags per 100 visits by kind, per station (and per
                                                     worker of one station; a station head: theirs), by month
                                                     (admin, county, station; workers: 403)
  GET /api/v1/counties/<code>/authenticity-thresholds   a county's thresholds: its own values over the defaults
  PUT /api/v1/counties/<code>/authenticity-thresholds   {"values": {key: number}} replace the county's own values
                                                     (admin, the county's supervisors; nothing saved on a mistake)
"""
from __future__ import annotations

from flask import request
from marshmallow import Schema, fields, validate

from server.api import bp
from server.api.auth import authenticated, current_user
from server.api.schemas import load, load_args
from server.domain.access import Role
from server.domain.authenticity import THRESHOLD_FIELDS, default_value, thresholds_from
from server.domain.clock import today_in_china
from server.domain.places import AreaLevel
from server.errors import NotFound
from server.queries import places as place_queries
from server.services import accounts, authenticity

OFFICE = (Role.ADMIN, Role.COUNTY, Role.STATION)


class QualityArgsSchema(Schema):
    station = fields.String(load_default=None, validate=validate.Length(max=12))
    months = fields.Integer(load_default=authenticity.QUALITY_MONTHS, validate=validate.OneOf([3, 6, 12]))


class QualityLineSchema(Schema):
    visits = fields.Integer()
    flagged = fields.Integer(metadata={"description": "visits with at least one authenticity flag"})
    flagged_per_100 = fields.Float(allow_none=True, attribute="flagged_per_hundred")
    by_kind = fields.Dict(keys=fields.String(), values=fields.Integer(),
                          metadata={"description": "flagged visits per flag code"})
    per_100 = fields.Function(lambda line: {k: line.per_hundred(n) for k, n in line.by_kind.items()},
                              metadata={"description": "the same per 100 visits"})
    verdicts = fields.Dict(keys=fields.String(), values=fields.Integer(),
                           metadata={"description": "reviewers' last verdicts: genuine, not_genuine"})


class QualityStationSchema(QualityLineSchema):
    station = fields.String()
    name = fields.String()


class QualityWorkerSchema(QualityLineSchema):
    worker = fields.String(allow_none=True, metadata={"description": "username; null: an account since removed"})
    name = fields.String(allow_none=True)


class QualityMonthSchema(QualityLineSchema):
    month = fields.String(metadata={"description": "YYYY-MM"})


class QualitySchema(Schema):
    date_from = fields.Date(data_key="from")
    date_to = fields.Date(data_key="to")
    kinds = fields.List(fields.String())
    total = fields.Nested(QualityLineSchema)
    stations = fields.List(fields.Nested(QualityStationSchema))
    workers = fields.List(fields.Nested(QualityWorkerSchema), metadata={"description": "only for one station"})
    months = fields.List(fields.Nested(QualityMonthSchema))


class _Line:
    def __init__(self, line, **extra):
        self.__dict__.update(vars(line), **extra)
        self.per_hundred = line.per_hundred
        self.flagged_per_hundred = line.flagged_per_hundred


@bp.get("/quality")
@authenticated(*OFFICE)
def get_quality():
    args = load_args(QualityArgsSchema(), request.args)
    scope = accounts.scope_of(current_user())
    code = scope.area_code if scope.is_station_bound else args["station"]
    station = None
    if code:
        station = place_queries.get_station_by_code(code)
        if station is None or not scope.contains_path(station.township.path):
            raise NotFound(what="服务站", key=code)
    today = today_in_china()
    report = authenticity.quality_report(scope, authenticity.months_back(today, args["months"]), today, station)
    return QualitySchema().dump({
        "date_from": report.first, "date_to": report.last, "kinds": list(report.kinds), "total": _Line(report.total),
        "stations": [_Line(line, station=s.code, name=s.official_name) for s, line in report.stations],
        "workers": [_Line(line, worker=w.username if w else None, name=(w.display_name or w.username) if w else None)
                    for w, line in report.workers],
        "months": [_Line(line, month=month) for month, line in report.months]})


class ThresholdsBodySchema(Schema):
    values = fields.Dict(keys=fields.String(), values=fields.Raw(allow_none=True), required=True,
                         metadata={"description": "the county's own values by key; a key left out keeps the default"})


class ThresholdSchema(Schema):
    key = fields.String()
    label = fields.String()
    label_en = fields.String()
    unit = fields.String()
    value = fields.Float(metadata={"description": "in force for the county"})
    default = fields.Float()
    own = fields.Boolean(metadata={"description": "set by the county (else the default)"})
    low = fields.Float()
    high = fields.Float()


class ThresholdsSchema(Schema):
    county = fields.String()
    thresholds = fields.List(fields.Nested(ThresholdSchema))
    updated_at = fields.AwareDateTime(allow_none=True)
    updated_by = fields.String(allow_none=True)


def _county(code: str):
    county = place_queries.get_area_by_code(code)
    user = current_user()
    if county is None or county.level != AreaLevel.COUNTY or user.role not in (Role.ADMIN, Role.COUNTY) \
            or not accounts.scope_of(user).contains_path(county.path):
        raise NotFound(what="县（市、区）", key=code)
    return county


def _thresholds_view(county) -> dict:
    row = authenticity.queries.get_thresholds(county.code)
    own = row.values if row is not None else {}
    limits = thresholds_from(own)
    in_force = {**{f"min_minutes.{k}": v for k, v in limits.min_minutes.items()},
                **{k: v for k, v in vars(limits).items() if k != "min_minutes"}}
    return {"county": county.code, "updated_at": row.updated_at if row else None,
            "updated_by": row.updated_by.username if row and row.updated_by else None,
            "thresholds": [{"key": f.key, "label": f.label_zh, "label_en": f.label_en, "unit": f.unit_zh,
                            "value": in_force[f.key], "default": default_value(f.key), "own": f.key in own,
                            "low": f.low, "high": f.high} for f in THRESHOLD_FIELDS]}


@bp.get("/counties/<county_code>/authenticity-thresholds")
@authenticated(Role.ADMIN, Role.COUNTY)
def get_thresholds(county_code: str):
    return ThresholdsSchema().dump(_thresholds_view(_county(county_code)))


@bp.put("/counties/<county_code>/authenticity-thresholds")
@authenticated(Role.ADMIN, Role.COUNTY)
def put_thresholds(county_code: str):
    county = _county(county_code)
    body = load(ThresholdsBodySchema(), request.get_json(silent=True))
    authenticity.set_thresholds(county.code, body["values"], current_user())
    return ThresholdsSchema().dump(_thresholds_view(county))
