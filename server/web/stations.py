"""Station pages: the stations in scope, and one station's staff, cases, overdue visits and recent submissions."""
from __future__ import annotations

from flask import render_template

from server.domain.clock import today_in_china
from server.errors import NotFound
from server.queries import accounts as account_queries
from server.queries import cases as case_queries
from server.queries import places as place_queries
from server.queries import submissions as submission_queries
from server.queries.cases import CaseFilters
from server.queries.submissions import SubmissionFilters
from server.web import bp
from server.web.auth import current_scope, login_required


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
    scope = current_scope()
    station = place_queries.get_station_by_code(code)
    if station is None or not scope.contains_path(station.township.path):
        raise NotFound(what="社工站", key=code)
    today = today_in_china()
    return render_template(
        "station.html", station=station, today=today,
        overdue=case_queries.list_cases(scope, CaseFilters(station=code, overdue_on=today), 100),
        open_cases=case_queries.list_cases(scope, CaseFilters(station=code, status="open"), 500),
        recent=submission_queries.list_submissions(scope, SubmissionFilters(station=code), 20),
        users=account_queries.list_station_users_in_scope(station.township.path))
