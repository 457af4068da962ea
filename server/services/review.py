"""Reviewing visits: ODK Central's review states and comments, plus what Central cannot do —
sending a visit back to the worker, who sees it flagged on the phone at the next form update.
"""
from __future__ import annotations

from server.domain.cases import CaseEventKind
from server.errors import InvalidValue
from server.extensions import db
from server.models import CaseEvent, ReviewState, Submission, SubmissionEvent, SubmissionEventKind, User
from server.models.types import utcnow
from server.queries import cases as case_queries
from server.services import audit
from server.services.cases import touch

# Supervisors choose among these; 'received' and 'edited' are set by the system.
REVIEW_CHOICES = (ReviewState.HAS_ISSUES, ReviewState.APPROVED, ReviewState.REJECTED)
MAX_TEXT = 2000


def set_review_state(submission: Submission, state: str, user: User, note: str = "") -> None:
    try:
        state = ReviewState(state)
    except ValueError:
        raise InvalidValue(field="review_state", reason=f"未知状态 / unknown state {state!r}")
    if state not in REVIEW_CHOICES:
        raise InvalidValue(field="review_state", reason="只能设为有问题、通过或退回 / choose has_issues, approved or "
                                                        "rejected")
    submission.review_state = state
    submission.updated_at = utcnow()
    db.session.add(SubmissionEvent(submission_id=submission.id, user_id=user.id, kind=SubmissionEventKind.REVIEW,
                                   review_state=state, body=_text(note) or None))
    audit.record("submission.review", "submission", submission.instance_id, {"review_state": state.value}, user)
    db.session.flush()


def add_comment(submission: Submission, user: User, body: str) -> None:
    text = _text(body)
    if not text:
        raise InvalidValue(field="body", reason="评论不能为空 / the comment is empty")
    db.session.add(SubmissionEvent(submission_id=submission.id, user_id=user.id, kind=SubmissionEventKind.COMMENT,
                                   body=text))
    audit.record("submission.comment", "submission", submission.instance_id, user=user)
    db.session.flush()


def return_to_worker(submission: Submission, user: User, reason: str) -> None:
    """Send the visit back: it is marked 'has issues', and its case shows 'to redo' with the reason
    in the worker's cases.csv until their next visit to that case."""
    text = _text(reason)
    if not text:
        raise InvalidValue(field="reason", reason="请写明退回原因，社工会在手机上看到 / give the reason; the worker "
                                                  "sees it on the phone")
    submission.review_state = ReviewState.HAS_ISSUES
    submission.updated_at = utcnow()
    db.session.add(SubmissionEvent(submission_id=submission.id, user_id=user.id, kind=SubmissionEventKind.RETURNED,
                                   review_state=ReviewState.HAS_ISSUES, body=text))
    case = case_queries.get_case_by_id(submission.case_id) if submission.case_id else None
    if case is not None:
        case.redo, case.redo_reason = True, text
        db.session.add(CaseEvent(case_id=case.id, kind=CaseEventKind.RETURNED, submission_id=submission.id,
                                 user_id=user.id, note=text))
        touch(case)
    audit.record("submission.return", "submission", submission.instance_id, user=user)
    db.session.flush()


def _text(value: str) -> str:
    return (value or "").strip()[:MAX_TEXT]
