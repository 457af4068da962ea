"""Queries of volunteer service: the hours rows of a record, the ledger per volunteer and per station, certificates."""
from __future__ import annotations

from datetime import date

from sqlalchemy import delete, distinct, func, select

from server.domain.access import Scope
from server.domain.stations import StaffRole
from server.extensions import db
from server.models import Area, ReviewState, StaffMember, Submission
from server.models.volunteers import VolunteerCertificate, VolunteerHours

COUNTED = Submission.review_state != ReviewState.REJECTED  # a rejected record does not count


def delete_hours_of(submission_id: int) -> None:
    db.session.execute(delete(VolunteerHours).where(VolunteerHours.submission_id == submission_id))


def list_hours_of(submission_id: int) -> list[VolunteerHours]:
    return list(db.session.scalars(select(VolunteerHours).where(VolunteerHours.submission_id == submission_id)
                                   .order_by(VolunteerHours.id)))


def list_station_volunteers(station_code: str) -> list[StaffMember]:
    """The station's active volunteers, by name (what phones choose from)."""
    return list(db.session.scalars(select(StaffMember).where(
        StaffMember.station_code == station_code, StaffMember.role == StaffRole.VOLUNTEER,
        StaffMember.active.is_(True)).order_by(StaffMember.name, StaffMember.id)))


def get_volunteer(station_code: str, staff_member_id: int) -> StaffMember | None:
    member = db.session.get(StaffMember, staff_member_id) if 0 < staff_member_id <= 2**31 - 1 else None
    if member is None or member.station_code != station_code or member.role != StaffRole.VOLUNTEER:
        return None
    return member


def find_volunteer_by_name(station_code: str, name: str) -> StaffMember | None:
    return find_volunteer(station_code, name, None)


def find_volunteer(station_code: str, name: str, phone: str | None) -> StaffMember | None:
    """The station's volunteer of this name who is this person: the same phone when one is given (a namesake with
    another phone is someone else), else an active one whose phone does not say otherwise."""
    found = list(db.session.scalars(select(StaffMember).where(
        StaffMember.station_code == station_code, StaffMember.role == StaffRole.VOLUNTEER,
        StaffMember.name == name).order_by(StaffMember.active.desc(), StaffMember.id)))
    if phone:
        same = [m for m in found if m.phone == phone]
        if same:
            return same[0]
        found = [m for m in found if not m.phone]
    return next((m for m in found if m.active), None)


def has_service_records(station_code: str) -> bool:
    """Whether the station ever recorded counted volunteer service."""
    return db.session.scalar(select(VolunteerHours.id).join(Submission, Submission.id == VolunteerHours.submission_id)
                             .where(COUNTED, VolunteerHours.station_code == station_code,
                                    VolunteerHours.staff_member_id.is_not(None)).limit(1)) is not None


def volunteer_ids_with_hours(station_code: str) -> set[int]:
    return set(db.session.scalars(select(VolunteerHours.staff_member_id).distinct().where(
        VolunteerHours.station_code == station_code, VolunteerHours.staff_member_id.is_not(None))))


def volunteer_ledger(scope: Scope, start: date, end: date, station_code: str | None = None,
                     staff_member_id: int | None = None) -> list[tuple]:
    """(staff member id, name, station code, minutes, activities, last day) per volunteer with counted service in
    ``[start, end]`` within the scope, by station and name."""
    query = (select(StaffMember.id, StaffMember.name, StaffMember.station_code, func.sum(VolunteerHours.minutes),
                    func.count(distinct(VolunteerHours.submission_id)), func.max(VolunteerHours.service_date))
             .join(VolunteerHours, VolunteerHours.staff_member_id == StaffMember.id)
             .join(Submission, Submission.id == VolunteerHours.submission_id)
             .join(Area, Area.code == StaffMember.station_code)
             .where(COUNTED, VolunteerHours.service_date >= start, VolunteerHours.service_date <= end,
                    Area.path.startswith(scope.area_path, autoescape=True))
             .group_by(StaffMember.id, StaffMember.name, StaffMember.station_code)
             .order_by(StaffMember.station_code, StaffMember.name, StaffMember.id))
    if station_code:
        query = query.where(StaffMember.station_code == station_code)
    if staff_member_id:
        query = query.where(StaffMember.id == staff_member_id)
    return [(i, n, s, int(m or 0), int(a or 0), last) for i, n, s, m, a, last in db.session.execute(query)]


