"""Case pages: the list (overdue first) and a case with its timeline of visits."""
from __future__ import annotations

from flask import render_template, request

from server.domain.cases import CATEGORY_NAMES_ZH, CaseCategory, CaseStatus
from server.domain.clock import today_in_china
from server.domain.privacy import masked_properties
from server.errors import NotFound
from server.queries import cases as queries
from server.queries import places as place_queries
from server.queries import submissions as submission_queries
from server.queries.cases import CaseFilters
from server.services import audit
from server.web import bp
from server.web.auth import current_scope, current_user, login_required

PAGE_SIZE = 200


@bp.get("/cases")
@login_required
def case_list():
    args = {name: request.args.get(name, "").strip() for name in ("station", "category", "status", "overdue")}
    filters = CaseFilters(
        station=args["station"] or None,
        category=args["category"] if args["category"] in CaseCategory._value2member_map_ else None,
        status=args["status"] if args["status"] in CaseStatus._value2member_map_ else "open",
        overdue_on=today_in_china() if args["overdue"] == "1" else None)
    scope = current_scope()
    return render_template("cases.html", cases=queries.list_cases(scope, filters, PAGE_SIZE), args=args,
                           stations=place_queries.list_stations_in_scope(scope), categories=CATEGORY_NAMES_ZH,
                           today=today_in_china())


@bp.get("/cases/<case_id>")
@login_required
def case_detail(case_id: str):
    case = queries.get_case_in_scope(current_scope(), case_id)
    if case is None:
        raise NotFound(what="服务对象", key=case_id)
    audit.record("case.view", "case", case.id)
    return render_template("case.html", case=case, events=queries.list_case_events(case.id),
                           properties=masked_properties(case.properties, current_user().role),
                           visits=submission_queries.list_case_submissions(case.id),
                           members=queries.list_members(case.id), categories=CATEGORY_NAMES_ZH,
                           today=today_in_china())
