"""Queries on submissions, their versions and attachments."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import selectinload

from server.domain.access import Scope
from server.extensions import db
from server.models import Area, Form, Submission, SubmissionVersion


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


def _scoped(scope: Scope):
    return (select(Submission).join(Area, Area.code == Submission.station_code)
            .where(Area.path.startswith(scope.area_path, autoescape=True)))


def list_submissions(scope: Scope, filters: SubmissionFilters, limit: int,
                     after: tuple[datetime, int] | None = None) -> list[Submission]:
    """Newest first, keyset-paginated on (created_at, id): page 10 000 costs what page 1 does."""
    query = _scoped(scope).options(selectinload(Submission.form), selectinload(Submission.versions))
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
    if filters.review_state:
        query = query.where(Submission.review_state == filters.review_state)
    if after is not None:
        query = query.where(or_(Submission.created_at < after[0],
                                and_(Submission.created_at == after[0], Submission.id < after[1])))
    query = query.order_by(Submission.created_at.desc(), Submission.id.desc()).limit(limit)
    return list(db.session.scalars(query))


def get_submission_in_scope(scope: Scope, instance_id: str) -> Submission | None:
    return db.session.scalars(_scoped(scope).where(Submission.instance_id == instance_id)).first()


def list_case_submissions(case_id: str) -> list[Submission]:
    query = (select(Submission).where(Submission.case_id == case_id)
             .options(selectinload(Submission.form)).order_by(Submission.created_at, Submission.id))
    return list(db.session.scalars(query))
