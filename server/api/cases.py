"""Cases (服务对象) in the caller's scope.

  GET  /api/v1/cases                     filters: q, station, category, risk, status, overdue, returned, worker,
                                         village; sort: due|name; keyset pages
  GET  /api/v1/cases/<id>                the case, its members and its timeline of visits and events
  POST /api/v1/cases/<id>/close         (admin, county, station) end the service: reason from the list + note
  POST /api/v1/cases/<id>/reopen        (admin, county, station) serve the person again
  POST /api/v1/cases/<id>/close-proposal/dismiss  (admin, county, station) a worker's "service ended" not confirmed
  POST /api/v1/cases/<id>/erasure        (admin) erase the person's data on request, keep what indicators count
  POST /api/v1/cases/import              register file (CSV/XLSX), all or nothing
  GET  /api/v1/overdue                   open and overdue counts per station and per worker in scope
  GET  /api/v1/visit-intervals           days between visits per category
  PUT  /api/v1/visit-intervals/<cat>     change one (admin); reschedules open cases
"""
from __future__ import annotations

from flask import request

from server.api import bp
from server.api.auth import authenticated, current_user
from server.api.uploads import uploaded_table
from server.api.schemas import (
    CaseCloseRequestSchema,
    CaseEventSchema,
    CaseNoteRequestSchema,
    CaseListArgsSchema,
    CaseSchema,
    ErasureRequestSchema,
    VisitIntervalRequestSchema,
    load,
    load_args,
)
from server.domain.access import Role
from server.domain.cases import CaseOrder
from server.domain.privacy import case_search, masked_properties
from server.domain.clock import today_in_china
from server.domain.paging import decode_typed, page_of
from server.errors import NotFound
from server.models import Case, User
from server.queries import cases as queries
from server.queries.cases import CaseFilters
from server.media import media_storage
from server.services import accounts, audit, case_import, cases, erasure

OFFICE_ROLES = (Role.ADMIN, Role.COUNTY, Role.STATION)


@bp.get("/cases")
@authenticated()
def list_cases():
    args = load_args(CaseListArgsSchema(), request.args)
    filters = CaseFilters(station=args["station"], category=args["category"], status=args["status"],
                          overdue_on=today_in_china() if args["overdue"] else None,
                          worker_id=cases.worker_id(args["worker"]), village=args["village"], risk=args["risk"],
                          returned=args["returned"], close_proposed=args["close_proposed"],
                          search=case_search(args["q"] or "", current_user().role))
    order = CaseOrder(args["sort"])
    after = decode_typed(args["cursor"], *queries.page_key_types(order)) if args["cursor"] else None
    found = queries.list_cases(accounts.scope_of(current_user()), filters, args["limit"] + 1, after, order)
    page, cursor = page_of(found, args["limit"], lambda c: queries.page_key(c, order))
    return {"cases": [case_view(c, current_user()) for c in page], "next_cursor": cursor}


@bp.get("/cases/<case_id>")
@authenticated()
def get_case(case_id: str):
    case = _case_in_scope(case_id)
    body = case_view(case, current_user())
    body["members"] = [case_view(m, current_user()) for m in queries.list_members(case.id)]
    timeline = cases.case_timeline(case)
    body["timeline"] = CaseEventSchema(many=True).dump([entry.event for entry in timeline])
    for dumped, entry in zip(body["timeline"], timeline):
        dumped["changes"] = masked_properties(dumped["changes"], current_user().role)
        dumped["occurred_on"] = entry.day.isoformat()
    audit.record("case.view", "case", case.id)
    return body


@bp.post("/cases/<case_id>/close")
@authenticated(*OFFICE_ROLES)
def close_case(case_id: str):
    case = _case_in_scope(case_id)
    body = load(CaseCloseRequestSchema(), request.get_json(silent=True))
    cases.close_case(case, body["reason"], body["note"], current_user())
    return case_view(case, current_user())


@bp.post("/cases/<case_id>/reopen")
@authenticated(*OFFICE_ROLES)
def reopen_case(case_id: str):
    case = _case_in_scope(case_id)
    body = load(CaseNoteRequestSchema(), request.get_json(silent=True))
    cases.reopen_case(case, body["note"], current_user())
    return case_view(case, current_user())


@bp.post("/cases/<case_id>/close-proposal/dismiss")
@authenticated(*OFFICE_ROLES)
def dismiss_close_proposal(case_id: str):
    case = _case_in_scope(case_id)
    body = load(CaseNoteRequestSchema(), request.get_json(silent=True))
    cases.dismiss_close_proposal(case, body["note"], current_user())
    return case_view(case, current_user())


def _case_in_scope(case_id: str) -> Case:
    case = queries.get_case_in_scope(accounts.scope_of(current_user()), case_id)
    if case is None:
        raise NotFound(what="服务对象", key=case_id)
    return case


@bp.post("/cases/<case_id>/erasure")
@authenticated(Role.ADMIN)
def erase_case(case_id: str):
    body = load(ErasureRequestSchema(), request.get_json(silent=True))
    done = erasure.erase_case(case_id, body["reason"], media_storage(), accounts.scope_of(current_user()))
    return {"case_ids": done.case_ids, "submissions": done.submissions, "files": len(done.files)}


@bp.post("/cases/import")
@authenticated(*OFFICE_ROLES)
def import_cases():
    table = uploaded_table(case_import.REQUIRED_COLUMNS)
    created = case_import.import_cases(table, accounts.scope_of(current_user()), current_user())
    return {"created": created}, 201


@bp.get("/overdue")
@authenticated(*OFFICE_ROLES)
def overdue_summary():
    return cases.overdue_summary(accounts.scope_of(current_user()), today_in_china())


@bp.get("/visit-intervals")
@authenticated()
def list_visit_intervals():
    return {"intervals": cases.visit_intervals()}


@bp.put("/visit-intervals/<category>")
@authenticated(Role.ADMIN)
def put_visit_interval(category: str):
    body = load(VisitIntervalRequestSchema(), request.get_json(silent=True))
    moved = cases.set_visit_interval(category, body["days"])
    return {"category": category, "days": body["days"], "rescheduled": moved}




def case_view(case: Case, viewer: User) -> dict:
    """A case as the API shows it, its ID number and phone masked as the viewer's role requires
    (``server/domain/privacy.py``)."""
    body = CaseSchema().dump(case)
    body["properties"] = masked_properties(body["properties"], viewer.role)
    return body
