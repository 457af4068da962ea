"""Station pages: the stations in scope, and one station's staff, cases, overdue visits and recent submissions."""
from __future__ import annotations

from io import BytesIO

from flask import flash, redirect, render_template, request, send_file, url_for
from flask_babel import get_locale, gettext as _

from server.domain.clock import today_in_china
from server.domain.access import Role
from server.domain.stations import InspectionResult, StationStatus
from server.errors import Forbidden, InvalidFields, InvalidValue, NotFound
from server.queries import accounts as account_queries
from server.queries import cases as case_queries
from server.queries import places as place_queries
from server.queries import submissions as submission_queries
from server.queries.cases import CaseFilters
from server.queries.submissions import SubmissionFilters
from server.services import money
from server.services.accounts import active_collect_token
from server.services.compliance import station_compliance
from server.services.station_records import update_station_record
from server.services.onboarding import collect_settings_qr
from server.services.feedback import reissue_station_link
from server.services.plaques import PREVIEW_DPI, PRINT_DPI, record_plaque_installed, render_plaque
from server.web import bp
from server.web.auth import current_scope, current_user, login_required, station_in_scope
from server.web.volunteers import volunteer_section


STATION_PAGE_CASES = 100  # the rest are one click away on the case list, never cut off unsaid
RECORD_KEEPERS = (Role.ADMIN, Role.COUNTY)  # the station's record and §4.6 facts: never the station itself
LINK_KEEPERS = (Role.ADMIN, Role.COUNTY, Role.STATION)  # a stolen plaque's link: whoever finds it first


@bp.get("/stations")
@login_required
def station_list():
    scope = current_scope()
    counts = {code: (total, late) for code, total, late in case_queries.count_overdue_by_station(scope,
                                                                                               today_in_china())}
    return render_template("stations.html", stations=place_queries.list_stations_in_scope(scope), counts=counts)


@bp.get("/stations/<code>")
@login_required
def station_detail(code: str):
    return _station_page(station_in_scope(code))


def _station_page(station, errors: dict[str, str] | None = None, typed: dict[str, str] | None = None,
                  status: int = 200):
    """The station's page; after a refused record edit, with each field's message and what was typed."""
    scope = current_scope()
    code = station.code
    today = today_in_china()
    volunteering = volunteer_section(scope, station, today, (errors or {}).get("certificate"), typed)
    return render_template(
        "station.html", station=station, today=today, errors=errors or {}, typed=typed, **volunteering,
        overdue=case_queries.list_cases(scope, CaseFilters(station=code, overdue_on=today), STATION_PAGE_CASES),
        overdue_total=case_queries.count_cases(scope, CaseFilters(station=code, overdue_on=today)),
        open_cases=case_queries.list_cases(scope, CaseFilters(station=code, status="open"), STATION_PAGE_CASES),
        open_total=case_queries.count_cases(scope, CaseFilters(station=code, status="open")),
        recent=submission_queries.list_submissions(scope, SubmissionFilters(station=code), 20),
        users=account_queries.list_station_users_in_scope(station.township.path),
        checks=station_compliance(station, today), can_edit=current_user().role in RECORD_KEEPERS,
        projects=[money.project_view(p, today) for p in money.projects_of_station(code, today)],
        can_reissue=current_user().role in LINK_KEEPERS,
        statuses=list(StationStatus), inspections=list(InspectionResult),
        has_token=lambda user: active_collect_token(user) is not None), status


@bp.get("/stations/<code>/plaque.<fmt>")
@login_required
def station_plaque(code: str, fmt: str):
    """The print-ready plaque (PNG 150 dpi or vector PDF), or ?preview=1 for a small PNG on screen."""
    station = station_in_scope(code)
    preview = request.args.get("preview") == "1"
    made = render_plaque(station, fmt, dpi=PREVIEW_DPI if preview else PRINT_DPI)
    mimetype = "application/pdf" if fmt == "pdf" else "image/png"
    return send_file(BytesIO(made.content), mimetype=mimetype, as_attachment=not preview,
                     download_name=f"{station.code}-plaque.{fmt}")


@bp.get("/stations/<code>/workers/<username>/collect-qr.png")
@login_required
def worker_collect_qr(code: str, username: str):
    """A worker's ODK Collect settings QR code, for the station head to show on screen."""
    station = station_in_scope(code)
    worker = account_queries.get_user_by_username(username)
    if worker is None or worker.scope_code != station.code:
        raise NotFound(what="社工", key=username)
    response = send_file(BytesIO(collect_settings_qr(worker)), mimetype="image/png", max_age=0)
    response.headers["Cache-Control"] = "no-store"  # it opens the station's data to whoever scans it
    return response


@bp.post("/stations/<code>/record")
@login_required
def station_record(code: str):
    """Admins and county supervisors keep the station's record (funding, projects, operator…)."""
    station = station_in_scope(code)
    if current_user().role not in RECORD_KEEPERS:
        raise Forbidden()
    try:
        update_station_record(station, request.form)
    except InvalidFields as error:  # nothing was changed; the page keeps what was typed
        return _station_page(station, error.field_messages(get_locale().language), request.form.to_dict(), 400)
    flash(_("Station record saved."), "ok")
    return redirect(url_for("web.station_detail", code=code))


@bp.post("/stations/<code>/plaque-link")
@login_required
def station_plaque_link(code: str):
    """Revoke the plaque's link and issue a new one (a stolen or defaced plaque), then print the new plaque."""
    station = station_in_scope(code)
    if current_user().role not in LINK_KEEPERS:
        raise Forbidden()
    try:
        reissue_station_link(station, request.form.get("reason", ""))
    except InvalidValue as error:  # nothing was changed; the page keeps what was typed
        return _station_page(station, {"plaque_reason": error.message(get_locale().language)}, request.form.to_dict(),
                             400)
    flash(_("The old QR code no longer works. Download the new plaque below and print it."), "ok")
    return redirect(url_for("web.station_detail", code=code, _anchor="plaque"))


@bp.post("/stations/<code>/plaque-installed")
@login_required
def station_plaque_installed(code: str):
    """§4.6: a county supervisor records the day the plaque was put up at the station."""
    station = station_in_scope(code)
    if current_user().role not in RECORD_KEEPERS:
        raise Forbidden()
    try:
        record_plaque_installed(station, request.form.get("installed_on", ""))
    except InvalidValue as error:
        return _station_page(station, {"installed_on": error.message(get_locale().language)}, request.form.to_dict(),
                             400)
    flash(_("Plaque installation recorded."), "ok")
    return redirect(url_for("web.station_detail", code=code, _anchor="plaque"))
