"""What admins and county supervisors record about a station for the standard's checks (§4.1–§4.5, A2)."""
from __future__ import annotations

from server.domain.clock import parse_day
from server.domain.station_rows import FUNDING_LIMIT_YUAN, PROJECTS_LIMIT
from server.domain.stations import InspectionResult, StationStatus
from server.errors import InvalidValue
from server.extensions import db
from server.models import Station

EDITABLE = ("status", "established_on", "operator_name", "operator_registration_no", "operator_inspection",
            "setup_funding_yuan", "flagship_projects")


def update_station_record(station: Station, form: dict[str, str]) -> None:
    """Apply the edit form; any invalid field refuses the whole edit (nothing half-saved)."""
    values = {name: (form.get(name) or "").strip() for name in EDITABLE}
    station.status = _choice(values["status"], StationStatus, "status") or station.status
    station.established_on = parse_day(values["established_on"], "established_on")
    station.operator_name = values["operator_name"][:200] or None
    station.operator_registration_no = values["operator_registration_no"][:50] or None
    station.operator_inspection = _choice(values["operator_inspection"], InspectionResult, "operator_inspection")
    station.setup_funding_yuan = _whole(values["setup_funding_yuan"], "setup_funding_yuan", FUNDING_LIMIT_YUAN)
    station.flagship_projects = _whole(values["flagship_projects"], "flagship_projects", PROJECTS_LIMIT)
    db.session.flush()


def _choice(text: str, enum, field: str):
    if not text:
        return None
    try:
        return enum(text)
    except ValueError:
        raise InvalidValue(field=field, reason=f"“{text[:20]}” 不是可选项 / not one of the choices")


def _whole(text: str, field: str, limit: int) -> int | None:
    if not text:
        return None
    if not text.isdigit() or int(text) > limit:
        raise InvalidValue(field=field, reason=f"应为 0 到 {limit} 的整数 / a whole number from 0 to {limit}")
    return int(text)
