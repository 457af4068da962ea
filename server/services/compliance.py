"""A station's compliance with the standard, from what is recorded about it (rules in domain/compliance.py)."""
from __future__ import annotations

from datetime import date

from server.domain.compliance import Check, StaffFact, StationFact, check_station
from server.queries.volunteers import has_service_records
from server.services.volunteers import active_volunteers
from server.domain.stations import InspectionResult
from server.models import Station

PASSED = (InspectionResult.PASSED, InspectionResult.BASIC_PASS)


def _flagships(station: Station, today: date) -> int | None:
    """A2's brand services: from the projects covering the station when they list their services, else the count
    kept on the station record (docs/money.md)."""
    from server.services.money import brand_services_of_station

    from_projects = brand_services_of_station(station.code, today)
    return station.flagship_projects if from_projects is None else from_projects


def station_compliance(station: Station, today: date) -> list[Check]:
    inspection = station.operator_inspection
    facts = StationFact(
        mode=station.mode, operator_registration_no=station.operator_registration_no,
        operator_inspection_passed=None if inspection in (None, InspectionResult.NOT_INSPECTED) else inspection in PASSED,
        setup_funding_yuan=station.setup_funding_yuan, plaque_issued=station.plaque_issued_on is not None,
        flagship_projects=_flagships(station, today),
        staff=tuple(StaffFact(m.name, m.role, m.origin, m.birth_date, m.education, m.certificate)
                    for m in station.staff if m.active),
        active_volunteers=active_volunteers(station.code, today),
        records_volunteering=has_service_records(station.code))
    return check_station(facts, today)
