"""Purchased social-work service projects and their money (POLICY.md §3.2, §4.5, attachment A1; docs/money.md).

Every amount is an integer number of fen (``BigInteger``): sums are exact on both databases.
"""
from __future__ import annotations

from datetime import date, datetime
from typing import Optional

from sqlalchemy import BigInteger, CheckConstraint, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.domain.money import Group, Source
from server.extensions import db
from server.models.types import UTCDateTime, str_enum, utcnow


class Project(db.Model):
    """A 政府购买社会工作服务项目: bought by a county from an operator, for one station or several."""

    __tablename__ = "project"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    county_code: Mapped[str] = mapped_column(ForeignKey("area.code"), index=True)  # the buying county
    year: Mapped[int] = mapped_column(Integer)  # the budget year it counts in (§4.5's cap)
    name: Mapped[str] = mapped_column(String(200))
    operator: Mapped[str] = mapped_column(String(200))  # 承接机构
    contract_no: Mapped[str] = mapped_column(String(60), default="")
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    amount: Mapped[int] = mapped_column(BigInteger)  # the contract amount, fen
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime())

    stations: Mapped[list["ProjectStation"]] = relationship(cascade="all, delete-orphan",
                                                            order_by="ProjectStation.station_code")
    sources: Mapped[list["ProjectSource"]] = relationship(cascade="all, delete-orphan",
                                                          order_by="ProjectSource.source")
    lines: Mapped[list["BudgetLine"]] = relationship(cascade="all, delete-orphan", order_by="BudgetLine.position")
    services: Mapped[list["ProjectService"]] = relationship(cascade="all, delete-orphan",
                                                            order_by="ProjectService.position")

    __table_args__ = (CheckConstraint("amount >= 0", name="amount_not_negative"),
                      CheckConstraint("ends_on >= starts_on", name="ends_after_start"))


class ProjectStation(db.Model):
    __tablename__ = "project_station"

    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"), primary_key=True)
    station_code: Mapped[str] = mapped_column(ForeignKey("station.code"), primary_key=True, index=True)


class ProjectService(db.Model):
    """One of the project's services in A2's "2 + N": a local flagship (品牌服务项目, kind ``brand``) or one the
    township chose (自选项目, ``other``)."""

    __tablename__ = "project_service"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    name: Mapped[str] = mapped_column(String(200))
    position: Mapped[int] = mapped_column(Integer)

    __table_args__ = (CheckConstraint("kind IN ('brand', 'other')", name="kind_known"),)


class ProjectSource(db.Model):
    """One row of A1's 资金来源."""

    __tablename__ = "project_source"

    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"), primary_key=True)
    source: Mapped[Source] = mapped_column(str_enum(Source, 30), primary_key=True)
    amount: Mapped[int] = mapped_column(BigInteger)

    __table_args__ = (CheckConstraint("amount >= 0", name="amount_not_negative"),)


class BudgetLine(db.Model):
    """One row of A1's 预算资金支出明细, in one of its five groups."""

    __tablename__ = "budget_line"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"), index=True)
    group: Mapped[Group] = mapped_column("expense_group", str_enum(Group, 4))  # I–V
    name: Mapped[str] = mapped_column(String(200))
    amount: Mapped[int] = mapped_column(BigInteger)
    position: Mapped[int] = mapped_column(Integer)

    __table_args__ = (CheckConstraint("amount >= 0", name="amount_not_negative"),)


class SpendingReport(db.Model):
    """What the operator spent on one budget line in one month (the month's first day), as reported."""

    __tablename__ = "spending_report"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"))
    line_id: Mapped[int] = mapped_column(ForeignKey("budget_line.id", ondelete="CASCADE"))
    month: Mapped[date] = mapped_column(Date)
    amount: Mapped[int] = mapped_column(BigInteger)
    note: Mapped[str] = mapped_column(Text, default="")
    reported_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    reported_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (UniqueConstraint("project_id", "month", "line_id"),
                      CheckConstraint("amount >= 0", name="amount_not_negative"))


class CountyBudgetYear(db.Model):
    """A county's year for §4.5: its social-assistance spending, and the tolerance it reads A1's "about" with."""

    __tablename__ = "county_budget_year"

    county_code: Mapped[str] = mapped_column(ForeignKey("area.code"), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    social_assistance: Mapped[Optional[int]] = mapped_column(BigInteger)  # fen; None: not recorded yet
    tolerance_bp: Mapped[int] = mapped_column(Integer, default=0)  # basis points over A1's 70 % / 30 %
    updated_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime())
    updated_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
