"""Who sees personal details in full, and the masked form everyone else sees. Pure: no Flask, no database.

The rule (docs/cases.md, "Privacy and retention"):

| Role      | ID numbers | Phone numbers | Health and safety details |
|-----------|------------|---------------|---------------------------|
| admin     | full       | full          | full                      |
| county    | full       | full          | full                      |
| station   | masked     | full          | full                      |
| worker    | masked     | full          | masked                    |

County supervisors (and the city's administrators) verify eligibility against the civil-affairs
registers, which needs the full ID number; station heads and workers tell people apart by name and
village, and a masked number (``5301**********1234``) is enough for that. Stations and workers call
and visit people, so they see phone numbers. Station heads review each visit, so they see its health
details; a worker's API access reaches every visit of the station, and a worker only needs the ones
they record on their own phone, so through the API they see health details masked.

The sensitive fields are declared once here: case properties, and submission fields by their
form-relative path (a path ending in ``/`` covers a whole group; a repeat's fields are named under the
repeat's path). Every page, API answer and export masks through ``masked_data`` / ``masked_properties``.
"""
from __future__ import annotations

from enum import StrEnum
from functools import lru_cache
from typing import Any

from server.domain.access import Role
from server.domain.cases import CaseSearch, mask_id_number


class Sensitive(StrEnum):
    ID_NUMBER = "id_number"
    PHONE = "phone"
    HEALTH = "health"  # health, disability, mental state, abuse and self-harm signs


SEES_IN_FULL: dict[Role, frozenset[Sensitive]] = {
    Role.ADMIN: frozenset(Sensitive),
    Role.COUNTY: frozenset(Sensitive),
    Role.STATION: frozenset({Sensitive.PHONE, Sensitive.HEALTH}),
    Role.WORKER: frozenset({Sensitive.PHONE}),
}

CASE_PROPERTIES: dict[str, Sensitive] = {"id_number": Sensitive.ID_NUMBER, "phone": Sensitive.PHONE}

SUBMISSION_FIELDS: dict[str, Sensitive] = {
    # registration group of the four field forms (docs/forms.md)
    "registration/reg_id_number": Sensitive.ID_NUMBER,
    "registration/reg_phone": Sensitive.PHONE,
    "care/emergency_contact_phone": Sensitive.PHONE,      # elder_patrol
    "contact": Sensitive.PHONE,                           # resident_feedback
    # home_visit
    "situation/health_status": Sensitive.HEALTH,
    "situation/mental_state": Sensitive.HEALTH,
    "risk/risk_flags": Sensitive.HEALTH,                  # illness_untreated, abuse_neglect, suicide_risk
    # household_survey
    "member/member_health": Sensitive.HEALTH,
    "member/member_disability_grade": Sensitive.HEALTH,
    "expenses/medical_expense": Sensitive.HEALTH,
    "serious_member_count": Sensitive.HEALTH,
    # elder_patrol
    "health/": Sensitive.HEALTH,
    "adl/": Sensitive.HEALTH,
    "mind/": Sensitive.HEALTH,
    "adl_score": Sensitive.HEALTH,
    "adl_level": Sensitive.HEALTH,
    # child_followup
    "wellbeing/": Sensitive.HEALTH,                       # child_health, mental_signs
    "safety/safety_signs": Sensitive.HEALTH,              # abuse, self-harm
    "mental_concern": Sensitive.HEALTH,
}

HIDDEN = "***"


def sees_in_full(role: Role | str, kind: Sensitive) -> bool:
    return kind in SEES_IN_FULL.get(Role(role), frozenset())


def case_search(text: str, role: Role | str) -> CaseSearch | None:
    """A case search as ``role`` may run it: ID numbers matched in full only by those who see them in full."""
    text = text.strip()[:100]
    return CaseSearch(text, sees_in_full(role, Sensitive.ID_NUMBER)) if text else None


@lru_cache(maxsize=4096)
def sensitivity_of(path: str) -> Sensitive | None:
    """The kind of a submission field by its form-relative path (``situation/health_status``), if sensitive."""
    if path in SUBMISSION_FIELDS:
        return SUBMISSION_FIELDS[path]
    for declared, kind in SUBMISSION_FIELDS.items():
        if declared.endswith("/") and path.startswith(declared):
            return kind
    return None


def mask_phone(phone: str) -> str:
    """138****5678."""
    return phone[:3] + "****" + phone[-4:] if len(phone) > 7 else "****"


def mask_value(kind: Sensitive, value: Any) -> Any:
    if value is None or value == "":
        return value
    if kind == Sensitive.ID_NUMBER:
        return mask_id_number(str(value))
    if kind == Sensitive.PHONE:
        return mask_phone(str(value))
    return HIDDEN


def masked_properties(properties: dict[str, Any] | None, role: Role | str) -> dict[str, Any]:
    """A case's properties (or a timeline entry's changes) as ``role`` may see them."""
    return {key: value if key not in CASE_PROPERTIES or sees_in_full(role, CASE_PROPERTIES[key])
            else mask_value(CASE_PROPERTIES[key], value)
            for key, value in (properties or {}).items()}


def sees_everything(role: Role | str) -> bool:
    """Whether ``role`` sees every kind of sensitive answer in full (nothing of a record is masked for it)."""
    return SEES_IN_FULL.get(Role(role), frozenset()) >= set(Sensitive)


def masked_data(data: dict[str, Any] | None, role: Role | str, prefix: str = "") -> dict[str, Any]:
    """A submission's typed values as ``role`` may see them: the same shape, sensitive leaves masked."""
    if sees_everything(role):
        return data or {}  # nothing to mask (an export runs this once per row)
    visible: dict[str, Any] = {}
    for key, value in (data or {}).items():
        path = f"{prefix}{key}"
        kind = sensitivity_of(path)
        if kind is not None and not sees_in_full(role, kind):
            visible[key] = mask_value(kind, value)
        elif isinstance(value, dict) and not {"latitude", "longitude"} <= value.keys():
            visible[key] = masked_data(value, role, path + "/")
        elif isinstance(value, list) and value and all(isinstance(item, dict) for item in value):
            visible[key] = [masked_data(item, role, path + "/") for item in value]
        else:
            visible[key] = value
    return visible
