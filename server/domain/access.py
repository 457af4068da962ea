"""Roles and scopes: who may see which part of the station network.

Every user has one role and one scope, an area of the tree:
- ``admin``: the city (or a province) and everything under it;
- ``county``: one county-level division and its townships, stations and villages;
- ``station``: one station (head or deputy head), identified by its township;
- ``worker``: one station, filling forms on a phone.
A scope contains an area when the area's materialised path starts with the scope's
path. Plain values only; queries turn the same rule into SQL.
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from server.domain.places import AreaLevel


class Role(StrEnum):
    ADMIN = "admin"
    COUNTY = "county"
    STATION = "station"
    WORKER = "worker"


ROLE_NAMES_ZH = {Role.ADMIN: "市级管理员", Role.COUNTY: "县级督导", Role.STATION: "站长", Role.WORKER: "社工"}

# The level of area a role's scope must be.
SCOPE_LEVELS: dict[Role, tuple[AreaLevel, ...]] = {
    Role.ADMIN: (AreaLevel.PROVINCE, AreaLevel.CITY),
    Role.COUNTY: (AreaLevel.COUNTY,),
    Role.STATION: (AreaLevel.TOWNSHIP,),
    Role.WORKER: (AreaLevel.TOWNSHIP,),
}
STATION_ROLES = (Role.STATION, Role.WORKER)


@dataclass(frozen=True)
class Scope:
    role: Role
    area_code: str
    area_path: str

    def contains_path(self, path: str) -> bool:
        return path.startswith(self.area_path)

    @property
    def is_station_bound(self) -> bool:
        return self.role in STATION_ROLES

    def narrowed_to(self, area_code: str, area_path: str) -> "Scope":
        """The same user looking at one area inside their scope (a county of the city, a station of a county)."""
        if not self.contains_path(area_path):
            raise ValueError(f"{area_code} is outside the scope {self.area_code}")
        return Scope(role=self.role, area_code=area_code, area_path=area_path)


def scope_level_allowed(role: Role, level: AreaLevel) -> bool:
    return level in SCOPE_LEVELS[role]
