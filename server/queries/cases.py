"""Queries on cases."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Iterable

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import selectinload

from server.domain.cases import CaseOrder, CaseSearch, CaseStatus
from server.extensions import db
from server.domain.access import Scope
from server.domain.paging import BY_DUE, BY_LABEL
from server.models import Area, Case, CaseCategoryLink, CaseEvent, CaseListCache, Station, VisitInterval


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



def list_cases_by_ids(ids: Iterable[str], lock: bool = False) -> list[Case]:
    """``lock``: each row locked for this transaction (``FOR UPDATE`` in id order, the order every writer of several
    cases takes; SQLite has one writer at a time and ignores it)."""
    wanted = list(ids)
    if not wanted:
        return []
    query = select(Case).where(Case.id.in_(wanted))
    if lock:
        query = query.order_by(Case.id).with_for_update()
    return list(db.session.scalars(query))


def list_visit_intervals() -> list[VisitInterval]:
    return list(db.session.scalars(select(VisitInterval)))


def list_open_cases_in_category(category: str) -> list[Case]:
    query = (select(Case).join(CaseCategoryLink).where(CaseCategoryLink.category == category,
                                                       Case.status == CaseStatus.OPEN))
    return list(db.session.scalars(query))


@dataclass(frozen=True)
class CaseFilters:
    station: str | None = None
    category: str | None = None
    status: str | None = None
    overdue_on: date | None = None   # only cases whose next_due is before this day
    worker_id: int | None = None
    village: str | None = None
    risk: str | None = None
    returned: bool = False  # only cases whose last visit a supervisor sent back (redo)
    close_proposed: bool = False  # only cases a worker reported the service ended for, waiting for a decision
    search: CaseSearch | None = None


FAR_FUTURE = date(9999, 12, 31)


def _scoped_cases(scope: Scope):
    return (select(Case).join(Station, Station.code == Case.station_code).join(Area, Area.code == Station.code)
            .where(Area.path.startswith(scope.area_path, autoescape=True)))


def list_cases(scope: Scope, filters: CaseFilters, limit: int, after: tuple | None = None,
               order: CaseOrder = CaseOrder.DUE) -> list[Case]:
    """Cases in scope, most overdue first (or by name), keyset-paginated on (due, id) or (label, id)."""
    key = func.coalesce(Case.next_due, FAR_FUTURE) if order == CaseOrder.DUE else Case.label
    query = _filtered(_scoped_cases(scope), filters).options(selectinload(Case.categories),
                                                             selectinload(Case.village))
    if after is not None:
        query = query.where(or_(key > after[0], and_(key == after[0], Case.id > after[1])))
    return list(db.session.scalars(query.order_by(key, Case.id).limit(limit)))


def page_key(case: Case, order: CaseOrder) -> tuple[str, str]:
    """The keyset position of a case in a list sorted by ``order``: what a cursor holds."""
    first = case.label if order == CaseOrder.NAME else (case.next_due or FAR_FUTURE).isoformat()
    return first, case.id


def page_key_types(order: CaseOrder) -> tuple:
    """The parsers that turn a cursor's values back into a ``page_key`` (for ``decode_typed``)."""
    return BY_LABEL if order == CaseOrder.NAME else BY_DUE


def count_cases(scope: Scope, filters: CaseFilters) -> int:
    """How many cases the filters select, so that a paged list always says how many there are."""
    found = _filtered(_scoped_cases(scope), filters).with_only_columns(Case.id).subquery()
    return db.session.scalar(select(func.count()).select_from(found))


