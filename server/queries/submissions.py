"""Queries on submissions, their versions and attachments."""
from __future__ import annotations

from sqlalchemy import select

from server.extensions import db
from server.models import Submission, SubmissionVersion


def get_version_by_instance_id(instance_id: str) -> SubmissionVersion | None:
    return db.session.scalars(select(SubmissionVersion).where(SubmissionVersion.instance_id == instance_id)).first()


def get_submission_by_instance_id(instance_id: str) -> Submission | None:
    return db.session.scalars(select(Submission).where(Submission.instance_id == instance_id)).first()


def current_version_of(submission: Submission) -> SubmissionVersion:
    return next(v for v in submission.versions if v.current)
