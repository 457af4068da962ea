"""Queries on cases."""
from __future__ import annotations

from typing import Iterable

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from server.domain.cases import CaseStatus
from server.extensions import db
from server.models import Case


def get_case_by_id(case_id: str) -> Case | None:
    return db.session.get(Case, case_id)


def list_open_cases_for_station(station_code: str) -> list[Case]:
    query = (select(Case).where(Case.station_code == station_code, Case.status == CaseStatus.OPEN)
             .options(selectinload(Case.categories), selectinload(Case.village)).order_by(Case.label, Case.id))
    return list(db.session.scalars(query))


def list_cases_by_ids(ids: Iterable[str]) -> list[Case]:
    wanted = list(ids)
    if not wanted:
        return []
    return list(db.session.scalars(select(Case).where(Case.id.in_(wanted))))