def _filtered(query, filters: CaseFilters):
    if filters.station:
        query = query.where(Case.station_code == filters.station)
    if filters.category:
        query = query.where(Case.id.in_(select(CaseCategoryLink.case_id)
                                        .where(CaseCategoryLink.category == filters.category)))
    if filters.status:
        query = query.where(Case.status == filters.status)
    if filters.overdue_on:
        query = query.where(Case.status == CaseStatus.OPEN, Case.next_due < filters.overdue_on)
    if filters.worker_id:
        query = query.where(Case.assigned_worker_id == filters.worker_id)
    if filters.village:
        query = query.where(Case.village_code == filters.village)
    if filters.risk:
        query = query.where(Case.risk_level == filters.risk)
    if filters.returned:
        query = query.where(Case.redo.is_(True))
    if filters.close_proposed:
        query = query.where(Case.close_proposal_reason.is_not(None))
    if filters.search is not None:
        query = query.where(_matches(filters.search))
    return query


def _matches(search: CaseSearch):
    """Name, village name or phone containing the text; the ID number as the viewer may search it."""
    text = search.text
    id_number = func.upper(Case.properties["id_number"].as_string())
    matches = [Case.label.icontains(text, autoescape=True),
               Case.village_code.in_(select(Area.code).where(Area.name.icontains(text, autoescape=True))),
               Case.properties["phone"].as_string().contains(text, autoescape=True)]
    if search.id_number_in_full:
        matches.append(id_number.contains(text.upper(), autoescape=True))
    elif search.id_number_ending:
        matches.append(id_number.endswith(search.id_number_ending, autoescape=True))
    return or_(*matches)


def get_case_in_scope(scope: Scope, case_id: str) -> Case | None:
    return db.session.scalars(_scoped_cases(scope).where(Case.id == case_id)).first()


def list_case_events(case_id: str) -> list[CaseEvent]:
    query = (select(CaseEvent).where(CaseEvent.case_id == case_id)
             .options(selectinload(CaseEvent.submission)).order_by(CaseEvent.created_at, CaseEvent.id))
    return list(db.session.scalars(query))


def list_members(case_id: str) -> list[Case]:
    return list(db.session.scalars(select(Case).where(Case.parent_id == case_id).order_by(Case.label)))


def count_overdue_by_station(scope: Scope, today: date) -> list[tuple[str, int, int]]:
    """(station code, open cases, overdue cases) for every station in scope that has open cases."""
    overdue = func.sum(case((Case.next_due < today, 1), else_=0))
    query = (select(Case.station_code, func.count(), overdue)
             .join(Station, Station.code == Case.station_code).join(Area, Area.code == Station.code)
             .where(Area.path.startswith(scope.area_path, autoescape=True), Case.status == CaseStatus.OPEN)
             .group_by(Case.station_code).order_by(Case.station_code))
    return [(code, int(total), int(late or 0)) for code, total, late in db.session.execute(query)]


def count_overdue_by_worker(scope: Scope, today: date) -> list[tuple[int | None, str, int, int]]:
    """(worker id, station, open cases, overdue cases) per assigned worker in scope."""
    overdue = func.sum(case((Case.next_due < today, 1), else_=0))
    query = (select(Case.assigned_worker_id, Case.station_code, func.count(), overdue)
             .join(Station, Station.code == Case.station_code).join(Area, Area.code == Station.code)
             .where(Area.path.startswith(scope.area_path, autoescape=True), Case.status == CaseStatus.OPEN)
             .group_by(Case.assigned_worker_id, Case.station_code)
             .order_by(Case.station_code, Case.assigned_worker_id))
    return [(worker, station, int(total), int(late or 0)) for worker, station, total, late in db.session.execute(query)]


def find_case_ids_by_id_number(id_numbers: list[str]) -> dict[str, str]:
    """ID number → case id, for the ID numbers given (JSON property lookup done in Python: small sets)."""
    wanted = set(id_numbers)
    if not wanted:
        return {}
    found: dict[str, str] = {}
    query = select(Case.id, Case.properties).where(Case.properties.is_not(None))
    for case_id, properties in db.session.execute(query):
        number = (properties or {}).get("id_number")
        if number in wanted:
            found[number] = case_id
    return found
