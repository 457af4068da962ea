"""What a worker's ODK Collect sees: the forms they may fill and the files each form needs.

Forms are the same for every station; the files are not: ``cases.csv`` holds only the
open cases of the worker's station, ``villages.csv`` its villages, ``station.csv`` its
name and the local minimum-allowance lines.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass

from flask import current_app

from server.domain.collect_files import (
    CASES_FILE,
    STATION_FILE,
    VILLAGES_FILE,
    CaseRow,
    render_cases_csv,
    render_station_csv,
    render_villages_csv,
)
from server.errors import Forbidden, NotFound
from server.domain.access import Role
from server.domain.cases import CaseListMode
from server.models import Case, Form, FormState, FormVersion, Station, User
from server.queries import cases as case_queries
from server.queries import forms as form_queries
from server.queries import places as place_queries
from server.domain.volunteers import VOLUNTEERS_FILE
from server.services.accounts import COLLECT_ROLES
from server.services.volunteers import volunteers_csv


@dataclass(frozen=True)
class GeneratedFile:
    name: str
    content: bytes
    content_type: str
    entity_list: bool

    @property
    def md5(self) -> str:
        return hashlib.md5(self.content).hexdigest()


def station_of(user: User) -> Station:
    if user.role not in COLLECT_ROLES:
        raise Forbidden()
    station = place_queries.get_station_by_code(user.scope_code)
    if station is None:
        raise NotFound(what="社工站", key=user.scope_code)
    return station


def listed_forms() -> list[tuple[Form, FormVersion]]:
    """Open forms with a published version, as Central lists them (closing/closed are left out)."""
    return [(form, form.current_version) for form in form_queries.list_forms()
            if form.state == FormState.OPEN and form.current_version is not None]


def downloadable_form(xml_form_id: str) -> tuple[Form, FormVersion]:
    form = form_queries.get_form_by_xml_form_id(xml_form_id)
    if form is None or form.current_version is None or form.state == FormState.CLOSED:
        raise NotFound(what="表单", key=xml_form_id)
    return form, form.current_version


def form_files(user: User, version: FormVersion) -> list[GeneratedFile]:
    """The files of the form's manifest that the server has (Central lists only those)."""
    names = [a["name"] for a in version.attachments]
    station = station_of(user)
    return [f for f in (_generate(name, station, user) for name in names) if f is not None]


def form_file(user: User, version: FormVersion, name: str) -> GeneratedFile:
    if name not in {a["name"] for a in version.attachments}:
        raise NotFound(what="附件", key=name)
    generated = _generate(name, station_of(user), user)
    if generated is None:
        raise NotFound(what="附件", key=name)
    return generated


def _generate(name: str, station: Station, user: User) -> GeneratedFile | None:
    if name == CASES_FILE:
        return GeneratedFile(name, case_list(station, user), "text/csv; charset=utf-8", entity_list=True)
    if name == VILLAGES_FILE:
        villages = [(a.code, a.name) for a in place_queries.list_child_areas(station.code)]
        return GeneratedFile(name, render_villages_csv(villages), "text/csv; charset=utf-8", entity_list=False)
    if name == VOLUNTEERS_FILE:
        return GeneratedFile(name, volunteers_csv(station.code), "text/csv; charset=utf-8", entity_list=False)
    if name == STATION_FILE:
        return GeneratedFile(name, render_station_csv(station_values(station)), "text/csv; charset=utf-8",
                             entity_list=False)
    return None


def case_list(station: Station, user: User) -> bytes:
    """The worker's cases.csv, served from cache until a case of the station changes.

    The cache key is the station's case count and latest case change, so any write to a
    case of this station (and only of this station) makes the next download regenerate it.
    """
    variant = f"worker:{user.id}" if _assigned_only(station, user) else "station"
    key = case_queries.get_case_list_key(station.code)
    cached = case_queries.get_case_list_cache(station.code, variant)
    if cached is not None and cached.key == key:
        return cached.content
    content = render_cases_csv([_case_row(c) for c in visible_cases(station, user)])
    case_queries.save_case_list_cache(station.code, variant, key, content, hashlib.md5(content).hexdigest())
    return content


def visible_cases(station: Station, user: User) -> list[Case]:
    """The open cases in the worker's case list: the station's, or only their own where the station assigns."""
    return case_queries.list_open_cases_for_station(station.code, user.id if _assigned_only(station, user) else None)


def _assigned_only(station: Station, user: User) -> bool:
    return station.case_list_mode == CaseListMode.ASSIGNED and user.role == Role.WORKER


def _case_row(case: Case) -> CaseRow:
    return CaseRow(id=case.id, label=case.label, version=case.version, categories=tuple(case.category_codes),
                   village_code=case.village_code, village_name=case.village.name if case.village else None,
                   last_visit=case.last_visit, next_due=case.next_due,
                   risk_level=case.risk_level.value if case.risk_level else None, redo=case.redo,
                   redo_reason=case.redo_reason)


def station_values(station: Station) -> dict[str, str]:
    config = current_app.config
    county = station.township.parent
    return {
        "station_code": station.code,
        "station_name": station.official_name,
        "county_code": county.code if county else "",
        "allowance_line_urban": str(config["ALLOWANCE_LINE_URBAN"]),
        "allowance_line_rural": str(config["ALLOWANCE_LINE_RURAL"]),
    }


def case_integrity(user: User, ids: list[str]) -> list[tuple[str, bool]]:
    """For each entity id Collect holds offline and the server knows: is it gone from the worker's list?

    Unknown ids are left out rather than called deleted: they may be cases registered offline
    whose submissions have not arrived yet, and Collect would drop them.
    """
    station = station_of(user)
    found = {c.id: c for c in case_queries.list_cases_by_ids(ids)}
    return [(case_id, found[case_id].station_code != station.code or found[case_id].status != "open")
            for case_id in ids if case_id in found]
