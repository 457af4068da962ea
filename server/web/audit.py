"""The audit log page, for administrators: who viewed, changed, exported or erased what (others get 404)."""
from __future__ import annotations

from flask import render_template, request

from server.domain.access import Role
from server.domain.clock import beijing_time, parse_day
from server.domain.paging import BY_TIME, decode_typed, page_of
from server.errors import NotFound
from server.queries import audit as queries
from server.queries import cases as case_queries
from server.queries import submissions as submission_queries
from server.services.audit import audit_filters
from server.web import bp
from server.web.auth import current_user, login_required
from server.web.labels import N_

PAGE_SIZE = 100
FILTER_NAMES = ("user", "object_type", "object_id", "from", "to")


@bp.get("/audit")
@login_required
def audit_log():
    if current_user().role != Role.ADMIN:
        raise NotFound(what="页面", key=request.path)
    args = {name: request.args.get(name, "").strip() for name in FILTER_NAMES}
    filters = audit_filters(args["user"], args["object_type"], args["object_id"], parse_day(args["from"], "from"),
                            parse_day(args["to"], "to"))
    cursor = request.args.get("cursor")
    after = decode_typed(cursor, *BY_TIME) if cursor else None
    found = queries.list_audit_events(filters, PAGE_SIZE + 1, after)
    page, next_cursor = page_of(found, PAGE_SIZE, lambda e: (e.created_at.isoformat(), e.id))
    return render_template("audit.html", events=page, next_cursor=next_cursor, args=args, names=_object_names(page),
                           detail_labels=DETAIL_LABELS,
                           filter_args={name: value for name, value in args.items() if value})


# What the log's details say, in words (values that are codes are translated on the page too).
DETAIL_LABELS = {"reason": N_("Reason"), "revoked": N_("Links revoked"), "review_state": N_("Review state"),
                 "note": N_("Note"), "period": N_("Period"), "format": N_("Format"), "installed_on": N_("Put up on"),
                 "members": N_("Household members"), "created": N_("Created"), "rows": N_("Rows"),
                 "submissions": N_("Submissions"), "files": N_("Files")}


def _object_names(events) -> dict[tuple[str, str], str]:
    """People read a case's label and a visit's form and time, not their IDs (one query each)."""
    case_ids = {e.object_id for e in events if e.object_type == "case" and e.object_id}
    instance_ids = {e.object_id for e in events if e.object_type == "submission" and e.object_id}
    names = {("case", case.id): case.label for case in case_queries.list_cases_by_ids(case_ids)}
    for submission in submission_queries.list_submissions_by_instance_ids(instance_ids):
        title = submission.form.current_version.title if submission.form.current_version else ""
        names[("submission", submission.instance_id)] = f"{title} · {beijing_time(submission.created_at)}"
    return names
