"""Subscriptions and their deliveries (docs/events.md): webhooks to other systems and robots of chat groups.

An admin or county user subscribes a URL within their scope. The ``deliveries`` consumer of the outbox turns each
numbered event into one delivery per matching subscription (in the same transaction as it moves its cursor). The
job workers then claim due deliveries — a lease for the time of one attempt — POST them, and record the outcome:
delivered, or tried again later (about a minute, doubling, up to a day, with jitter), or failed when the attempts
are spent; a failed delivery is resent only by hand. A receiver that answers 410, or whose deliveries keep failing,
pauses its subscription, with the reason shown to its owner. Deliveries of one object to one subscription go in the
order of its events: a later one waits while an earlier one is still pending.
"""
from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, exists, or_, select, update
from sqlalchemy.orm import aliased

from server.adapters.http import TargetRefused, check_target
from server.domain.access import Role, Scope
from server.domain.events import (
    ROBOT_KINDS,
    TEST_EVENT,
    AlertRule,
    AttemptOutcome,
    DeliveryStatus,
    EventType,
    RetryPolicy,
    TargetKind,
    next_attempt,
)
from server.errors import Conflict, Forbidden, InvalidValue, NotFound
from server.extensions import db
from server.models import User
from server.models.events import Delivery, OutboxEvent, Subscription
from server.models.types import utcnow
from server.queries import places as place_queries
from server.services import audit

SUBSCRIBER_ROLES = (Role.ADMIN, Role.COUNTY)
MAX_NAME = 100
MAX_URL = 1000


@dataclass(frozen=True)
class DeliverySettings:
    timeout_seconds: float
    policy: RetryPolicy
    allow_private: bool

    @classmethod
    def from_config(cls, config) -> "DeliverySettings":
        return cls(timeout_seconds=float(config["WEBHOOK_TIMEOUT_SECONDS"]),
                   policy=RetryPolicy(max_attempts=int(config["WEBHOOK_MAX_ATTEMPTS"]),
                                      base_seconds=float(config["WEBHOOK_RETRY_BASE_SECONDS"])),
                   allow_private=bool(config["WEBHOOK_ALLOW_PRIVATE_TARGETS"]))


# ---- subscriptions ---------------------------------------------------------------------------------------

def create_subscription(user: User, scope: Scope, kind: str, name: str, url: str, secret: str | None,
                        topics: list[str], area_code: str | None, allow_private: bool) -> Subscription:
    """Subscribe ``url``. A webhook gets a new random secret (shown to its owner); a robot keeps the signing
    secret its platform gave (DingTalk, Feishu; WeCom robots have none)."""
    if user.role not in SUBSCRIBER_ROLES:
        raise Forbidden()
    try:
        kind = TargetKind(kind)
    except ValueError:
        raise InvalidValue(field="kind", reason="应为 webhook、wecom、dingtalk 或 feishu / webhook, wecom, dingtalk "
                                                "or feishu") from None
    name = (name or "").strip()[:MAX_NAME]
    if not name:
        raise InvalidValue(field="name", reason="请起一个名称，如“省平台对接” / give it a name")
    url = (url or "").strip()
    if len(url) > MAX_URL:
        raise InvalidValue(field="url", reason="网址过长 / the URL is too long")
    try:
        check_target(url, allow_private)
    except TargetRefused as refused:
        raise InvalidValue(field="url", reason=str(refused)) from None
    area = place_queries.get_area_by_code(area_code or scope.area_code)
    if area is None or not scope.contains_path(area.path):
        raise InvalidValue(field="area", reason="只能订阅本人管辖范围内的地区 / choose an area within your scope")
    topics = _topics(kind, topics)
    if kind == TargetKind.WEBHOOK:
        secret = secrets.token_urlsafe(32)
    else:
        secret = (secret or "").strip()[:200] or None
        if kind in (TargetKind.DINGTALK, TargetKind.FEISHU) and not secret:
            raise InvalidValue(field="secret", reason="请填写机器人安全设置中的“加签”/“签名校验”密钥 / give the robot's "
                                                      "signing secret")
    subscription = Subscription(kind=kind, name=name, owner_id=user.id, area_code=area.code, area_path=area.path,
                                url=url, secret=secret, topics=topics, active=True, consecutive_failures=0)
    db.session.add(subscription)
    db.session.flush()
    audit.record("subscription.create", "subscription", str(subscription.id),
                 {"kind": kind.value, "area": area.code, "topics": topics}, user)
    return subscription


