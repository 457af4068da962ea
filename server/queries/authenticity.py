"""Queries for the authenticity checks (``services/authenticity.py``) and the visit-quality view."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import String, cast, func, literal_column, select

from server.domain.access import Scope
from server.domain.cases import VISIT_FORMS
from server.extensions import db
from server.models import (Area, AuthenticityThresholds, Blob, Case, Form, Submission, SubmissionAttachment,
                           SubmissionEvent, SubmissionVersion, User, VisitFlag)

VILLAGE_SAMPLE = 200  # a village's reference point is the median of its latest visits' positions


def _current_visits():
    return (select(SubmissionVersion).join(Submission, Submission.id == SubmissionVersion.submission_id)
            .join(Form, Form.id == Submission.form_id)
            .where(SubmissionVersion.current.is_(True), Form.xml_form_id.in_(VISIT_FORMS)))


def village_positions(village_code: str, accuracy_limit: float) -> list[tuple[float, float]]:
    """The positions of the latest visits to the village's people (fixes no vaguer than the limit)."""
    rows = db.session.execute(
        _current_visits().with_only_columns(SubmissionVersion.latitude, SubmissionVersion.longitude)
        .join(Case, Case.id == Submission.case_id)
        .where(Case.village_code == village_code, SubmissionVersion.latitude.is_not(None),
               SubmissionVersion.longitude.is_not(None),
               (SubmissionVersion.accuracy.is_(None)) | (SubmissionVersion.accuracy <= accuracy_limit))
        .order_by(SubmissionVersion.id.desc()).limit(VILLAGE_SAMPLE))
    return [(float(lat), float(lon)) for lat, lon in rows]


@dataclass(frozen=True)
class DayVisit:
    """What the day's checks read of one of a worker's visits: where and when, never the whole record."""

    submission_id: int
    instance_id: str
    case_id: str | None
    latitude: float | None
    longitude: float | None
    accuracy: float | None
    start: str | None  # the form's start and end as sent (ISO 8601 with offset)
    end: str | None


def list_worker_day_visits(submitter_id: int, day: date, limit: int) -> list[DayVisit]:
    """A worker's latest ``limit`` visits of one day (the day they recorded), current versions, oldest first."""
    rows = db.session.execute(
        _current_visits().with_only_columns(
            Submission.id, Submission.instance_id, Submission.case_id, SubmissionVersion.latitude,
            SubmissionVersion.longitude, SubmissionVersion.accuracy, SubmissionVersion.data["start"].as_string(),
            SubmissionVersion.data["end"].as_string())
        .where(Submission.submitter_id == submitter_id, Submission.visit_date == day)
        .order_by(SubmissionVersion.id.desc()).limit(limit))
    return [DayVisit(*row) for row in reversed(list(rows))]


def cases_by_id(ids: list[str]) -> dict[str, Case]:
    return {case.id: case for case in db.session.scalars(select(Case).where(Case.id.in_(ids)))} if ids else {}


@dataclass(frozen=True)
class StationPhoto:
    submission_id: int
    instance_id: str
    sha256: str
    phash: str


def list_station_photo_hashes(station_code: str, since: datetime) -> list[StationPhoto]:
    """The perceptual hashes of the photos of the station's visits stored since then (current versions)."""
    rows = db.session.execute(
        _current_visits().with_only_columns(Submission.id, Submission.instance_id, Blob.sha256, Blob.phash)
        .join(SubmissionAttachment, SubmissionAttachment.version_id == SubmissionVersion.id)
        .join(Blob, Blob.sha256 == SubmissionAttachment.blob_sha256)
        .where(Submission.station_code == station_code, Submission.created_at >= since, Blob.phash.is_not(None)))
    return [StationPhoto(*row) for row in rows]


def list_station_blobs(station_code: str) -> list[str]:
    """The stored files of the station's submissions, in the order they arrived (each once)."""
    rows = db.session.execute(
        select(SubmissionAttachment.blob_sha256, func.min(SubmissionAttachment.id))
        .join(SubmissionVersion, SubmissionVersion.id == SubmissionAttachment.version_id)
        .join(Submission, Submission.id == SubmissionVersion.submission_id)
        .where(Submission.station_code == station_code, SubmissionAttachment.blob_sha256.is_not(None))
        .group_by(SubmissionAttachment.blob_sha256).order_by(func.min(SubmissionAttachment.id)))
    return [sha for sha, _first in rows]


def list_visits_holding_blob(sha256: str) -> list[Submission]:
    """The visits (any version) holding this stored picture."""
    holding = (select(SubmissionVersion.submission_id).join(SubmissionAttachment)
               .where(SubmissionAttachment.blob_sha256 == sha256))
    return list(db.session.scalars(select(Submission).join(Form).where(Submission.id.in_(holding),
                                                                         Form.xml_form_id.in_(VISIT_FORMS))))


def get_visit_flag(submission_id: int, code: str) -> VisitFlag | None:
    return db.session.get(VisitFlag, (submission_id, code))


