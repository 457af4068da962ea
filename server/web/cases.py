"""Case pages: the list (overdue first) and a case with its timeline of visits; closing and reopening a case."""
from __future__ import annotations

from typing import Callable

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from server.domain.cases import CATEGORY_NAMES_ZH, CaseCategory, CaseOrder, CaseStatus, ClosingReason, RiskLevel
from server.domain.clock import today_in_china
from server.domain.paging import decode_typed, page_of
from server.domain.privacy import case_search, masked_properties
from server.errors import Conflict, InvalidValue, NotFound
from server.models import Case
from server.queries import cases as queries
from server.queries import places as place_queries
from server.queries import submissions as submission_queries
from server.queries.cases import CaseFilters
from server.services import audit, cases
from server.web import bp
from server.web.auth import current_scope, current_user, login_required
from server.web.labels import N_, refusal

PAGE_SIZE = 50
FILTER_NAMES = ("q", "station", "category", "risk", "status", "overdue", "returned", "proposed", "sort")
# Why a service ended, as people read it (never the code).
CLOSING_REASON_LABELS = {
    ClosingReason.DECEASED: N_("Deceased"),
    ClosingReason.MOVED_OUT: N_("Moved out"),
    ClosingReason.NO_LONGER_ELIGIBLE: N_("No longer eligible"),
    ClosingReason.REFUSED_SERVICE: N_("Refused service"),
    ClosingReason.DUPLICATE: N_("Duplicate registration"),
}


@bp.get("/cases")
@login_required
def case_list():
    args = {name: request.args.get(name, "").strip() for name in FILTER_NAMES}
    scope = current_scope()
    filters, order = _filters(args), _order(args)
    cursor = request.args.get("cursor")
    after = decode_typed(cursor, *queries.page_key_types(order)) if cursor else None
    found = queries.list_cases(scope, filters, PAGE_SIZE + 1, after, order)
    page, next_cursor = page_of(found, PAGE_SIZE, lambda c: queries.page_key(c, order))
    stations = place_queries.list_stations_in_scope(scope)
    return render_template("cases.html", cases=page, next_cursor=next_cursor, paged=bool(cursor), args=args,
                           total=queries.count_cases(scope, filters), page_size=PAGE_SIZE, stations=stations,
                           station_of={s.code: s for s in stations}, categories=CATEGORY_NAMES_ZH,
                           today=today_in_china())


def _filters(args: dict[str, str]) -> CaseFilters:
    status = args["status"] or "open"
    return CaseFilters(
        station=args["station"] or None,
        category=args["category"] if args["category"] in CaseCategory._value2member_map_ else None,
        status=status if status in CaseStatus._value2member_map_ else None,  # "all"
        overdue_on=today_in_china() if args["overdue"] == "1" else None,
        risk=args["risk"] if args["risk"] in RiskLevel._value2member_map_ else None,
        returned=args["returned"] == "1",
        close_proposed=args["proposed"] == "1",
        search=case_search(args["q"], current_user().role))


def _order(args: dict[str, str]) -> CaseOrder:
    return CaseOrder(args["sort"]) if args["sort"] in CaseOrder._value2member_map_ else CaseOrder.DUE


@bp.get("/cases/<case_id>")
@login_required
def case_detail(case_id: str):
    case = _case_in_scope(case_id)
    audit.record("case.view", "case", case.id)
    return _case_page(case)


@bp.post("/cases/<case_id>/close")
@login_required
def case_close(case_id: str):
    form = request.form
    return _decide(case_id, lambda case: cases.close_case(case, form.get("reason", ""), form.get("note", ""),
                                                          current_user()),
                   _("Case closed: it leaves the phones' case lists and the coverage count."))


@bp.post("/cases/<case_id>/reopen")
@login_required
def case_reopen(case_id: str):
    return _decide(case_id, lambda case: cases.reopen_case(case, request.form.get("note", ""), current_user()),
                   _("Case reopened: it is back on the phones' case lists and in the coverage count."))


@bp.post("/cases/<case_id>/close-proposal/dismiss")
@login_required
def case_dismiss_proposal(case_id: str):
    return _decide(case_id, lambda case: cases.dismiss_close_proposal(case, request.form.get("note", ""),
                                                                      current_user()),
                   _("The worker's report that the service ended was not confirmed: the case stays open."))


def _decide(case_id: str, decide: Callable[[Case], None], done: str):
    """Close, reopen or dismiss: back to the case page, or the page again with the refusal and what was typed."""
    case = _case_in_scope(case_id)
    try:
        decide(case)
    except (InvalidValue, Conflict) as error:
        return _case_page(case, error=error), error.http_status
    flash(done, "ok")
    return redirect(url_for("web.case_detail", case_id=case.id))


def _case_in_scope(case_id: str) -> Case:
    case = queries.get_case_in_scope(current_scope(), case_id)
    if case is None:
        raise NotFound(what="服务对象", key=case_id)
    return case


def _case_page(case: Case, error: InvalidValue | Conflict | None = None) -> str:
    """The case page; after a refused close or reopen, with the message and what was typed kept."""
    return render_template("case.html", case=case, timeline=cases.case_timeline(case),
                           properties=masked_properties(case.properties, current_user().role),
                           visits=submission_queries.list_case_submissions(case.id),
                           members=queries.list_members(case.id), categories=CATEGORY_NAMES_ZH,
                           closing_reasons=CLOSING_REASON_LABELS, today=today_in_china(),
                           error=refusal(error) if error else None, typed=request.form)


