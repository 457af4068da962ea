"""Projects and their money: the reads (docs/money.md)."""
from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from server.domain.access import Scope
from server.extensions import db
from server.models import Area, BudgetLine, CountyBudgetYear, Project, ProjectStation, SpendingReport


def list_projects_in_scope(scope: Scope, year: int | None = None) -> list[Project]:
    """The projects covering a station inside the scope: a station head's, their station's; a county's or the
    city's, those of their stations (every project covers stations of its own county only); an office user looking
    at one township (a dashboard of a station), those covering it."""
    covering = (select(ProjectStation.project_id).join(Area, Area.code == ProjectStation.station_code)
                .where(Area.path.startswith(scope.area_path)))
    query = select(Project).where(Project.id.in_(covering))
    if year is not None:
        query = query.where(Project.year == year)
    return list(db.session.scalars(query.order_by(Project.county_code, Project.starts_on, Project.id)))


def get_project(project_id: int) -> Project | None:
    return db.session.get(Project, project_id)


def spent_by_line(project_id: int, until: date | None = None) -> dict[int, int]:
    query = (select(SpendingReport.line_id, func.sum(SpendingReport.amount))
             .where(SpendingReport.project_id == project_id).group_by(SpendingReport.line_id))
    if until is not None:
        query = query.where(SpendingReport.month <= until)
    return {line_id: int(total) for line_id, total in db.session.execute(query)}


def reported_months(project_id: int) -> set[date]:
    return set(db.session.scalars(select(SpendingReport.month).where(SpendingReport.project_id == project_id)
                                  .distinct()))


def list_month_reports(project_id: int, month: date) -> list[SpendingReport]:
    return list(db.session.scalars(select(SpendingReport).where(SpendingReport.project_id == project_id,
                                                               SpendingReport.month == month)))


def get_county_year(county_code: str, year: int) -> CountyBudgetYear | None:
    return db.session.get(CountyBudgetYear, (county_code, year))


def county_purchases(county_code: str, year: int) -> int:
    """§4.5: the amounts of a county's projects of one year, fen."""
    return int(db.session.scalar(select(func.coalesce(func.sum(Project.amount), 0))
                                 .where(Project.county_code == county_code, Project.year == year)))


def lines_of(project_id: int) -> list[BudgetLine]:
    return list(db.session.scalars(select(BudgetLine).where(BudgetLine.project_id == project_id)
                                   .order_by(BudgetLine.position)))


def get_project_by_contract(county_code: str, contract_no: str) -> Project | None:
    return db.session.scalars(select(Project).where(Project.county_code == county_code,
                                                    Project.contract_no == contract_no)
                              .order_by(Project.id)).first()


def projects_of_station(station_code: str, day: date) -> list[Project]:
    """The projects covering a station that run on ``day``."""
    return list(db.session.scalars(select(Project).join(ProjectStation)
                                   .where(ProjectStation.station_code == station_code, Project.starts_on <= day,
                                          Project.ends_on >= day)))
