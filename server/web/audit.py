"""The audit log page, for administrators: who viewed, changed, exported or erased what (others get 404)."""
from __future__ import annotations

from flask import render_template, request

from server.domain.access import Role
from server.domain.clock import parse_day
from server.domain.paging import BY_TIME, decode_typed, page_of
from server.errors import NotFound
from server.queries import audit as queries
from server.services.audit import audit_filters
from server.web import bp
from server.web.auth import current_user, login_required

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
    return render_template("audit.html", events=page, next_cursor=next_cursor, args=args,
                           filter_args={name: value for name, value in args.items() if value})