def station_totals(scope: Scope, start: date, end: date) -> dict[str, tuple[int, int, int]]:
    """Station code → (minutes, activities, volunteers who served) of counted service in ``[start, end]``."""
    query = (select(VolunteerHours.station_code, func.sum(VolunteerHours.minutes),
                    func.count(distinct(VolunteerHours.submission_id)),
                    func.count(distinct(VolunteerHours.staff_member_id)))
             .join(Submission, Submission.id == VolunteerHours.submission_id)
             .join(Area, Area.code == VolunteerHours.station_code)
             .where(COUNTED, VolunteerHours.service_date >= start, VolunteerHours.service_date <= end,
                    VolunteerHours.staff_member_id.is_not(None), Area.path.startswith(scope.area_path, autoescape=True))
             .group_by(VolunteerHours.station_code))
    return {code: (int(m or 0), int(a or 0), int(v or 0)) for code, m, a, v in db.session.execute(query)}


def active_volunteer_count(station_code: str, since: date) -> int:
    """Volunteers still on the list with at least one counted service record since ``since``."""
    return db.session.scalar(
        select(func.count(distinct(VolunteerHours.staff_member_id)))
        .join(Submission, Submission.id == VolunteerHours.submission_id)
        .join(StaffMember, StaffMember.id == VolunteerHours.staff_member_id)
        .where(COUNTED, VolunteerHours.station_code == station_code, VolunteerHours.service_date >= since,
               StaffMember.active.is_(True), StaffMember.role == StaffRole.VOLUNTEER)) or 0


def activities_of(staff_member_id: int, start: date, end: date) -> list[tuple[date, str, int]]:
    """(day, activity title, minutes) of one volunteer's counted records in the period, oldest first."""
    from server.models import SubmissionVersion

    query = (select(VolunteerHours.service_date, SubmissionVersion.data, VolunteerHours.minutes)
             .join(Submission, Submission.id == VolunteerHours.submission_id)
             .join(SubmissionVersion, (SubmissionVersion.submission_id == Submission.id)
                   & SubmissionVersion.current.is_(True))
             .where(COUNTED, VolunteerHours.staff_member_id == staff_member_id,
                    VolunteerHours.service_date >= start, VolunteerHours.service_date <= end)
             .order_by(VolunteerHours.service_date, VolunteerHours.id))
    return [(day, str((data or {}).get("activity_title") or ""), minutes)
            for day, data, minutes in db.session.execute(query)]


def next_certificate_serial(station_code: str, year: int) -> int:
    prefix = f"{station_code}-{year}-"
    count = db.session.scalar(select(func.count()).select_from(VolunteerCertificate).where(
        VolunteerCertificate.number.startswith(prefix, autoescape=True))) or 0
    return count + 1


def get_certificate_by_token(token: str) -> VolunteerCertificate | None:
    if not token or len(token) > 40:
        return None
    return db.session.scalar(select(VolunteerCertificate).where(VolunteerCertificate.token == token))


def get_certificate(number: str) -> VolunteerCertificate | None:
    if not number or len(number) > 40:
        return None
    return db.session.scalar(select(VolunteerCertificate).where(VolunteerCertificate.number == number))


def list_certificates(station_code: str) -> list[VolunteerCertificate]:
    return list(db.session.scalars(select(VolunteerCertificate).where(VolunteerCertificate.station_code == station_code)
                                   .order_by(VolunteerCertificate.id.desc())))


def volunteer_ledger_of(staff_member_id: int, start: date, end: date) -> tuple[int, int] | None:
    """(minutes, activities) of one volunteer's counted service in the period, or None when there is none."""
    minutes, activities = db.session.execute(
        select(func.sum(VolunteerHours.minutes), func.count(distinct(VolunteerHours.submission_id)))
        .join(Submission, Submission.id == VolunteerHours.submission_id)
        .where(COUNTED, VolunteerHours.staff_member_id == staff_member_id, VolunteerHours.service_date >= start,
               VolunteerHours.service_date <= end)).one()
    return (int(minutes), int(activities)) if minutes else None
