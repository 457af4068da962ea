"""Areas of the administrative tree, the stations in townships, and their staff."""
from __future__ import annotations

from datetime import date, datetime
from typing import Optional

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.domain.cases import CaseListMode
from server.domain.places import AreaLevel, station_official_name
from server.domain.stations import (
    Certificate,
    Education,
    InspectionResult,
    StaffOrigin,
    StaffRole,
    StationMode,
    StationStatus,
)
from server.extensions import db
from server.models.types import UTCDateTime, str_enum, utcnow


class Area(db.Model):
    """An administrative division identified by its official code (530102 = 五华区)."""

    __tablename__ = "area"

    code: Mapped[str] = mapped_column(String(12), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    level: Mapped[AreaLevel] = mapped_column(str_enum(AreaLevel))
    parent_code: Mapped[Optional[str]] = mapped_column(ForeignKey("area.code"), index=True)
    # '/530100/530102/530102001/': every scope test is a prefix match on this.
    path: Mapped[str] = mapped_column(String(120), unique=True)

    parent: Mapped[Optional["Area"]] = relationship(remote_side=[code])

    __table_args__ = (
        Index("ix_area_path_prefix", "path", postgresql_ops={"path": "text_pattern_ops"}),
    )

    def __repr__(self) -> str:
        return f"<Area {self.code} {self.name}>"


class Station(db.Model):
    """The social work station of one township (社会工作服务站), keyed by the township's code."""

    __tablename__ = "station"

    code: Mapped[str] = mapped_column(ForeignKey("area.code"), primary_key=True)
    mode: Mapped[StationMode] = mapped_column(str_enum(StationMode))
    status: Mapped[StationStatus] = mapped_column(str_enum(StationStatus), default=StationStatus.PLANNED)
    established_on: Mapped[Optional[date]] = mapped_column(Date)
    operator_name: Mapped[Optional[str]] = mapped_column(String(200))
    operator_registration_no: Mapped[Optional[str]] = mapped_column(String(50))
    operator_inspection: Mapped[Optional[InspectionResult]] = mapped_column(str_enum(InspectionResult))
    operator_grade: Mapped[Optional[str]] = mapped_column(String(20))  # evaluation grade, e.g. 4A
    case_list_mode: Mapped[CaseListMode] = mapped_column(str_enum(CaseListMode), default=CaseListMode.STATION)
    setup_funding_yuan: Mapped[Optional[int]] = mapped_column(Integer)  # §4.5: at least 20 000
    flagship_projects: Mapped[Optional[int]] = mapped_column(Integer)   # A2 "2 + N": at least 2
    plaque_issued_on: Mapped[Optional[date]] = mapped_column(Date)      # §4.6: the day the plaque was put up
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    township: Mapped[Area] = relationship()
    staff: Mapped[list["StaffMember"]] = relationship(back_populates="station", order_by="StaffMember.id")

    @property
    def official_name(self) -> str:
        township = self.township
        county = township.parent
        city = county.parent if county is not None else None
        return station_official_name(city.name if city else "", county.name if county else "", township.name)

    def __repr__(self) -> str:
        return f"<Station {self.code}>"


class StaffMember(db.Model):
    """A person on a station's team, with what the policy's staffing rules look at (§4.4)."""

    __tablename__ = "staff_member"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    station_code: Mapped[str] = mapped_column(ForeignKey("station.code", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(50))
    role: Mapped[StaffRole] = mapped_column(str_enum(StaffRole))
    origin: Mapped[StaffOrigin] = mapped_column(str_enum(StaffOrigin, length=30))
    gender: Mapped[Optional[str]] = mapped_column(String(10))
    birth_date: Mapped[Optional[date]] = mapped_column(Date)
    education: Mapped[Optional[Education]] = mapped_column(str_enum(Education))
    certificate: Mapped[Certificate] = mapped_column(str_enum(Certificate), default=Certificate.NONE)
    local_hukou: Mapped[bool] = mapped_column(Boolean, default=False)  # local household registration
    ethnicity: Mapped[Optional[str]] = mapped_column(String(20))
    phone: Mapped[Optional[str]] = mapped_column(String(20))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    user_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))

    station: Mapped[Station] = relationship(back_populates="staff")


class StationLink(db.Model):
    """The short, unguessable, revocable link on a station's plaque (its QR code): /f/<token>.

    It names no internal id; re-issuing a plaque makes a new token for the same station and the
    old one shows a polite 'this code is no longer used' page.
    """

    __tablename__ = "station_link"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    station_code: Mapped[str] = mapped_column(ForeignKey("station.code", ondelete="CASCADE"), index=True)
    token: Mapped[str] = mapped_column(String(32), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    revoked_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime())

    station: Mapped[Station] = relationship()
