"""Queries on areas, stations and staff."""
from __future__ import annotations

from typing import Iterable

from sqlalchemy.orm import contains_eager
from sqlalchemy import select

from server.domain.access import Scope
from server.domain.places import AreaLevel, KnownArea
from server.extensions import db
from server.models import Area, StaffMember, Station, StationLink


def get_area_by_code(code: str) -> Area | None:
    return db.session.get(Area, code)


def list_known_areas_for_codes(codes: Iterable[str]) -> dict[str, KnownArea]:
    """What validation of an area file needs to know of the stored areas it mentions."""
    wanted = sorted(set(codes))
    found: dict[str, KnownArea] = {}
    for start in range(0, len(wanted), 500):
        chunk = wanted[start:start + 500]
        for area in db.session.scalars(select(Area).where(Area.code.in_(chunk))):
            found[area.code] = KnownArea(area.code, area.name, area.parent_code, area.level)
    return found


def list_areas_in_scope(scope: Scope, level: AreaLevel | None = None) -> list[Area]:
    query = select(Area).where(Area.path.startswith(scope.area_path, autoescape=True)).order_by(Area.code)
    if level is not None:
        query = query.where(Area.level == level)
    return list(db.session.scalars(query))


def list_child_areas(code: str) -> list[Area]:
    return list(db.session.scalars(select(Area).where(Area.parent_code == code).order_by(Area.code)))


def get_station_by_code(code: str) -> Station | None:
    return db.session.get(Station, code)


def list_stations_in_scope(scope: Scope) -> list[Station]:
    query = (select(Station).join(Station.township).options(contains_eager(Station.township))
             .where(Area.path.startswith(scope.area_path, autoescape=True)).order_by(Station.code))
    return list(db.session.scalars(query))


def get_staff_member_by_name(station_code: str, name: str) -> StaffMember | None:
    query = select(StaffMember).where(StaffMember.station_code == station_code, StaffMember.name == name)
    return db.session.scalars(query).first()


def get_station_link(token: str) -> StationLink | None:
    return db.session.scalars(select(StationLink).where(StationLink.token == token)).first()


def list_active_station_links(station_code: str) -> list[StationLink]:
    query = (select(StationLink).where(StationLink.station_code == station_code, StationLink.revoked_at.is_(None))
             .order_by(StationLink.id))
    return list(db.session.scalars(query))
