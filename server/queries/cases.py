"""Queries on cases."""
from __future__ import annotations

from typing import Iterable

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import selectinload

from server.domain.cases import CaseStatus
from server.extensions import db
from server.models import Case, CaseCategoryLink, CaseListCache, VisitInterval


def get_case_by_id(case_id: str) -> Case | None:
    return db.session.get(Case, case_id)


def list_open_cases_for_station(station_code: str, assigned_to: int | None = None) -> list[Case]:
    query = (select(Case).where(Case.station_code == station_code, Case.status == CaseStatus.OPEN)
             .options(selectinload(Case.categories), selectinload(Case.village)).order_by(Case.label, Case.id))
    if assigned_to is not None:
        query = query.where(Case.assigned_worker_id == assigned_to)
    return list(db.session.scalars(query))


def get_case_list_key(station_code: str) -> str:
    count, latest = db.session.execute(
        select(func.count(), func.max(Case.updated_at)).where(Case.station_code == station_code)).one()
    stamp = latest.isoformat() if latest is not None else "-"
    return f"{count}:{stamp}"


def get_case_list_cache(station_code: str, variant: str) -> CaseListCache | None:
    return db.session.get(CaseListCache, (station_code, variant))


def save_case_list_cache(station_code: str, variant: str, key: str, content: bytes, md5: str) -> None:
    """Upsert in one statement: two phones of a station asking at once must not collide."""
    values = {"station_code": station_code, "variant": variant, "key": key, "content": content, "md5": md5}
    insert = pg_insert if db.session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = insert(CaseListCache).values(**values)
    statement = statement.on_conflict_do_update(index_elements=["station_code", "variant"],
                                                set_={"key": key, "content": content, "md5": md5})
    db.session.execute(statement)



def list_cases_by_ids(ids: Iterable[str]) -> list[Case]:
    wanted = list(ids)
    if not wanted:
        return []
    return list(db.session.scalars(select(Case).where(Case.id.in_(wanted))))


def list_visit_intervals() -> list[VisitInterval]:
    return list(db.session.scalars(select(VisitInterval)))


def list_open_cases_in_category(category: str) -> list[Case]:
    query = (select(Case).join(CaseCategoryLink).where(CaseCategoryLink.category == category,
                                                       Case.status == CaseStatus.OPEN))
    return list(db.session.scalars(query))
