"""The dashboard of an area for a reporting period, its printable A4 report, and the report pack as XLSX."""
from __future__ import annotations

from io import BytesIO

from flask import render_template, request, send_file, url_for
from flask_babel import get_locale, gettext as _

from server.domain.charts import BarItem, bar_chart, line_chart, percent
from server.domain.clock import today_in_china
from server.domain.indicators import TARGET
from server.domain.periods import last_complete_month, parse_period, period_containing
from server.domain.places import AreaLevel
from server.errors import InvalidValue, NotFound
from server.queries import places as place_queries
from server.services import audit
from server.services.reports import build_report, write_report_xlsx
from server.web import bp
from server.web.auth import current_scope, login_required

DASHBOARD_LEVELS = (AreaLevel.PROVINCE, AreaLevel.CITY, AreaLevel.COUNTY, AreaLevel.TOWNSHIP)
PAGE_OVERDUE = 20
PRINT_COMMENTS = 30


@bp.get("/dashboard")
@login_required
def dashboard():
    """The area's indicators for the period asked; a period that cannot be read keeps what was typed, says
    why next to the field (400), and shows the last complete month meanwhile."""
    typed = request.args.get("period", "").strip()
    try:
        pack, charts = _pack_and_charts()
        period_error = ""
    except InvalidValue as error:
        pack, charts = _pack_and_charts(period_key=last_complete_month(today_in_china()).key)
        period_error = error.message(str(get_locale()))
    scope = current_scope()
    areas = [a for a in place_queries.list_areas_in_scope(scope) if a.level in DASHBOARD_LEVELS]
    today = today_in_china()
    return render_template("dashboard.html", pack=pack, charts=charts, areas=areas, percent=percent,
                           overdue=pack.overdue_cases[:PAGE_OVERDUE], target=TARGET, today=today,
                           last_month=last_complete_month(today), this_month=period_containing(today),
                           typed_period=typed if period_error else pack.period.key,
                           period_error=period_error), 400 if period_error else 200


@bp.get("/dashboard/print")
@login_required
def dashboard_print():
    pack, charts = _pack_and_charts(comment_limit=PRINT_COMMENTS)
    audit.record("report.print", "report", request.args.get("area", "") or current_scope().area_code,
                 {"period": request.args.get("period", "")})
    return render_template("report_print.html", pack=pack, charts=charts, percent=percent,
                           overdue=pack.overdue_cases[:PAGE_OVERDUE], target=TARGET, today=today_in_china())


@bp.get("/dashboard/report.xlsx")
@login_required
def dashboard_report():
    area, period = _area_and_period()
    today = today_in_china()
    out = BytesIO()
    write_report_xlsx(build_report(current_scope(), area, period, today), out, today)
    out.seek(0)
    audit.record("report.download", "report", area.code, {"period": period.key})
    return send_file(out, as_attachment=True, download_name=f"lastmeter-{area.code}-{period.key}.xlsx",
                     mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


NARROW_WIDTH = 340  # the content width of a 390 px phone screen
NARROW_BARS = {"width": NARROW_WIDTH, "label_width": 84}


def _area_and_period(period_key: str | None = None):
    scope = current_scope()
    code = request.args.get("area", "").strip() or scope.area_code
    area = place_queries.get_area_by_code(code)
    if area is None or not scope.contains_path(area.path) or area.level not in DASHBOARD_LEVELS:
        raise NotFound(what="区划", key=code[:20])
    key = request.args.get("period", "").strip() if period_key is None else period_key
    period = parse_period(key, "报告期") if key else last_complete_month(today_in_china())  # a county's monthly report
    return area, period


def _pack_and_charts(comment_limit: int = 0, period_key: str | None = None):
    area, period = _area_and_period(period_key)
    pack = build_report(current_scope(), area, period, today_in_china(), comment_limit=comment_limit)
    children = pack.summary.get("children", [])
    coverage = [_coverage_item(c, period.key) for c in children]
    satisfaction = [_satisfaction_item(c, period.key) for c in children]
    trend = ([m["month"] for m in pack.trend], [
        (_("Service coverage"), "coverage", [m["coverage"]["rate"] for m in pack.trend]),
        (_("Resident satisfaction"), "satisfaction",
         [m["satisfaction"]["rate"] if m["satisfaction"]["status"] != "insufficient" else None for m in pack.trend])])
    charts = {"coverage": bar_chart(coverage, TARGET), "satisfaction": bar_chart(satisfaction, TARGET),
              "trend": line_chart(*trend, TARGET),
              # Drawn again at a phone's width, so its 12 px text is not shrunk below 11 px (shown by CSS)
              "narrow": {"coverage": bar_chart(coverage, TARGET, **NARROW_BARS),
                         "satisfaction": bar_chart(satisfaction, TARGET, **NARROW_BARS),
                         "trend": line_chart(*trend, TARGET, width=NARROW_WIDTH)}}
    return pack, charts


def _child_link(child: dict, period_key: str) -> str | None:
    if child["area"]["level"] == AreaLevel.VILLAGE.value:
        return None
    return url_for("web.dashboard", area=child["area"]["code"], period=period_key)


def _coverage_item(child: dict, period_key: str) -> BarItem:
    c = child["coverage"]
    note = f"{percent(c['rate'])} ({c['numerator']}/{c['denominator']})" if c["denominator"] else _("no cases due")
    return BarItem(child["area"]["name"], c["rate"], c["status"], note, _child_link(child, period_key))


def _satisfaction_item(child: dict, period_key: str) -> BarItem:
    s = child["satisfaction"]
    if s["status"] == "insufficient":
        note = _("too few answers (%(n)s)", n=s["responses"])
        rate = None
    else:
        note = f"{percent(s['rate'])} ({s['satisfied']}/{s['responses']})"
        rate = s["rate"]
    if s["excluded"]["responses"]:
        note += " · " + _("Excluded: %(n)s", n=s["excluded"]["responses"])
    return BarItem(child["area"]["name"], rate, s["status"], note, _child_link(child, period_key))
