"""Reviewing a submission, as ODK Central does it and under the pages' rules (``server/domain/review.py``).

  PATCH /api/v1/submissions/<instance_id>             {"reviewState": "approved"|"hasIssues"|"rejected", "note"}
  POST  /api/v1/submissions/<instance_id>/comments    {"body"}
  POST  /api/v1/submissions/<instance_id>/return      {"reason"}  a visit with a case, back to the worker's phone
  PUT   /api/v1/submissions/<instance_id>/exclusion   {"reason", "note"}  resident feedback out of the indicators
                                                      (county supervisors and admins; approving it counts it again)
  POST  /api/v1/submissions/<instance_id>/verdict     {"verdict": "genuine"|"not_genuine", "note"}  on a visit the
                                                      authenticity checks flagged; not genuine rejects it
Each answers the submission as ``GET /api/v1/submissions/<instance_id>`` does (a comment: 201 and the comment).
"""
from __future__ import annotations

from flask import request

from server.api import bp
from server.api.auth import authenticated, current_user
from server.api.schemas import (
    CENTRAL_REVIEW_STATES,
    CommentRequestSchema,
    ExclusionRequestSchema,
    ReturnRequestSchema,
    ReviewRequestSchema,
    VerdictRequestSchema,
    SubmissionDetailSchema,
    SubmissionEventSchema,
    load,
)
from server.api.submissions import submission_in_scope, submission_view
from server.services import authenticity, review


@bp.patch("/submissions/<instance_id>")
@authenticated()
def review_submission(instance_id: str):
    submission = submission_in_scope(instance_id)
    body = load(ReviewRequestSchema(), request.get_json(silent=True))
    review.set_review_state(submission, CENTRAL_REVIEW_STATES[body["review_state"]].value, current_user(),
                            body["note"])
    return SubmissionDetailSchema().dump(submission_view(submission))


@bp.post("/submissions/<instance_id>/comments")
@authenticated()
def comment_submission(instance_id: str):
    submission = submission_in_scope(instance_id)
    body = load(CommentRequestSchema(), request.get_json(silent=True))
    event = review.add_comment(submission, current_user(), body["body"])
    return SubmissionEventSchema().dump(event), 201


@bp.post("/submissions/<instance_id>/return")
@authenticated()
def return_submission(instance_id: str):
    submission = submission_in_scope(instance_id)
    body = load(ReturnRequestSchema(), request.get_json(silent=True))
    review.return_to_worker(submission, current_user(), body["reason"])
    return SubmissionDetailSchema().dump(submission_view(submission))


@bp.put("/submissions/<instance_id>/exclusion")
@authenticated()
def exclude_submission(instance_id: str):
    submission = submission_in_scope(instance_id)
    body = load(ExclusionRequestSchema(), request.get_json(silent=True))
    review.exclude_feedback(submission, current_user(), body["reason"], body["note"])
    return SubmissionDetailSchema().dump(submission_view(submission))


@bp.post("/submissions/<instance_id>/verdict")
@authenticated()
def judge_submission(instance_id: str):
    submission = submission_in_scope(instance_id)
    body = load(VerdictRequestSchema(), request.get_json(silent=True))
    authenticity.record_verdict(submission, current_user(), body["verdict"], body["note"])
    return SubmissionDetailSchema().dump(submission_view(submission))