def _topics(kind: TargetKind, topics: list[str]) -> list[str]:
    allowed = [r.value for r in AlertRule] if kind in ROBOT_KINDS else [t.value for t in EventType]
    chosen = [t for t in allowed if t in set(topics or [])]
    unknown = sorted(set(topics or []) - set(allowed))
    if unknown:
        raise InvalidValue(field="topics", reason=f"未知的类型 / unknown: {', '.join(unknown)[:200]}")
    if not chosen:
        raise InvalidValue(field="topics", reason="请至少选择一项 / choose at least one")
    return chosen


def subscriptions_in_scope(scope: Scope) -> list[Subscription]:
    return list(db.session.scalars(select(Subscription).where(
        Subscription.area_path.startswith(scope.area_path, autoescape=True)).order_by(Subscription.id)))


ID_MAX = 2**31 - 1  # the id columns are INTEGER


def subscription_in_scope(scope: Scope, subscription_id: int) -> Subscription:
    subscription = db.session.get(Subscription, subscription_id) if 0 < subscription_id <= ID_MAX else None
    if subscription is None or not scope.contains_path(subscription.area_path):
        raise NotFound(what="推送订阅", key=str(subscription_id))
    return subscription


def manageable(subscription: Subscription, user: User) -> bool:
    """Who may see a webhook's secret and change a subscription: its owner, and anyone whose scope holds the
    owner's (an admin over a county's; two supervisors of one county) — not a county supervisor looking at the
    city's subscription for their county, which they may only read."""
    owner = subscription.owner
    if owner is None or owner.id == user.id:
        return True
    return user.role in SUBSCRIBER_ROLES and owner.scope_area.path.startswith(user.scope_area.path)


def subscription_to_manage(scope: Scope, user: User, subscription_id: int) -> Subscription:
    subscription = subscription_in_scope(scope, subscription_id)
    if not manageable(subscription, user):
        raise Forbidden()
    return subscription


def owner_may_receive(subscription: Subscription) -> str | None:
    """Why the owner can no longer have events masked for them and sent (None: they can): an account disabled,
    or a role or scope that no longer covers the subscription's area."""
    owner = subscription.owner
    if owner is None or not owner.active:
        return "订阅者账号已停用，推送已暂停 / the subscriber's account is disabled; paused"
    if owner.role not in SUBSCRIBER_ROLES or not subscription.area_path.startswith(owner.scope_area.path):
        return "订阅者的角色或管辖范围已不含该地区，推送已暂停 / the subscriber no longer covers this area; paused"
    return None


def pause(subscription: Subscription, reason: str, user: User | None) -> None:
    subscription.active = False
    subscription.paused_reason = reason[:500]
    subscription.paused_at = utcnow()
    audit.record("subscription.pause", "subscription", str(subscription.id), {"reason": reason[:500]}, user)


def resume(subscription: Subscription, user: User) -> int:
    """Deliver again; what waited while paused is due now. Returns how many deliveries are pending."""
    subscription.active = True
    subscription.paused_reason = subscription.paused_at = None
    subscription.consecutive_failures = 0
    now = utcnow()
    moved = db.session.execute(update(Delivery).where(
        Delivery.subscription_id == subscription.id, Delivery.status == DeliveryStatus.PENDING,
        or_(Delivery.leased_until.is_(None), Delivery.leased_until < now))  # not one being sent right now
        .values(next_attempt_at=now, leased_until=None)).rowcount
    audit.record("subscription.resume", "subscription", str(subscription.id), user=user)
    return moved


