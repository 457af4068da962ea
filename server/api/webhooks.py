"""Subscriptions: webhooks and chat-group robots (admins and county supervisors, within their scope).

  GET    /api/v1/subscriptions                                  the subscriptions in the caller's scope
  POST   /api/v1/subscriptions                                  {"kind", "name", "url", "topics", "area"?, "secret"?}
  GET    /api/v1/subscriptions/<id>                             one, with its secret (webhooks) and state
  DELETE /api/v1/subscriptions/<id>
  POST   /api/v1/subscriptions/<id>/pause | /resume | /test     stop, deliver again, queue a test event
  GET    /api/v1/subscriptions/<id>/deliveries?before=&limit=   the delivery log, newest first
  POST   /api/v1/subscriptions/<id>/deliveries/<d>/resend       try a failed delivery again, now
"""
from __future__ import annotations

from flask import current_app, request
from marshmallow import Schema, fields, validate

from server.api import bp
from server.api.auth import authenticated, current_user
from server.api.schemas import load, load_args
from server.domain.access import Role
from server.domain.clock import beijing_iso
from server.models.events import Delivery, Subscription
from server.domain.events import masked_url
from server.services import accounts, webhooks

SUBSCRIBERS = (Role.ADMIN, Role.COUNTY)


class SubscriptionRequestSchema(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(["webhook", "wecom", "dingtalk", "feishu"]))
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    url = fields.String(required=True, validate=validate.Length(min=1, max=1000))
    topics = fields.List(fields.String(validate=validate.Length(max=40)), required=True,
                         validate=validate.Length(min=1, max=20))
    area = fields.String(load_default=None, validate=validate.Length(max=12))
    secret = fields.String(load_default=None, validate=validate.Length(max=200))


class PauseRequestSchema(Schema):
    reason = fields.String(load_default="", validate=validate.Length(max=500))


class DeliveryArgsSchema(Schema):
    before = fields.Integer(load_default=None, validate=validate.Range(min=1, max=2**31 - 1))
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=500))


def subscription_view(subscription: Subscription) -> dict:
    webhook = subscription.kind == "webhook"
    mine = webhooks.manageable(subscription, current_user())
    return {
        "id": subscription.id, "kind": subscription.kind.value, "name": subscription.name,
        "area": {"code": subscription.area_code, "name": subscription.area.name},
        "url": subscription.url if webhook else masked_url(subscription.url),
        # a webhook's HMAC key is its manager's to hand to the receiver; a robot's signing secret stays here
        "secret": subscription.secret if webhook and mine else None, "manageable": mine,
        "secret_set": bool(subscription.secret), "topics": list(subscription.topics or []),
        "active": subscription.active, "paused_reason": subscription.paused_reason,
        "paused_at": subscription.paused_at.isoformat() if subscription.paused_at else None,
        "consecutive_failures": subscription.consecutive_failures,
        "owner": subscription.owner.username if subscription.owner else None,
        "created_at": subscription.created_at.isoformat(),
    }


def delivery_view(delivery: Delivery) -> dict:
    return {
        "id": delivery.id, "event_id": delivery.event_id, "event_type": delivery.event_type,
        "sequence": delivery.event_seq or None, "status": delivery.status.value, "attempts": delivery.attempts,
        "response_code": delivery.response_code, "error": delivery.error,
        "created_at": beijing_iso(delivery.created_at),
        "last_attempt_at": beijing_iso(delivery.last_attempt_at) if delivery.last_attempt_at else None,
        "next_attempt_at": (beijing_iso(delivery.next_attempt_at) if delivery.status == "pending" else None),
        "delivered_at": beijing_iso(delivery.delivered_at) if delivery.delivered_at else None,
    }


def _mine(subscription_id: int) -> Subscription:
    """A subscription in the caller's scope (404 otherwise) that they may change (403 otherwise)."""
    return webhooks.subscription_to_manage(accounts.scope_of(current_user()), current_user(), subscription_id)


def _in_scope(subscription_id: int) -> Subscription:
    return webhooks.subscription_in_scope(accounts.scope_of(current_user()), subscription_id)


@bp.get("/subscriptions")
@authenticated(*SUBSCRIBERS)
def list_subscriptions():
    found = webhooks.subscriptions_in_scope(accounts.scope_of(current_user()))
    return {"subscriptions": [subscription_view(s) for s in found]}


@bp.post("/subscriptions")
@authenticated(*SUBSCRIBERS)
def create_subscription():
    body = load(SubscriptionRequestSchema(), request.get_json(silent=True))
    user = current_user()
    subscription = webhooks.create_subscription(
        user, accounts.scope_of(user), body["kind"], body["name"], body["url"], body["secret"], body["topics"],
        body["area"], bool(current_app.config["WEBHOOK_ALLOW_PRIVATE_TARGETS"]))
    return subscription_view(subscription), 201


