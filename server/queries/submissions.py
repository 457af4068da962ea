"""Queries on submissions, their versions and attachments."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import selectinload

from server.domain.access import Scope
from server.extensions import db
from server.models import Area, Form, Station, Submission, SubmissionVersion


def get_version_by_instance_id(instance_id: str) -> SubmissionVersion | None:
    return db.session.scalars(select(SubmissionVersion).where(SubmissionVersion.instance_id == instance_id)).first()


def get_submission_by_instance_id(instance_id: str) -> Submission | None:
    return db.session.scalars(select(Submission).where(Submission.instance_id == instance_id)).first()


def current_version_of(submission: Submission) -> SubmissionVersion:
    return next(v for v in submission.versions if v.current)


@dataclass(frozen=True)
class SubmissionFilters:
    xml_form_id: str | None = None
    station: str | None = None
    case_id: str | None = None
    submitter_id: int | None = None
    received_from: datetime | None = None   # inclusive
    received_before: datetime | None = None  # exclusive
    review_state: str | None = None
    risk_level: str | None = None
    area_path: str | None = None  # only stations under this area (a county or township within scope)


def _scoped(scope: Scope):
    return (select(Submission).join(Area, Area.code == Submission.station_code)
            .where(Area.path.startswith(scope.area_path, autoescape=True)))


def list_submissions(scope: Scope, filters: SubmissionFilters, limit: int,
                     after: tuple[datetime, int] | None = None) -> list[Submission]:
    """Newest first, keyset-paginated on (created_at, id): page 10 000 costs what page 1 does."""
    query = _filtered(_scoped(scope), filters).options(
        selectinload(Submission.form), selectinload(Submission.versions).selectinload(SubmissionVersion.attachments),
        selectinload(Submission.case), selectinload(Submission.submitter),
        selectinload(Submission.station).selectinload(Station.township))
    if filters.review_state:
        query = query.where(Submission.review_state == filters.review_state)
    if after is not None:
        query = query.where(or_(Submission.created_at < after[0],
                                and_(Submission.created_at == after[0], Submission.id < after[1])))
    query = query.order_by(Submission.created_at.desc(), Submission.id.desc()).limit(limit)
    return list(db.session.scalars(query))


def count_by_review_state(scope: Scope, filters: SubmissionFilters) -> dict[str, int]:
    """How many submissions the list's filters match in each review state (the state filter aside)."""
    base = _filtered(_scoped(scope), filters).with_only_columns(Submission.review_state, func.count())
    rows = db.session.execute(base.group_by(Submission.review_state).order_by(None))
    return {str(state.value if hasattr(state, "value") else state): int(count) for state, count in rows}


def _filtered(query, filters: SubmissionFilters):
    if filters.xml_form_id:
        query = query.join(Form, Form.id == Submission.form_id).where(Form.xml_form_id == filters.xml_form_id)
    if filters.station:
        query = query.where(Submission.station_code == filters.station)
    if filters.case_id:
        query = query.where(Submission.case_id == filters.case_id)
    if filters.submitter_id:
        query = query.where(Submission.submitter_id == filters.submitter_id)
    if filters.received_from:
        query = query.where(Submission.created_at >= filters.received_from)
    if filters.received_before:
        query = query.where(Submission.created_at < filters.received_before)
    if filters.risk_level:
        query = query.where(Submission.risk_level == filters.risk_level)
    if filters.area_path:
        query = query.where(Area.path.startswith(filters.area_path, autoescape=True))
    return query


def get_submission_in_scope(scope: Scope, instance_id: str) -> Submission | None:
    return db.session.scalars(_scoped(scope).where(Submission.instance_id == instance_id)).first()


def list_case_submissions(case_id: str) -> list[Submission]:
    query = (select(Submission).where(Submission.case_id == case_id)
             .options(selectinload(Submission.form)).order_by(Submission.created_at, Submission.id))
    return list(db.session.scalars(query))


def count_station_feedback(station_code: str) -> int:
    query = (select(func.count()).select_from(Submission).join(Form, Form.id == Submission.form_id)
             .where(Submission.station_code == station_code, Form.xml_form_id == "resident_feedback"))
    return int(db.session.scalar(query))