def delete(subscription: Subscription, user: User) -> None:
    audit.record("subscription.delete", "subscription", str(subscription.id),
                 {"kind": subscription.kind.value, "url_host": _host(subscription.url)}, user)
    db.session.delete(subscription)
    db.session.flush()


def _host(url: str) -> str:
    from urllib.parse import urlsplit

    return urlsplit(url).hostname or ""


def send_test(subscription: Subscription, user: User) -> Delivery:
    """Queue a test event for this one subscription (never in the outbox, never in the change feed)."""
    event_id = str(uuid.uuid4())
    delivery = Delivery(subscription_id=subscription.id, event_seq=0, event_id=event_id, event_type=TEST_EVENT,
                        object_key=f"test:{event_id}", status=DeliveryStatus.PENDING, attempts=0,
                        next_attempt_at=utcnow())
    db.session.add(delivery)
    db.session.flush()
    audit.record("subscription.test", "subscription", str(subscription.id), user=user)
    return delivery


def resend(subscription: Subscription, delivery_id: int, user: User) -> Delivery:
    """Try a failed (or delivered) delivery again, now, with a fresh set of attempts."""
    delivery = db.session.get(Delivery, delivery_id) if 0 < delivery_id <= ID_MAX else None
    if delivery is None or delivery.subscription_id != subscription.id:
        raise NotFound(what="推送记录", key=str(delivery_id))
    if delivery.status == DeliveryStatus.PENDING:
        raise Conflict(reason="这条推送仍在发送队列中，无需重发 / this delivery is still pending")
    delivery.status, delivery.attempts, delivery.next_attempt_at = DeliveryStatus.PENDING, 0, utcnow()
    delivery.leased_until = delivery.error = None
    audit.record("subscription.resend", "subscription", str(subscription.id), {"delivery": delivery.id}, user)
    db.session.flush()
    return delivery


def delivery_log(subscription: Subscription, limit: int = 100, before: int | None = None) -> list[Delivery]:
    query = select(Delivery).where(Delivery.subscription_id == subscription.id)
    if before:
        query = query.where(Delivery.id < before)
    return list(db.session.scalars(query.order_by(Delivery.id.desc()).limit(limit)))


# ---- fan-out: the outbox consumer ------------------------------------------------------------------------

CONSUMER = "deliveries"


def fan_out(events: list[OutboxEvent]) -> int:
    """One delivery per event and subscription that wants it: in its area, of a chosen type (webhooks) or an
    alert of a chosen rule (robots). Paused subscriptions get theirs too, sent when resumed."""
    subscriptions = list(db.session.scalars(select(Subscription)))
    made = 0
    for event in events:
        for subscription in subscriptions:
            if not event.area_path.startswith(subscription.area_path) or not wants(subscription, event):
                continue
            db.session.add(Delivery(subscription_id=subscription.id, event_seq=event.seq, event_id=event.event_id,
                                    event_type=event.type, object_key=f"{event.object_type}:{event.object_id}",
                                    status=DeliveryStatus.PENDING, attempts=0, next_attempt_at=event.occurred_at))
            made += 1
    return made


def wants(subscription: Subscription, event: OutboxEvent) -> bool:
    if subscription.kind == TargetKind.WEBHOOK:
        return event.type in subscription.topics
    return event.type == EventType.ALERT_RAISED and event.facts.get("rule") in subscription.topics


# ---- claiming and recording attempts ---------------------------------------------------------------------

