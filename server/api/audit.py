"""The audit log, for administrators (others get 404, as for anything outside their scope).

  GET /api/v1/audit    filters: user, object_type, object_id, from, to (China days); newest first, keyset pages
"""
from __future__ import annotations

from flask import request

from server.api import bp
from server.api.auth import authenticated, current_user
from server.api.schemas import AuditArgsSchema, AuditEventSchema, load_args
from server.domain.access import Role
from server.domain.paging import BY_TIME, decode_typed, page_of
from server.errors import NotFound
from server.queries import audit as queries
from server.services.audit import audit_filters


@bp.get("/audit")
@authenticated()
def list_audit_events():
    if current_user().role != Role.ADMIN:
        raise NotFound(what="资源", key=request.path)
    args = load_args(AuditArgsSchema(), request.args)
    filters = audit_filters(args["user"], args["object_type"], args["object_id"], args["date_from"], args["date_to"])
    after = decode_typed(args["cursor"], *BY_TIME) if args["cursor"] else None
    found = queries.list_audit_events(filters, args["limit"] + 1, after)
    page, cursor = page_of(found, args["limit"], lambda e: (e.created_at.isoformat(), e.id))
    return {"events": AuditEventSchema(many=True).dump(page), "next_cursor": cursor}
