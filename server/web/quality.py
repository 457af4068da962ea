"""Was the work real? The visit-quality page (docs/authenticity.md): the authenticity flags per 100 visits by kind,
per station (and per worker of one station), the trend by month, each linked to the flagged visits; and a county's
own thresholds for the flags. County supervisors and admins see their area's stations; a station head their station
by worker; workers have no office pages (they see their own flags on their returned visits, at /fill/)."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import get_locale, gettext as _

from server.domain.access import Role
from server.domain.authenticity import FIELDS_BY_KEY, THRESHOLD_FIELDS, default_value
from server.domain.clock import today_in_china
from server.domain.places import AreaLevel
from server.errors import InvalidValue, NotFound
from server.queries import places as place_queries
from server.services import authenticity
from server.web import bp
from server.web.auth import current_scope, current_user, login_required
from server.web.submissions import FLAG_LABELS

MONTH_CHOICES = (3, 6, 12)
KEEPERS = (Role.ADMIN, Role.COUNTY)  # who sets a county's thresholds: never a station, whose visits they judge


def _station_in_scope(code: str):
    station = place_queries.get_station_by_code(code) if code else None
    if station is None or not current_scope().contains_path(station.township.path):
        raise NotFound(what="服务站", key=code)
    return station


@bp.get("/quality")
@login_required
def quality():
    scope = current_scope()
    months = request.args.get("months", type=int)
    months = months if months in MONTH_CHOICES else authenticity.QUALITY_MONTHS
    code = request.args.get("station", "").strip()
    if scope.is_station_bound:
        code = scope.area_code  # a station head: their own station, by worker
    station = _station_in_scope(code) if code else None
    today = today_in_china()
    report = authenticity.quality_report(scope, authenticity.months_back(today, months), today, station)
    counties = place_queries.list_areas_in_scope(scope, AreaLevel.COUNTY) if current_user().role in KEEPERS else []
    return render_template("quality.html", report=report, months=months, month_choices=MONTH_CHOICES,
                           flag_labels=FLAG_LABELS, counties=counties,
                           stations=place_queries.list_stations_in_scope(scope))


def _county_in_scope(county_code: str):
    county = place_queries.get_area_by_code(county_code)
    if county is None or county.level != AreaLevel.COUNTY or not current_scope().contains_path(county.path) \
            or current_user().role not in KEEPERS:
        raise NotFound(what="县（市、区）", key=county_code)
    return county


def _thresholds_page(county, typed: dict | None = None, problems: dict | None = None, status: int = 200):
    english = str(get_locale()).startswith("en")
    row = authenticity.queries.get_thresholds(county.code)
    own = row.values if row is not None else {}
    fields = []
    for spec in THRESHOLD_FIELDS:
        zh, _slash, en = (problems or {}).get(spec.key, "").partition(" / ")
        fields.append({"key": spec.key, "label": spec.label_en if english else spec.label_zh, "unit": spec.unit_zh,
                       "default": f"{default_value(spec.key):g}", "low": f"{spec.low:g}", "high": f"{spec.high:g}",
                       "value": (typed or {}).get(spec.key, own.get(spec.key, "")),
                       "problem": (en or zh) if english else zh})
    return render_template("quality_thresholds.html", county=county, fields=fields, row=row,
                           refused=bool(problems)), status


@bp.get("/quality/thresholds/<county_code>")
@login_required
def quality_thresholds(county_code: str):
    return _thresholds_page(_county_in_scope(county_code))


@bp.post("/quality/thresholds/<county_code>")
@login_required
def quality_thresholds_save(county_code: str):
    county = _county_in_scope(county_code)
    typed = {key: request.form.get(key, "") for key in FIELDS_BY_KEY}
    try:
        authenticity.set_thresholds(county.code, typed, current_user())
    except InvalidValue as error:
        return _thresholds_page(county, typed, error.details.get("problems") or {}, 400)
    flash(_("The thresholds of %(county)s are saved; they apply to visits checked from now on.", county=county.name),
          "ok")
    return redirect(url_for("web.quality_thresholds", county_code=county.code))
