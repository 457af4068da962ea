"""Queries for erasing a case on request: what of it is stored, and which files nothing else uses."""
from __future__ import annotations

from sqlalchemy import select

from server.extensions import db
from server.models import Blob, CaseEvent, Submission, SubmissionAttachment, SubmissionEvent


def list_submissions_of_cases(case_ids: list[str]) -> list[Submission]:
    return list(db.session.scalars(select(Submission).where(Submission.case_id.in_(case_ids))
                                   .order_by(Submission.id)))


def list_case_events_of_cases(case_ids: list[str]) -> list[CaseEvent]:
    return list(db.session.scalars(select(CaseEvent).where(CaseEvent.case_id.in_(case_ids))))


def list_submission_events(submission_ids: list[int]) -> list[SubmissionEvent]:
    return list(db.session.scalars(select(SubmissionEvent).where(SubmissionEvent.submission_id.in_(submission_ids))))


def list_unreferenced_blobs(sha256s: set[str]) -> list[Blob]:
    """The blobs among these that no attachment names any more (after the session's deletions are flushed)."""
    if not sha256s:
        return []
    used = set(db.session.scalars(select(SubmissionAttachment.blob_sha256)
                                  .where(SubmissionAttachment.blob_sha256.in_(sha256s))))
    return list(db.session.scalars(select(Blob).where(Blob.sha256.in_(sha256s - used)).order_by(Blob.sha256)))
