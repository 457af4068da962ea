"""Alerts raised for chat groups, as a list (office roles, scoped).

  GET /api/v1/alerts?rule=&limit=&cursor=   newest first
"""
from __future__ import annotations

from flask import request
from marshmallow import Schema, fields, validate

from server.api import bp
from server.api.auth import authenticated, current_user
from server.api.schemas import load_args
from server.domain.access import Role
from server.domain.events import RULE_NAMES_ZH, AlertRule
from server.domain.paging import BY_TIME, decode_typed, page_of
from server.extensions import db
from server.models.events import Alert
from server.queries import events as queries
from server.services import accounts


class AlertArgsSchema(Schema):
    rule = fields.String(load_default=None, validate=validate.OneOf([r.value for r in AlertRule]))
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=500))
    cursor = fields.String(load_default=None, validate=validate.Length(max=1024))


@bp.get("/alerts")
@authenticated(Role.ADMIN, Role.COUNTY, Role.STATION)
def list_alerts():
    args = load_args(AlertArgsSchema(), request.args)
    before = decode_typed(args["cursor"], *BY_TIME) if args["cursor"] else None
    found = queries.list_alerts(accounts.scope_of(current_user()), args["limit"] + 1, before, args["rule"])
    page, cursor = page_of(found, args["limit"], lambda a: (a.raised_at.isoformat(), a.id))
    return {"alerts": [_view(a) for a in page], "next_cursor": cursor}


def _view(alert: Alert) -> dict:
    return {"id": alert.id, "rule": alert.rule, "rule_name": RULE_NAMES_ZH[AlertRule(alert.rule)],
            "station_code": alert.station_code, "object": ({"type": alert.object_type, "id": alert.object_id}
                                                           if alert.object_type else None),
            "day": alert.day.isoformat() if alert.day else None, "facts": alert.facts,
            "raised_at": alert.raised_at.isoformat()}


def alert_view(alert_id: int) -> dict | None:
    alert = db.session.get(Alert, alert_id)
    return _view(alert) if alert else None


class _AlertObjectSchema(Schema):
    type = fields.String(required=True)
    id = fields.String(required=True)


class AlertSchema(Schema):
    id = fields.Integer(required=True)
    rule = fields.String(required=True, validate=validate.OneOf([r.value for r in AlertRule]))
    rule_name = fields.String(required=True)
    station_code = fields.String(required=True)
    object = fields.Nested(_AlertObjectSchema, required=True, allow_none=True)
    day = fields.String(required=True, allow_none=True)
    facts = fields.Dict(required=True)
    raised_at = fields.String(required=True)


class AlertPageSchema(Schema):
    alerts = fields.List(fields.Nested(AlertSchema), required=True)
    next_cursor = fields.String(required=True, allow_none=True)
