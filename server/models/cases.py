"""Cases (服务对象): the people and households a station serves — ODK entities of the list ``cases``."""
from __future__ import annotations

from datetime import date, datetime
from typing import Optional

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.domain.clock import today_in_china
from server.domain.cases import CaseCategory, CaseEventKind, CaseStatus, ClosingReason, RiskLevel
from server.extensions import db
from server.models.places import Area
from server.models.types import UTCDateTime, str_enum, utcnow


class Case(db.Model):
    __tablename__ = "case_record"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)  # the entity UUID Collect knows it by
    label: Mapped[str] = mapped_column(String(200))
    station_code: Mapped[str] = mapped_column(ForeignKey("station.code"), index=True)
    village_code: Mapped[Optional[str]] = mapped_column(ForeignKey("area.code"))
    status: Mapped[CaseStatus] = mapped_column(str_enum(CaseStatus), default=CaseStatus.OPEN)
    closing_reason: Mapped[Optional[ClosingReason]] = mapped_column(str_enum(ClosingReason, length=30, check=False))
    closed_reason: Mapped[Optional[str]] = mapped_column(Text)  # the words that go with closing_reason
    # A worker's "service ended" from a visit form: waits for a station head to confirm it (or not), so a
    # worker alone never takes a case out of the coverage denominator.
    close_proposal_reason: Mapped[Optional[ClosingReason]] = mapped_column(
        str_enum(ClosingReason, length=30, check=False))
    close_proposal_note: Mapped[Optional[str]] = mapped_column(Text)
    assigned_worker_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    properties: Mapped[dict] = mapped_column(JSON, default=dict)
    risk_level: Mapped[Optional[RiskLevel]] = mapped_column(str_enum(RiskLevel))
    last_visit: Mapped[Optional[date]] = mapped_column(Date)
    next_due: Mapped[Optional[date]] = mapped_column(Date)
    # Coverage's read model, kept by queries/coverage_model.py as submissions and categories change: the day
    # of the latest visit that counts (a visit form, not rejected) and the case's categories as one sorted,
    # comma-joined key ("" for none). Coverage today is then one scan of an index on this table.
    counted_visit_on: Mapped[Optional[date]] = mapped_column(Date)
    category_key: Mapped[str] = mapped_column(String(200), default="", server_default="")
    redo: Mapped[bool] = mapped_column(Boolean, default=False)
    redo_reason: Mapped[Optional[str]] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, default=1)  # the entity's __version
    conflict: Mapped[bool] = mapped_column(Boolean, default=False)  # an offline update needs a supervisor's look
    parent_id: Mapped[Optional[str]] = mapped_column(ForeignKey("case_record.id", ondelete="SET NULL"), index=True)
    # Set when the person's data were erased on request: the row stays (label and properties blanked) so
    # the visits it was due and received still count in past indicators.
    erased_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime())
    registered_on: Mapped[date] = mapped_column(Date, default=lambda: today_in_china())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    village: Mapped[Optional[Area]] = relationship()
    parent: Mapped[Optional["Case"]] = relationship(remote_side=[id])
    categories: Mapped[list["CaseCategoryLink"]] = relationship(cascade="all, delete-orphan",
                                                                order_by="CaseCategoryLink.category")

    @property
    def category_codes(self) -> list[str]:
        return [link.category.value for link in self.categories]


Index("ix_case_record_station_updated", Case.station_code, Case.updated_at)
Index("ix_case_record_station_status_due", Case.station_code, Case.status, Case.next_due)
Index("ix_case_record_coverage", Case.station_code, Case.status, Case.category_key, Case.registered_on,
      Case.counted_visit_on, Case.village_code)


class CaseCategoryLink(db.Model):
    __tablename__ = "case_category"

    case_id: Mapped[str] = mapped_column(ForeignKey("case_record.id", ondelete="CASCADE"), primary_key=True)
    category: Mapped[CaseCategory] = mapped_column(str_enum(CaseCategory, length=30), primary_key=True, index=True)


class CaseEvent(db.Model):
    """One entry of a case's timeline: registered, visited, updated in conflict, closed, returned…"""

    __tablename__ = "case_event"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("case_record.id", ondelete="CASCADE"), index=True)
    kind: Mapped[CaseEventKind] = mapped_column(str_enum(CaseEventKind))
    submission_id: Mapped[Optional[int]] = mapped_column(ForeignKey("submission.id", ondelete="SET NULL"))
    user_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    base_version: Mapped[Optional[int]] = mapped_column(Integer)
    version: Mapped[Optional[int]] = mapped_column(Integer)
    changes: Mapped[dict] = mapped_column(JSON, default=dict)
    note: Mapped[Optional[str]] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    submission: Mapped[Optional["Submission"]] = relationship()  # noqa: F821


class VisitInterval(db.Model):
    """Days between visits for a category, when an admin changed the default."""

    __tablename__ = "visit_interval"

    category: Mapped[CaseCategory] = mapped_column(str_enum(CaseCategory, length=30), primary_key=True)
    days: Mapped[int] = mapped_column(Integer)


class CaseListCache(db.Model):
    """A generated cases.csv, kept until a case of its station changes (its key then changes)."""

    __tablename__ = "case_list_cache"

    station_code: Mapped[str] = mapped_column(ForeignKey("station.code", ondelete="CASCADE"), primary_key=True)
    variant: Mapped[str] = mapped_column(String(40), primary_key=True)  # 'station' or 'worker:<id>'
    key: Mapped[str] = mapped_column(String(100))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    md5: Mapped[str] = mapped_column(String(32))
