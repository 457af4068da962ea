"""Volunteer service records and the ledger (POLICY.md §5.6 and §4.4; docs/volunteers.md).

A ``volunteer_service`` submission is a station's service record: the activity, the volunteers chosen from the
station's list (``volunteers.csv`` on the phone) with their hours, and new volunteers registered on the phone.
Its parts are kept as ``volunteer_hours`` rows, rebuilt whenever the record is edited; a rejected record does not
count. A new volunteer becomes a staff record (role volunteer) when a supervisor approves the record — never
from the phone alone — and their hours then count like everyone's.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from server.domain.access import Role, Scope
from server.domain.collect_files import render_csv
from server.domain.stations import StaffOrigin, StaffRole
from server.domain.volunteers import (
    ACTIVE_DAYS,
    VOLUNTEER_COLUMNS,
    VOLUNTEER_FORM,
    service_parts,
)
from server.extensions import db
from server.models import StaffMember, Submission, SubmissionVersion, User
from server.models.volunteers import VolunteerHours
from server.queries import volunteers as queries
from server.services import audit


REGISTRARS = (Role.ADMIN, Role.COUNTY)  # whose approval adds a new volunteer to a station's list


def is_service_record(submission: Submission) -> bool:
    return submission.form.xml_form_id == VOLUNTEER_FORM


def record_service(submission: Submission, version: SubmissionVersion) -> int:
    """(Re)build the record's hours from its current version. Volunteers not on the station's list as volunteers
    are left out; new volunteers wait for review (or are matched to the one an earlier approval created)."""
    # new volunteers an approval already put on the list keep their staff record through the worker's edits
    linked = {row.new_name: row.staff_member_id for row in queries.list_hours_of(submission.id)
              if row.new_name and row.staff_member_id is not None}
    queries.delete_hours_of(submission.id)
    parts = service_parts(version.data or {})
    day = submission.visit_date or submission.created_at.date()
    rows = 0
    for part in parts.listed:
        if queries.get_volunteer(submission.station_code, part.staff_member_id) is None:
            continue
        db.session.add(VolunteerHours(submission_id=submission.id, station_code=submission.station_code,
                                      service_date=day, staff_member_id=part.staff_member_id, minutes=part.minutes))
        rows += 1
    chosen = {part.staff_member_id for part in parts.listed}
    for new in parts.new:
        member_id = linked.get(new.name)
        if member_id in chosen:
            continue  # the same person was also chosen from the list: counted once, there
        db.session.add(VolunteerHours(submission_id=submission.id, station_code=submission.station_code,
                                      service_date=day, staff_member_id=member_id, new_name=new.name,
                                      new_gender=new.gender, new_phone=new.phone, minutes=new.minutes))
        rows += 1
    db.session.flush()
    return rows


def register_new_volunteers(submission: Submission, user: User) -> list[StaffMember]:
    """On a county supervisor's or admin's approval (the station's list is theirs to keep, like its staff import:
    a station cannot add people to the list it is judged by): each volunteer registered on the phone becomes — or
    is matched by name and phone to — a volunteer of the station, and their hours in this record count from now
    on. Someone who turns out to be already chosen in the same record is counted once (the longer time)."""
    if user.role not in REGISTRARS:
        return []
    created: list[StaffMember] = []
    rows = queries.list_hours_of(submission.id)
    listed = {row.staff_member_id: row for row in rows if row.staff_member_id is not None and not row.new_name}
    for row in rows:
        if row.staff_member_id is not None or not row.new_name:
            continue
        member = queries.find_volunteer(submission.station_code, row.new_name, row.new_phone)
        if member is not None and member.id in listed:
            listed[member.id].minutes = max(listed[member.id].minutes, row.minutes)
            db.session.delete(row)
            continue
        if member is None:
            member = StaffMember(station_code=submission.station_code, name=row.new_name, role=StaffRole.VOLUNTEER,
                                 origin=StaffOrigin.VOLUNTEER, gender=row.new_gender, phone=row.new_phone,
                                 active=True)
            db.session.add(member)
            db.session.flush()
            created.append(member)
            audit.record("volunteer.register", "station", submission.station_code,
                         {"volunteer": member.id, "instance_id": submission.instance_id}, user)
        row.staff_member_id = member.id
    db.session.flush()
    return created


def volunteers_csv(station_code: str) -> bytes:
    """The phone's list: the staff record's id and the name — no phone number, no ID number."""
    return render_csv(VOLUNTEER_COLUMNS, [(str(m.id), m.name) for m in queries.list_station_volunteers(station_code)])


# ---- the ledger ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class LedgerRow:
    staff_member_id: int
    name: str
    station_code: str
    minutes: int
    activities: int
    last_day: date | None


@dataclass(frozen=True)
class StationVolunteering:
    station_code: str
    minutes: int
    activities: int
    volunteers_served: int   # volunteers with counted service in the period
    active_volunteers: int   # … in the 12 months to the period's end


def ledger(scope: Scope, start: date, end: date, station_code: str | None = None) -> list[LedgerRow]:
    return [LedgerRow(*row) for row in queries.volunteer_ledger(scope, start, end, station_code)]


def station_volunteering(scope: Scope, station_codes: list[str], start: date, end: date) -> dict[str, StationVolunteering]:
    totals = queries.station_totals(scope, start, end)
    since = end - timedelta(days=ACTIVE_DAYS - 1)
    return {code: StationVolunteering(code, *totals.get(code, (0, 0, 0)),
                                      active_volunteers=queries.active_volunteer_count(code, since))
            for code in station_codes}


def active_volunteers(station_code: str, today: date) -> int:
    return queries.active_volunteer_count(station_code, today - timedelta(days=ACTIVE_DAYS - 1))
