"""The audit log page, for administrators: who viewed, changed, exported or erased what (others get 404)."""
from __future__ import annotations

from flask import render_template, request
from flask_babel import gettext as _

from server.domain.access import Role
from server.domain.cases import ClosingReason
from server.domain.review import REASON_NAMES_EN, REASON_NAMES_ZH, ExclusionReason
from server.domain.clock import beijing_time, parse_day
from server.domain.paging import BY_TIME, decode_typed, page_of
from server.errors import NotFound
from server.queries import audit as queries
from server.queries import cases as case_queries
from server.queries import places as place_queries
from server.queries import submissions as submission_queries
from server.services.audit import audit_filters
from server.web import bp
from server.web.auth import current_user, login_required
from server.web.cases import CLOSING_REASON_LABELS
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
                           details={e.id: _details(e.detail or {}) for e in page},
                           filter_args={name: value for name, value in args.items() if value})


# What the log's details say, in words (values that are codes are translated on the page too).
DETAIL_LABELS = {"reason": N_("Reason"), "revoked": N_("Links revoked"), "review_state": N_("Review state"),
                 "note": N_("Note"), "period": N_("Period"), "format": N_("Format"), "installed_on": N_("Put up on"),
                 "members": N_("Household members"), "created": N_("Created"), "rows": N_("Rows"),
                 "submissions": N_("Submissions"), "files": N_("Files"),
                 "closing_reason": N_("Reason"), "included_again": N_("Counted again"), "filters": N_("Filters")}
HIDDEN_DETAILS = ("object_id", "instance_id")  # identifiers: the object column names and links to what they are


def _details(detail: dict) -> list[tuple[str, str]]:
    """An event's details as (label, words) pairs, never a code."""
    from flask_babel import get_locale

    english = str(get_locale()).startswith("en")
    words = []
    for key, value in detail.items():
        if key in HIDDEN_DETAILS:
            continue
        label = _(DETAIL_LABELS[key]) if key in DETAIL_LABELS else key
        words.append((label, _value_words(key, value, english)))
    return words


def _value_words(key: str, value: object, english: bool) -> str:
    if key == "closing_reason" and value in ClosingReason._value2member_map_:
        return _(CLOSING_REASON_LABELS[ClosingReason(value)])
    if key == "reason" and value in ExclusionReason._value2member_map_:
        return (REASON_NAMES_EN if english else REASON_NAMES_ZH)[ExclusionReason(value)]
    if key == "review_state" and isinstance(value, str):
        return _(value)
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, dict):
        return "; ".join(f"{k}={v}" for k, v in value.items())
    return "" if value is None else str(value)


def _object_names(events) -> dict[tuple[str, str], str]:
    """People read a case's label and a visit's form and time, not their IDs (one query each)."""
    case_ids = {e.object_id for e in events if e.object_type == "case" and e.object_id}
    instance_ids = {e.object_id for e in events if e.object_type == "submission" and e.object_id}
    names = {("case", case.id): case.label for case in case_queries.list_cases_by_ids(case_ids)}
    for code in {e.object_id for e in events if e.object_type == "station" and e.object_id}:
        station = place_queries.get_station_by_code(code)
        if station is not None:
            names[("station", code)] = station.official_name
    for submission in submission_queries.list_submissions_by_instance_ids(instance_ids):
        title = submission.form.current_version.title if submission.form.current_version else ""
        names[("submission", submission.instance_id)] = f"{title} · {beijing_time(submission.created_at)}"
    return names
