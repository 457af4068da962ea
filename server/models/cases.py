"""Cases (服务对象): the people and households a station serves — ODK entities of the list ``cases``."""
from __future__ import annotations

from datetime import date, datetime
from typing import Optional

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.domain.cases import CaseCategory, CaseStatus, RiskLevel
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
    closed_reason: Mapped[Optional[str]] = mapped_column(Text)
    assigned_worker_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    properties: Mapped[dict] = mapped_column(JSON, default=dict)
    risk_level: Mapped[Optional[RiskLevel]] = mapped_column(str_enum(RiskLevel))
    last_visit: Mapped[Optional[date]] = mapped_column(Date)
    next_due: Mapped[Optional[date]] = mapped_column(Date)
    redo: Mapped[bool] = mapped_column(Boolean, default=False)
    redo_reason: Mapped[Optional[str]] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, default=1)  # the entity's __version
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    village: Mapped[Optional[Area]] = relationship()
    categories: Mapped[list["CaseCategoryLink"]] = relationship(cascade="all, delete-orphan",
                                                                order_by="CaseCategoryLink.category")

    @property
    def category_codes(self) -> list[str]:
        return [link.category.value for link in self.categories]


class CaseCategoryLink(db.Model):
    __tablename__ = "case_category"

    case_id: Mapped[str] = mapped_column(ForeignKey("case_record.id", ondelete="CASCADE"), primary_key=True)
    category: Mapped[CaseCategory] = mapped_column(str_enum(CaseCategory, length=30), primary_key=True, index=True)
