"""Reviewing submissions: ODK Central's review states and comments, plus what Central cannot do — sending a
visit back to the worker, who sees it flagged on the phone at the next form update, and leaving a resident's
answer out of the indicators for a stated reason.

Who may do which is decided in ``server/domain/review.py`` and enforced here, for the pages and the API alike.
"""
from __future__ import annotations

from server.domain.access import Role
from server.domain.cases import CaseEventKind
from server.domain.events import EventType
from server.domain.review import OVERSIGHT_ROLES, ReviewAction, allowed_actions, exclusion_reason
from server.errors import InvalidValue, NothingToReturn, ReviewNotAllowed
from server.extensions import db
from server.models import CaseEvent, ReviewState, Submission, SubmissionEvent, SubmissionEventKind, User
from server.models.types import utcnow
from server.queries import cases as case_queries
from server.services import audit, outbox, volunteers
from server.services.cases import touch

FEEDBACK_FORM = "resident_feedback"
# Supervisors choose among these; 'received' and 'edited' are set by the system.
REVIEW_CHOICES = (ReviewState.APPROVED, ReviewState.HAS_ISSUES, ReviewState.REJECTED)
MAX_TEXT = 2000


def is_feedback(submission: Submission) -> bool:
    return submission.form.xml_form_id == FEEDBACK_FORM


def actions_for(submission: Submission, user: User) -> frozenset[ReviewAction]:
    return allowed_actions(user.role, is_feedback(submission), submission.case_id is not None)


def set_review_state(submission: Submission, state: str, user: User, note: str = "") -> None:
    """Approve, flag or reject. Approving or flagging excluded feedback counts it again."""
    try:
        state = ReviewState(state)
    except ValueError:
        raise InvalidValue(field="review_state", reason=f"未知状态 / unknown state {state!r}")
    if state not in REVIEW_CHOICES:
        raise InvalidValue(field="review_state", reason="只能设为通过、有问题或驳回 / choose approved, has_issues or "
                                                        "rejected")
    _require(submission, user, ReviewAction(state.value))
    included_again = submission.exclusion_reason is not None
    submission.exclusion_reason = submission.exclusion_note = None
    _change_state(submission, state)
    db.session.add(SubmissionEvent(submission_id=submission.id, user_id=user.id, kind=SubmissionEventKind.REVIEW,
                                   review_state=state, body=clean_text(note) or None))
    if state == ReviewState.APPROVED and volunteers.is_service_record(submission):
        volunteers.register_new_volunteers(submission, user)  # new volunteers join the list only now
    audit.record("submission.review", "submission", submission.instance_id,
                 {"review_state": state.value, **({"included_again": True} if included_again else {})}, user)
    outbox.submission_event(EventType.SUBMISSION_REVIEWED, submission, None)


def exclude_feedback(submission: Submission, user: User, reason: str, note: str) -> None:
    """Leave a resident's answer out of the indicators (county supervisors and admins): one of the fixed
    reasons and the supervisor's own words, both kept and disclosed beside every rate it changes."""
    _require(submission, user, ReviewAction.EXCLUDE)
    chosen = exclusion_reason(reason)
    if chosen is None:
        raise InvalidValue(field="reason", reason="请选择原因：垃圾信息、重复提交、测试数据或与本站无关 / choose spam, "
                                                  "duplicate, test or not_about_station")
    text = clean_text(note)
    if not text:
        raise InvalidValue(field="note", reason="请写明说明，县、市两级都能看到 / explain it in a few words; it is "
                                                "shown wherever the exclusion is")
    submission.exclusion_reason, submission.exclusion_note = chosen.value, text
    _change_state(submission, ReviewState.REJECTED)
    db.session.add(SubmissionEvent(submission_id=submission.id, user_id=user.id, kind=SubmissionEventKind.REVIEW,
                                   review_state=ReviewState.REJECTED, reason=chosen.value, body=text))
    audit.record("submission.exclude", "submission", submission.instance_id, {"reason": chosen.value}, user)
    outbox.submission_event(EventType.SUBMISSION_REVIEWED, submission, None)


def add_comment(submission: Submission, user: User, body: str) -> SubmissionEvent:
    _require(submission, user, ReviewAction.COMMENT)
    text = clean_text(body)
    if not text:
        raise InvalidValue(field="body", reason="评论不能为空 / the comment is empty")
    event = SubmissionEvent(submission_id=submission.id, user_id=user.id, kind=SubmissionEventKind.COMMENT,
                            body=text)
    db.session.add(event)
    audit.record("submission.comment", "submission", submission.instance_id, user=user)
    db.session.flush()
    return event


def return_to_worker(submission: Submission, user: User, reason: str) -> None:
    """Send the visit back: it is marked 'has issues', and its case shows 'to redo' with the reason
    in the worker's cases.csv until their next visit to that case."""
    _require(submission, user, ReviewAction.RETURN)
    text = clean_text(reason)
    if not text:
        raise InvalidValue(field="reason", reason="请写明退回原因，社工会在手机上看到 / give the reason; the worker "
                                                  "sees it on the phone")
    case = case_queries.get_case_by_id(submission.case_id)
    _change_state(submission, ReviewState.HAS_ISSUES)
    db.session.add(SubmissionEvent(submission_id=submission.id, user_id=user.id, kind=SubmissionEventKind.RETURNED,
                                   review_state=ReviewState.HAS_ISSUES, body=text))
    case.redo, case.redo_reason = True, text
    db.session.add(CaseEvent(case_id=case.id, kind=CaseEventKind.RETURNED, submission_id=submission.id,
                             user_id=user.id, note=text))
    touch(case)
    audit.record("submission.return", "submission", submission.instance_id, user=user)
    outbox.submission_event(EventType.SUBMISSION_RETURNED, submission, None)
    outbox.case_event(EventType.CASE_UPDATED, case)


def _change_state(submission: Submission, state: ReviewState) -> None:
    submission.review_state = state
    submission.updated_at = utcnow()


def _require(submission: Submission, user: User, action: ReviewAction) -> None:
    """Refuse, saying why, what the user's role may not do to this submission."""
    if action in actions_for(submission, user):
        return
    feedback, role = is_feedback(submission), Role(user.role)
    if role == Role.WORKER and not feedback:
        raise ReviewNotAllowed(action=action.value, reason="社工不能审核走访记录，由站长或督导审核；社工可以评论。",
                               reason_en="Workers do not review visits; a station head or supervisor does. Workers "
                                         "may comment.")
    if action == ReviewAction.RETURN and submission.case_id is None:
        raise NothingToReturn()
    if action == ReviewAction.EXCLUDE and not feedback:
        raise InvalidValue(field="exclusion", reason="只有居民评价可以“不计入指标”；走访记录请用“驳回” / only resident "
                                                     "feedback is excluded; reject a visit instead")
    if action == ReviewAction.REJECT and feedback and role in OVERSIGHT_ROLES:
        raise InvalidValue(field="review_state", reason="居民评价不能直接驳回：请用“不计入指标”并选择原因 / resident "
                                                        "feedback is not rejected: exclude it with a reason")
    raise ReviewNotAllowed(
        action=action.value,
        reason="居民评价评判的是本站的服务：站长和社工只能查看和评论；只有县级督导或市级管理员可以按规定原因将其排除出指标。",
        reason_en="Resident feedback judges the station: station heads and workers may read it and comment; only "
                  "a county supervisor or an admin may exclude it from the indicators, with a reason.")


def clean_text(value: str) -> str:
    return (value or "").strip()[:MAX_TEXT]
