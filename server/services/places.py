"""Building the station network: importing areas, setting up stations and their staff."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Iterable, Mapping

from server.domain.places import AreaLevel, check_area_rows, child_path
from server.domain.stations import (
    Certificate,
    Education,
    InspectionResult,
    StaffOrigin,
    StaffRole,
    StationMode,
    StationStatus,
)
from server.errors import Conflict, InvalidRows, InvalidValue, NotFound
from server.extensions import db
from server.models import Area, StaffMember, Station
from server.queries import places as queries


@dataclass(frozen=True)
class ImportSummary:
    created: int
    updated: int
    unchanged: int


def import_areas(rows: Iterable[Mapping[str, str | None]], first_line: int = 2) -> ImportSummary:
    """Create or rename areas from rows ``code,name,parent_code,level``; all or nothing.

    Every problem in the file is reported with its line number (raising InvalidRows),
    and then nothing is written. Importing the same file again changes nothing.
    """
    rows = list(rows)
    mentioned = {(r.get("code") or "").strip() for r in rows} | {(r.get("parent_code") or "").strip() for r in rows}
    known = queries.list_known_areas_for_codes(c for c in mentioned if c)
    ordered, problems = check_area_rows(rows, known, first_line=first_line)
    if problems:
        raise InvalidRows(problems)
    created = updated = unchanged = 0
    paths: dict[str, str] = {}
    for row in ordered:
        area = queries.get_area_by_code(row.code)
        if area is not None:
            paths[row.code] = area.path
            if area.name == row.name:
                unchanged += 1
            else:
                area.name = row.name
                updated += 1
            continue
        parent_path = "/"
        if row.parent_code is not None:
            parent_path = paths.get(row.parent_code) or queries.get_area_by_code(row.parent_code).path  # type: ignore[union-attr]
        path = child_path(parent_path, row.code)
        paths[row.code] = path
        db.session.add(Area(code=row.code, name=row.name, level=row.level, parent_code=row.parent_code, path=path))
        created += 1
    db.session.flush()
    return ImportSummary(created, updated, unchanged)


def create_station(
    township_code: str,
    mode: StationMode,
    status: StationStatus = StationStatus.OPERATING,
    established_on: date | None = None,
    operator_name: str | None = None,
    operator_registration_no: str | None = None,
    operator_inspection: InspectionResult | None = None,
    operator_grade: str | None = None,
    setup_funding_yuan: int | None = None,
    flagship_projects: int | None = None,
) -> Station:
    """Set up the station of a township; its official name follows from the area names."""
    township = queries.get_area_by_code(township_code)
    if township is None:
        raise NotFound(what="乡镇（街道）", key=township_code)
    if township.level != AreaLevel.TOWNSHIP:
        raise InvalidValue(field="township_code", reason=f"{township_code} 不是乡镇（街道） / is not a township")
    if queries.get_station_by_code(township_code) is not None:
        raise Conflict(reason=f"{township.name} 已有社工站 / {township_code} already has a station")
    station = Station(code=township_code, mode=mode, status=status, established_on=established_on,
                      operator_name=operator_name, operator_registration_no=operator_registration_no,
                      operator_inspection=operator_inspection, operator_grade=operator_grade,
                      setup_funding_yuan=setup_funding_yuan, flagship_projects=flagship_projects)
    station.township = township
    db.session.add(station)
    db.session.flush()
    from server.services.feedback import issue_station_link

    issue_station_link(station)  # its plaque's QR code works from the first print
    return station


def add_staff_member(
    station: Station,
    name: str,
    role: StaffRole,
    origin: StaffOrigin,
    *,
    gender: str | None = None,
    birth_date: date | None = None,
    education: Education | None = None,
    certificate: Certificate = Certificate.NONE,
    local_hukou: bool = False,
    ethnicity: str | None = None,
    phone: str | None = None,
    user_id: int | None = None,
) -> StaffMember:
    if not name.strip():
        raise InvalidValue(field="name", reason="姓名不能为空 / name is empty")
    member = StaffMember(station_code=station.code, name=name.strip(), role=role, origin=origin, gender=gender,
                         birth_date=birth_date, education=education, certificate=certificate,
                         local_hukou=local_hukou, ethnicity=ethnicity, phone=phone, user_id=user_id)
    db.session.add(member)
    db.session.flush()
    return member
