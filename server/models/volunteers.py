"""Volunteer service (POLICY.md §5.6, §4.4): the hours each volunteer served, from the station's service records,
and the certificates of those hours (docs/volunteers.md)."""
from __future__ import annotations

from datetime import date, datetime
from typing import Optional

from sqlalchemy import JSON, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.extensions import db
from server.models.types import UTCDateTime, utcnow


class VolunteerHours(db.Model):
    """One volunteer's part in one service record (a ``volunteer_service`` submission), rebuilt whenever the
    record is edited. A volunteer registered from the phone has no staff record until the record is approved."""

    __tablename__ = "volunteer_hours"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submission.id", ondelete="CASCADE"), index=True)
    station_code: Mapped[str] = mapped_column(String(12))
    service_date: Mapped[date] = mapped_column(Date)
    staff_member_id: Mapped[Optional[int]] = mapped_column(ForeignKey("staff_member.id", ondelete="SET NULL"))
    new_name: Mapped[Optional[str]] = mapped_column(String(50))   # registered on the phone, waiting for review
    new_gender: Mapped[Optional[str]] = mapped_column(String(10))
    new_phone: Mapped[Optional[str]] = mapped_column(String(20))
    minutes: Mapped[int] = mapped_column(Integer)  # hours × 60: sums stay exact on both databases

    staff_member: Mapped[Optional["StaffMember"]] = relationship()  # noqa: F821

    __table_args__ = (
        Index("ix_volunteer_hours_station_date", "station_code", "service_date"),
        Index("ix_volunteer_hours_member_date", "staff_member_id", "service_date"),
    )


class VolunteerCertificate(db.Model):
    """A 志愿服务证明: numbered, with the facts it certifies copied at issue, verifiable by its QR code, revocable."""

    __tablename__ = "volunteer_certificate"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    token: Mapped[str] = mapped_column(String(40), unique=True)  # the public verification link's key
    staff_member_id: Mapped[Optional[int]] = mapped_column(ForeignKey("staff_member.id", ondelete="SET NULL"))
    volunteer_name: Mapped[str] = mapped_column(String(50))
    station_code: Mapped[str] = mapped_column(String(12), index=True)
    station_name: Mapped[str] = mapped_column(String(200))
    period_from: Mapped[date] = mapped_column(Date)
    period_to: Mapped[date] = mapped_column(Date)
    minutes: Mapped[int] = mapped_column(Integer)
    activities: Mapped[int] = mapped_column(Integer)
    activity_lines: Mapped[list] = mapped_column(JSON, default=list)  # [day, title, minutes] as certified
    issued_on: Mapped[date] = mapped_column(Date)
    issued_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    revoked_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime())
    revoked_reason: Mapped[Optional[str]] = mapped_column(Text)