@bp.get("/subscriptions/<int:subscription_id>")
@authenticated(*SUBSCRIBERS)
def get_subscription(subscription_id: int):
    return subscription_view(_in_scope(subscription_id))


@bp.delete("/subscriptions/<int:subscription_id>")
@authenticated(*SUBSCRIBERS)
def delete_subscription(subscription_id: int):
    webhooks.delete(_mine(subscription_id), current_user())
    return "", 204


@bp.post("/subscriptions/<int:subscription_id>/pause")
@authenticated(*SUBSCRIBERS)
def pause_subscription(subscription_id: int):
    subscription = _mine(subscription_id)
    body = load(PauseRequestSchema(), request.get_json(silent=True) or {})
    webhooks.pause(subscription, body["reason"].strip() or f"由 {current_user().username} 暂停 / paused by hand",
                   current_user())
    return subscription_view(subscription)


@bp.post("/subscriptions/<int:subscription_id>/resume")
@authenticated(*SUBSCRIBERS)
def resume_subscription(subscription_id: int):
    subscription = _mine(subscription_id)
    webhooks.resume(subscription, current_user())
    return subscription_view(subscription)


@bp.post("/subscriptions/<int:subscription_id>/test")
@authenticated(*SUBSCRIBERS)
def test_subscription(subscription_id: int):
    delivery = webhooks.send_test(_mine(subscription_id), current_user())
    return delivery_view(delivery), 202


@bp.get("/subscriptions/<int:subscription_id>/deliveries")
@authenticated(*SUBSCRIBERS)
def list_deliveries(subscription_id: int):
    args = load_args(DeliveryArgsSchema(), request.args)
    found = webhooks.delivery_log(_in_scope(subscription_id), args["limit"], args["before"])
    return {"deliveries": [delivery_view(d) for d in found],
            "next_before": found[-1].id if len(found) == args["limit"] else None}


@bp.post("/subscriptions/<int:subscription_id>/deliveries/<int:delivery_id>/resend")
@authenticated(*SUBSCRIBERS)
def resend_delivery(subscription_id: int, delivery_id: int):
    delivery = webhooks.resend(_mine(subscription_id), delivery_id, current_user())
    return delivery_view(delivery), 202


# ---- what the answers look like (the OpenAPI document) ----------------------------------------------------

class _AreaSchema(Schema):
    code = fields.String(required=True)
    name = fields.String(required=True)


class SubscriptionSchema(Schema):
    id = fields.Integer(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(["webhook", "wecom", "dingtalk", "feishu"]))
    name = fields.String(required=True)
    area = fields.Nested(_AreaSchema, required=True)
    url = fields.String(required=True)
    secret = fields.String(required=True, allow_none=True,
                           metadata={"description": "a webhook's HMAC-SHA256 key (robots: null)"})
    secret_set = fields.Boolean(required=True)
    manageable = fields.Boolean(required=True, metadata={"description": "the caller may change it and see its secret"})
    topics = fields.List(fields.String(), required=True,
                         metadata={"description": "event types (webhook) or alert rules (robots)"})
    active = fields.Boolean(required=True)
    paused_reason = fields.String(required=True, allow_none=True)
    paused_at = fields.String(required=True, allow_none=True)
    consecutive_failures = fields.Integer(required=True)
    owner = fields.String(required=True, allow_none=True)
    created_at = fields.String(required=True)


class SubscriptionListSchema(Schema):
    subscriptions = fields.List(fields.Nested(SubscriptionSchema), required=True)


class DeliverySchema(Schema):
    id = fields.Integer(required=True)
    event_id = fields.String(required=True, metadata={"description": "the Lastmeter-Event-Id header"})
    event_type = fields.String(required=True)
    sequence = fields.Integer(required=True, allow_none=True)
    status = fields.String(required=True, validate=validate.OneOf(["pending", "delivered", "failed"]))
    attempts = fields.Integer(required=True)
    response_code = fields.Integer(required=True, allow_none=True)
    error = fields.String(required=True, allow_none=True)
    created_at = fields.String(required=True, metadata={"description": "Beijing time (+08:00)"})
    last_attempt_at = fields.String(required=True, allow_none=True)
    next_attempt_at = fields.String(required=True, allow_none=True)
    delivered_at = fields.String(required=True, allow_none=True)


class DeliveryPageSchema(Schema):
    deliveries = fields.List(fields.Nested(DeliverySchema), required=True)
    next_before = fields.Integer(required=True, allow_none=True)
