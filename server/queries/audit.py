"""Queries on the audit log: newest first, keyset pages."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, tuple_

from server.extensions import db
from server.models import AuditEvent


@dataclass(frozen=True)
class AuditFilters:
    username: str | None = None
    object_type: str | None = None
    object_id: str | None = None
    created_from: datetime | None = None
    created_before: datetime | None = None


def list_audit_events(filters: AuditFilters, limit: int,
                      after: tuple[datetime, int] | None = None) -> list[AuditEvent]:
    query = select(AuditEvent)
    if filters.username:
        query = query.where(AuditEvent.username == filters.username)
    if filters.object_type:
        query = query.where(AuditEvent.object_type == filters.object_type)
    if filters.object_id:
        query = query.where(AuditEvent.object_id == filters.object_id)
    if filters.created_from:
        query = query.where(AuditEvent.created_at >= filters.created_from)
    if filters.created_before:
        query = query.where(AuditEvent.created_at < filters.created_before)
    if after is not None:
        query = query.where(tuple_(AuditEvent.created_at, AuditEvent.id) < after)
    query = query.order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc()).limit(limit)
    return list(db.session.scalars(query))
