"""Were the visits real? The authenticity flags a visit was given, with what each rests on, and the thresholds a
county set for its own (docs/authenticity.md)."""
from __future__ import annotations

from datetime import datetime
from typing import Optional

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.extensions import db
from server.models.types import UTCDateTime, utcnow


class VisitFlag(db.Model):
    """One authenticity flag of one visit (``domain/flags.py`` code) and what it rests on, in ``detail``: the
    distance and the reference used, the other visits, the speed… — shown in words on the visit's page and counted
    per station, worker and month by the visit-quality view. ``Submission.flags`` carries the same codes (the
    list's filter); a row is never removed by a later check, only the reviewer's verdict answers it."""

    __tablename__ = "visit_flag"

    submission_id: Mapped[int] = mapped_column(ForeignKey("submission.id", ondelete="CASCADE"), primary_key=True)
    code: Mapped[str] = mapped_column(String(30), primary_key=True)
    detail: Mapped[dict] = mapped_column(JSON, default=dict)
    raised_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (Index("ix_visit_flag_code", "code", "submission_id"),)


class AuthenticityThresholds(db.Model):
    """A county's own thresholds for the flags (``domain/authenticity.py`` ``Thresholds``), only those it changed;
    the rest keep the defaults. Set by the county's supervisors or an admin, with who and when."""

    __tablename__ = "authenticity_thresholds"

    county_code: Mapped[str] = mapped_column(ForeignKey("area.code"), primary_key=True)
    values: Mapped[dict] = mapped_column(JSON, default=dict)
    updated_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime())
    updated_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))

    updated_by: Mapped[Optional["User"]] = relationship()  # noqa: F821
