"""The change feed, and the one shape of an event body (webhook payloads use it too).

  GET /api/v1/changes?after=CURSOR&limit=N   numbered events after the cursor, in order, within the caller's
                                              scope, each with its object as the caller may see it; and the next
                                              cursor. Following it yields every event exactly once (docs/events.md).
"""
from __future__ import annotations

from flask import current_app, request
from marshmallow import Schema, fields, validate

from server.api import bp
from server.api.auth import authenticated, current_user
from server.api.schemas import load_args
from server.domain.events import TEST_EVENT
from server.domain.access import Role
from server.domain.paging import decode_typed, encode_cursor, row_id
from server.models import User
from server.models.events import OutboxEvent
from server.queries import submissions as submission_queries
from server.services import accounts, audit, outbox
from server.queries import cases as case_queries
from server.queries import places as place_queries

SEQ_CURSOR = (row_id,)  # the last sequence number read

class ChangesArgsSchema(Schema):
    after = fields.String(load_default=None, validate=validate.Length(max=1024))
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=500))


@bp.get("/changes")
@authenticated(Role.ADMIN, Role.COUNTY, Role.STATION)
def list_changes():
    user = current_user()
    args = load_args(ChangesArgsSchema(), request.args)
    after = decode_typed(args["after"], *SEQ_CURSOR)[0] if args["after"] else 0
    scope = accounts.scope_of(user)
    found, position = outbox.events_after(after, args["limit"], scope.area_path)
    if found:  # what was read, like an export: the objects inside are personal data
        audit.record("changes.read", "export", "changes",
                     {"events": len(found), "from": found[0].seq, "to": found[-1].seq})
    return {"events": [event_body(event, user) for event in found], "next_cursor": encode_cursor(position),
            "more": len(found) == args["limit"]}


def event_body(event: OutboxEvent, viewer: User) -> dict:
    """An event as ``viewer`` may see it: what happened, where, to which object at which version, and the object
    now — masked for the viewer's role exactly as the API's own answers (None once it is gone)."""
    station = place_queries.get_station_by_code(event.station_code) if event.station_code else None
    return {
        "id": event.event_id, "type": event.type, "sequence": event.seq,
        "occurred_at": event.occurred_at.isoformat(),
        "station": {"code": event.station_code, "name": station.official_name if station else None},
        "object": {"type": event.object_type, "id": event.object_id, "version": event.object_version},
        "data": _object_now(event, viewer),
    }


def _object_now(event: OutboxEvent, viewer: User) -> dict | None:
    if event.object_type == "submission":
        from server.api.schemas import SubmissionDetailSchema
        from server.api.submissions import submission_view

        submission = submission_queries.get_submission_by_instance_id(event.object_id)
        return SubmissionDetailSchema().dump(submission_view(submission, viewer)) if submission else None
    if event.object_type == "case":
        from server.api.cases import case_view

        case = case_queries.get_case_by_id(event.object_id)
        return case_view(case, viewer) if case else None
    if event.object_type == "alert":
        from server.api.alerts import alert_view

        return alert_view(int(event.object_id))
    return None


def test_body(event_id: str, subscription_name: str) -> dict:
    """The body of "send a test event": the same envelope, nothing real inside."""
    from server.models.types import utcnow

    return {"id": event_id, "type": TEST_EVENT, "sequence": None, "occurred_at": utcnow().isoformat(),
            "station": None, "object": None,
            "data": {"message": f"Lastmeter 推送测试：{subscription_name} / a test event from Lastmeter",
                     "public_url": current_app.config["PUBLIC_URL"]}}


class _StationSchema(Schema):
    code = fields.String(required=True, allow_none=True)
    name = fields.String(required=True, allow_none=True)


class _ObjectSchema(Schema):
    type = fields.String(required=True)
    id = fields.String(required=True)
    version = fields.Integer(required=True, metadata={"description": "1, 2, 3… per object, in commit order"})


class EventSchema(Schema):
    id = fields.String(required=True, metadata={"description": "the event's UUID (Lastmeter-Event-Id)"})
    type = fields.String(required=True)
    sequence = fields.Integer(required=True, allow_none=True)
    occurred_at = fields.String(required=True)
    station = fields.Nested(_StationSchema, required=True, allow_none=True)
    object = fields.Nested(_ObjectSchema, required=True, allow_none=True)
    data = fields.Dict(required=True, allow_none=True,
                       metadata={"description": "the object now, as GET of it answers the caller; null once gone"})


class ChangesPageSchema(Schema):
    events = fields.List(fields.Nested(EventSchema), required=True)
    next_cursor = fields.String(required=True, metadata={"description": "pass as `after` to read on"})
    more = fields.Boolean(required=True, metadata={"description": "a full page: read on at once"})
