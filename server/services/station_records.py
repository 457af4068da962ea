"""What admins and county supervisors record about a station for the standard's checks (§4.1–§4.5, A2)."""
from __future__ import annotations

from typing import Mapping

from server.domain.station_rows import STATION_FORM_LABELS, read_station_form
from server.errors import InvalidFields
from server.extensions import db
from server.models import Station

EDITABLE = tuple(STATION_FORM_LABELS)


def update_station_record(station: Station, form: Mapping[str, str]) -> None:
    """Apply the edit form, checked by the rules a stations file is checked by; any invalid field refuses
    the whole edit (nothing half-saved, nothing cut short), naming each field by its label."""
    values, problems = read_station_form({name: form.get(name) for name in EDITABLE})
    if problems:
        raise InvalidFields(problems)
    values["status"] = values["status"] or station.status  # a station always has a status
    for name, value in values.items():
        setattr(station, name, value)
    db.session.flush()
