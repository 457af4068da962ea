"""The audit log: who viewed, changed, exported or erased which case and submission (PIPL art. 51, 54).

``record`` adds one event in the caller's transaction, so it is committed with the request's one commit
(and rolled back with it: a request that failed showed nothing). The actor is the signed-in user of the
page or API request and the client address as ``ProxyFix`` resolved it; outside a request (the command
line) the actor is ``cli``. Viewing the audit log is itself not recorded (it holds no personal data).
"""
from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from flask import g, has_request_context, request

from server.domain.clock import day_start_utc
from server.extensions import db
from server.models import AuditEvent, User
from server.queries.audit import AuditFilters

CLI_ACTOR = "cli"


OBJECT_ID_LENGTH = 255  # the column's length; a longer ID is cut there and kept whole in the detail


def record(action: str, object_type: str, object_id: str | None = None, detail: dict[str, Any] | None = None,
           user: User | None = None) -> AuditEvent:
    """Note that the current user did ``action`` (``case.view``, ``submission.review``, ``export``…) to an object."""
    actor = user or _current_user()
    if object_id is not None and len(object_id) > OBJECT_ID_LENGTH:  # e.g. an instance ID and a long file name
        detail = {**(detail or {}), "object_id": object_id}
        object_id = object_id[:OBJECT_ID_LENGTH]
    event = AuditEvent(user_id=actor.id if actor else None, username=actor.username if actor else CLI_ACTOR,
                       action=action, object_type=object_type, object_id=object_id, detail=detail or None,
                       client_ip=request.remote_addr if has_request_context() else None)
    db.session.add(event)
    return event


def _current_user() -> User | None:
    if not has_request_context():
        return None
    return g.get("web_user") or g.get("api_user")


def audit_filters(username: str | None, object_type: str | None, object_id: str | None,
                  day_from: date | None, day_to: date | None) -> AuditFilters:
    """The log's filters from a page's or the API's arguments; days are China days, both ends included."""
    return AuditFilters(username=username or None, object_type=object_type or None, object_id=object_id or None,
                        created_from=day_start_utc(day_from) if day_from else None,
                        created_before=day_start_utc(day_to + timedelta(days=1)) if day_to else None)
