"""Events out (docs/events.md): the outbox of domain events, consumers' progress, subscriptions (webhooks and chat
robots), their deliveries, and the alerts raised for chat groups."""
from __future__ import annotations

from datetime import date, datetime
from typing import Optional

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.domain.events import DeliveryStatus, TargetKind
from server.extensions import db
from server.models.types import UTCDateTime, str_enum, utcnow


class OutboxEvent(db.Model):
    """One domain event, written in the same transaction as the change it reports.

    ``id`` is the insertion order, which is not the commit order; ``seq`` is given by the one sequencer to
    committed events only, in increasing order, so a reader following ``seq`` never skips one (docs/events.md).
    """

    __tablename__ = "outbox_event"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[Optional[int]] = mapped_column(Integer, unique=True)
    event_id: Mapped[str] = mapped_column(String(36), unique=True)  # a UUID: the receivers' idempotency key
    type: Mapped[str] = mapped_column(String(40))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    station_code: Mapped[Optional[str]] = mapped_column(String(12))
    area_path: Mapped[str] = mapped_column(String(120))  # the station's (or area's) path: scopes are prefixes of it
    object_type: Mapped[str] = mapped_column(String(20))
    object_id: Mapped[str] = mapped_column(String(255))
    object_version: Mapped[int] = mapped_column(Integer)  # 1, 2, 3… per object, in the order its changes committed
    facts: Mapped[dict] = mapped_column(JSON, default=dict)  # plain, non-personal facts the alert rules read

    __table_args__ = (
        Index("ix_outbox_event_object", "object_type", "object_id", "object_version"),
        Index("ix_outbox_event_unsequenced", "seq", "id"),
    )


class OutboxCursor(db.Model):
    """How far a consumer of the outbox got (the last ``seq`` it committed the work of); the row is also the lock
    that keeps two workers from running the same consumer at once."""

    __tablename__ = "outbox_cursor"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Subscription(db.Model):
    """Where events go: a webhook URL (events of chosen types) or a chat group robot (alerts of chosen rules),
    within an area of its owner's scope."""

    __tablename__ = "subscription"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[TargetKind] = mapped_column(str_enum(TargetKind))
    name: Mapped[str] = mapped_column(String(100))
    owner_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    area_code: Mapped[str] = mapped_column(ForeignKey("area.code"))
    area_path: Mapped[str] = mapped_column(String(120))
    url: Mapped[str] = mapped_column(String(1000))
    secret: Mapped[Optional[str]] = mapped_column(String(200))  # HMAC key of a webhook; a robot's signing secret
    topics: Mapped[list] = mapped_column(JSON, default=list)  # event types (webhook) or alert rules (robots)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    paused_reason: Mapped[Optional[str]] = mapped_column(Text)
    paused_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime())
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    owner: Mapped[Optional["User"]] = relationship()  # noqa: F821
    area: Mapped["Area"] = relationship()  # noqa: F821


class Delivery(db.Model):
    """One event on its way to one subscription: tried until delivered, or failed after the last attempt (and
    then resent only by hand). A worker leases it for the time of one attempt: killed mid-way, the lease runs
    out and the delivery is tried again (at least once; the receiver dedupes by event id)."""

    __tablename__ = "delivery"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subscription_id: Mapped[int] = mapped_column(ForeignKey("subscription.id", ondelete="CASCADE"))
    event_seq: Mapped[int] = mapped_column(Integer)
    event_id: Mapped[str] = mapped_column(String(36))
    event_type: Mapped[str] = mapped_column(String(40))
    object_key: Mapped[str] = mapped_column(String(280))  # object_type:object_id, for the order per object
    status: Mapped[DeliveryStatus] = mapped_column(str_enum(DeliveryStatus), default=DeliveryStatus.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    leased_until: Mapped[Optional[datetime]] = mapped_column(UTCDateTime())
    last_attempt_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime())
    response_code: Mapped[Optional[int]] = mapped_column(Integer)
    error: Mapped[Optional[str]] = mapped_column(Text)
    delivered_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    subscription: Mapped[Subscription] = relationship()

    __table_args__ = (
        UniqueConstraint("subscription_id", "event_id", name="uq_delivery_subscription_event"),
        Index("ix_delivery_due", "status", "next_attempt_at"),
        Index("ix_delivery_order", "subscription_id", "object_key", "event_seq"),
        Index("ix_delivery_log", "subscription_id", "id"),
    )


class Alert(db.Model):
    """Something a chat group should hear of (docs/events.md, "Alerts"), raised once per ``dedupe_key``."""

    __tablename__ = "alert"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    rule: Mapped[str] = mapped_column(String(30))
    station_code: Mapped[str] = mapped_column(String(12))
    area_path: Mapped[str] = mapped_column(String(120))
    object_type: Mapped[Optional[str]] = mapped_column(String(20))
    object_id: Mapped[Optional[str]] = mapped_column(String(255))
    day: Mapped[Optional[date]] = mapped_column(Date)  # the China day of a digest or of a case's due date
    facts: Mapped[dict] = mapped_column(JSON, default=dict)  # counts of a digest, the answer that raised it
    source_event_id: Mapped[Optional[str]] = mapped_column(String(36))
    dedupe_key: Mapped[str] = mapped_column(String(300), unique=True)
    raised_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (Index("ix_alert_path_raised", "area_path", "raised_at", "id"),)