def claim_due(limit: int, lease: timedelta, policy: RetryPolicy, now: datetime | None = None) -> list[Delivery]:
    """Lease up to ``limit`` due deliveries of active subscriptions, for one attempt each. Not one whose object
    has an earlier delivery to the same subscription still pending (per object, in order).

    Each claim is a conditional update (still pending, lease free), so two workers never hold one delivery, on
    SQLite as on PostgreSQL. The attempt is counted and the next one scheduled at the claim: a delivery whose
    worker is killed mid-way is taken up again after its lease and the backoff, and one that kills its worker
    every time still runs out of attempts."""
    now = now or utcnow()
    earlier = aliased(Delivery)
    blocked = exists().where(and_(earlier.subscription_id == Delivery.subscription_id,
                                  earlier.object_key == Delivery.object_key,
                                  earlier.event_seq < Delivery.event_seq,
                                  earlier.status == DeliveryStatus.PENDING))
    free = or_(Delivery.leased_until.is_(None), Delivery.leased_until < now)
    query = (select(Delivery.id, Delivery.attempts).join(Subscription, Subscription.id == Delivery.subscription_id)
             .where(Delivery.status == DeliveryStatus.PENDING, Delivery.next_attempt_at <= now, free,
                    Subscription.active.is_(True), ~blocked)
             .order_by(Delivery.event_seq, Delivery.id).limit(limit))
    if db.engine.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True, of=Delivery)
    claimed: list[int] = []
    for delivery_id, attempts in db.session.execute(query).all():
        if attempts >= policy.max_attempts:  # its attempts were spent by workers that never came back
            db.session.execute(update(Delivery).where(Delivery.id == delivery_id, free).values(
                status=DeliveryStatus.FAILED, leased_until=None,
                error="发送中工作进程多次中断，已放弃 / every attempt was cut off by a stopped worker"))
            continue
        retry_at = next_attempt(now, attempts + 1, policy) or now
        taken = db.session.execute(update(Delivery).where(
            Delivery.id == delivery_id, Delivery.status == DeliveryStatus.PENDING, free).values(
            leased_until=now + lease, attempts=attempts + 1, last_attempt_at=now, next_attempt_at=retry_at)).rowcount
        if taken == 1:
            claimed.append(delivery_id)
    if not claimed:
        return []
    db.session.expire_all()
    return list(db.session.scalars(select(Delivery).where(Delivery.id.in_(claimed)).order_by(Delivery.event_seq,
                                                                                              Delivery.id)))


def record_outcome(delivery_id: int, attempt: int, outcome: AttemptOutcome, policy: RetryPolicy,
                   now: datetime | None = None) -> Delivery | None:
    """What attempt number ``attempt`` came to. Nothing is recorded when the delivery has moved on meanwhile (a
    later attempt claimed it after this one's lease ran out, a resend, a deletion)."""
    now = now or utcnow()
    delivery = db.session.get(Delivery, delivery_id)
    if delivery is None or delivery.status != DeliveryStatus.PENDING or delivery.attempts != attempt:
        return delivery
    subscription = delivery.subscription
    delivery.leased_until = None
    delivery.response_code, delivery.error = outcome.response_code, outcome.error
    if outcome.delivered:
        delivery.status, delivery.delivered_at = DeliveryStatus.DELIVERED, now
        subscription.consecutive_failures = 0
        return delivery
    if outcome.gone:
        delivery.next_attempt_at = now  # sent again when the subscription is resumed
        if subscription.active:
            pause(subscription, "接收方答复 410 Gone（不再接收），推送已暂停；确认接收方恢复后点“恢复推送”。"
                                " The receiver answered 410 Gone; resume once it accepts events again."
                  if outcome.response_code == 410 else (outcome.error or ""), None)
        return delivery
    retry_at = next_attempt(now, delivery.attempts, policy)
    if retry_at is not None:
        delivery.next_attempt_at = retry_at
        return delivery
    delivery.status = DeliveryStatus.FAILED
    subscription.consecutive_failures += 1
    if subscription.active and subscription.consecutive_failures >= policy.pause_after_failed:
        pause(subscription, f"连续 {subscription.consecutive_failures} 条推送在全部重试后仍失败（最近一次：{outcome.error}），"
                            f"推送已暂停。 {subscription.consecutive_failures} deliveries in a row failed after every "
                            f"retry (last: {outcome.error}); paused.", None)
    return delivery