def list_visit_flags(submission_id: int) -> list[VisitFlag]:
    return list(db.session.scalars(select(VisitFlag).where(VisitFlag.submission_id == submission_id)
                                   .order_by(VisitFlag.raised_at, VisitFlag.code)))


def list_submissions_by_instance_ids(instance_ids: list[str]) -> list[Submission]:
    if not instance_ids:
        return []
    return list(db.session.scalars(select(Submission).where(Submission.instance_id.in_(instance_ids))))


def get_thresholds(county_code: str) -> AuthenticityThresholds | None:
    return db.session.get(AuthenticityThresholds, county_code)


# --- the visit-quality view ------------------------------------------------------------------------------------

def _visits_in_scope(scope: Scope, first: date, last: date, station: str | None):
    query = (select(Submission).join(Form, Form.id == Submission.form_id)
             .join(Area, Area.code == Submission.station_code)
             .where(Form.xml_form_id.in_(VISIT_FORMS), Area.path.startswith(scope.area_path, autoescape=True),
                    Submission.visit_date >= first, Submission.visit_date <= last))
    if station:
        query = query.where(Submission.station_code == station)
    return query


def _month(column):
    # 'YYYY-MM' on both databases; the positions written out, not bound, so that GROUP BY repeats the very same
    # expression as the select list (PostgreSQL compares them as text)
    return func.substr(cast(column, String), literal_column("1"), literal_column("7"))


def count_visits(scope: Scope, first: date, last: date, station: str | None = None) -> list[tuple[str, int | None, str, int]]:
    """Visits per (station, worker, month 'YYYY-MM')."""
    query = (_visits_in_scope(scope, first, last, station)
             .with_only_columns(Submission.station_code, Submission.submitter_id, _month(Submission.visit_date),
                                func.count())
             .group_by(Submission.station_code, Submission.submitter_id, _month(Submission.visit_date)))
    return [(s, w, m, int(n)) for s, w, m, n in db.session.execute(query)]


def count_flags(scope: Scope, first: date, last: date, station: str | None = None) -> list[tuple[str, int | None, str, str, int]]:
    """Flagged visits per (station, worker, month, flag code)."""
    query = (_visits_in_scope(scope, first, last, station)
             .join(VisitFlag, VisitFlag.submission_id == Submission.id)
             .with_only_columns(Submission.station_code, Submission.submitter_id, _month(Submission.visit_date),
                                VisitFlag.code, func.count())
             .group_by(Submission.station_code, Submission.submitter_id, _month(Submission.visit_date),
                       VisitFlag.code))
    return [(s, w, m, c, int(n)) for s, w, m, c, n in db.session.execute(query)]


def count_flagged_visits(scope: Scope, first: date, last: date, station: str | None = None) -> list[tuple[str, int | None, str, int]]:
    """Visits with at least one authenticity flag per (station, worker, month)."""
    flagged = select(VisitFlag.submission_id).distinct()
    query = (_visits_in_scope(scope, first, last, station).where(Submission.id.in_(flagged))
             .with_only_columns(Submission.station_code, Submission.submitter_id, _month(Submission.visit_date),
                                func.count())
             .group_by(Submission.station_code, Submission.submitter_id, _month(Submission.visit_date)))
    return [(s, w, m, int(n)) for s, w, m, n in db.session.execute(query)]


def count_verdicts(scope: Scope, first: date, last: date, verdicts: tuple[str, ...],
                   station: str | None = None) -> list[tuple[str, int | None, str, str, int]]:
    """Visits per (station, worker, month, last verdict) among those given a verdict."""
    last_verdict = (select(SubmissionEvent.submission_id, func.max(SubmissionEvent.id).label("event_id"))
                    .where(SubmissionEvent.reason.in_(verdicts)).group_by(SubmissionEvent.submission_id).subquery())
    query = (_visits_in_scope(scope, first, last, station)
             .join(last_verdict, last_verdict.c.submission_id == Submission.id)
             .join(SubmissionEvent, SubmissionEvent.id == last_verdict.c.event_id)
             .with_only_columns(Submission.station_code, Submission.submitter_id, _month(Submission.visit_date),
                                SubmissionEvent.reason, func.count())
             .group_by(Submission.station_code, Submission.submitter_id, _month(Submission.visit_date),
                       SubmissionEvent.reason))
    return [(s, w, m, r, int(n)) for s, w, m, r, n in db.session.execute(query)]


def last_verdict_event(submission_id: int, verdicts: tuple[str, ...]) -> SubmissionEvent | None:
    return db.session.scalars(select(SubmissionEvent).where(SubmissionEvent.submission_id == submission_id,
                                                            SubmissionEvent.reason.in_(verdicts))
                              .order_by(SubmissionEvent.id.desc()).limit(1)).first()


def names_of_users(ids: list[int]) -> dict[int, User]:
    if not ids:
        return {}
    return {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(ids)))}

