"""Submissions in the caller's scope.

  GET /api/v1/submissions                                   filters: form, station, case, worker, from, to,
                                                            review_state; newest first, keyset pages
  GET /api/v1/submissions/export?format=…                   csv|xlsx|geojson|media with the same filters,
                                                            streamed (docs/exports.md)
  GET /api/v1/submissions/<instance_id>                     values, GPS, attachments with URLs, versions
  GET /api/v1/submissions/<instance_id>/attachments/<name>  the file (?size=240|640|1280 for a thumbnail)
Review (PATCH, comments, return, exclusion) is in ``review.py``.
"""
from __future__ import annotations

from datetime import timedelta
from urllib.parse import quote

from flask import Response, current_app, request, stream_with_context

from server.adapters.images import THUMBNAIL_SIZES
from server.boundary import send_media
from server.api import bp
from server.api.auth import authenticated, current_user
from server.api.schemas import (
    AttachmentArgsSchema,
    SubmissionDetailSchema,
    SubmissionExportArgsSchema,
    SubmissionListArgsSchema,
    SubmissionSummarySchema,
    load_args,
)
from server.domain.authenticity import explain
from server.domain.clock import day_start_utc
from server.domain.paging import BY_TIME, decode_typed, page_of
from server.domain.privacy import masked_data
from server.errors import NotFound
from server.media import media_storage
from server.models import Submission, User
from server.queries import submissions as queries
from server.queries.submissions import SubmissionFilters
from server.services import accounts, audit, authenticity, cases, exports, media, review


@bp.get("/submissions")
@authenticated()
def list_submissions():
    args = load_args(SubmissionListArgsSchema(), request.args)
    after = decode_typed(args["cursor"], *BY_TIME) if args["cursor"] else None
    found = queries.list_submissions(accounts.scope_of(current_user()), _filters(args), args["limit"] + 1, after)
    page, cursor = page_of(found, args["limit"], lambda s: (s.created_at.isoformat(), s.id))
    return {"submissions": SubmissionSummarySchema(many=True).dump(page), "next_cursor": cursor}


# A fixed path: Werkzeug matches it before the <instance_id> rule below, whatever the order.
@bp.get("/submissions/export")
@authenticated()
def export_submissions():
    args = load_args(SubmissionExportArgsSchema(exclude=("limit", "cursor")), request.args)
    export = exports.start_export(args["format"], accounts.scope_of(current_user()), _filters(args), media_storage())
    audit.record("export", "export", args["format"],
                 {"filters": {k: str(v) for k, v in args.items() if v is not None and k != "format"}})
    return Response(stream_with_context(export.chunks), mimetype=export.mimetype, headers=export.headers())


def _filters(args: dict) -> SubmissionFilters:
    return SubmissionFilters(
        xml_form_id=args["form"], station=args["station"], case_id=args["case"],
        submitter_id=cases.worker_id(args["worker"]),
        received_from=day_start_utc(args["date_from"]) if args["date_from"] else None,
        received_before=day_start_utc(args["date_to"] + timedelta(days=1)) if args["date_to"] else None,
        review_state=args["review_state"], flag=args["flag"])


@bp.get("/submissions/<instance_id>")
@authenticated()
def get_submission(instance_id: str):
    submission = submission_in_scope(instance_id)
    audit.record("submission.view", "submission", submission.instance_id)
    return SubmissionDetailSchema().dump(submission_view(submission))


def submission_in_scope(instance_id: str) -> Submission:
    submission = queries.get_submission_in_scope(accounts.scope_of(current_user()), instance_id)
    if submission is None:
        raise NotFound(what="提交", key=instance_id)
    return submission


@bp.get("/submissions/<instance_id>/attachments/<name>")
@authenticated()
def get_attachment(instance_id: str, name: str):
    size = load_args(AttachmentArgsSchema(), request.args)["size"]
    attachment = media.attachment_in_scope(accounts.scope_of(current_user()), instance_id, name)
    storage = media_storage()
    if not size:  # thumbnails are shown with a submission whose own view is recorded
        audit.record("media.view", "media", f"{instance_id}/{name}")
    file = media.thumbnail(attachment, size, storage) if size else media.original(attachment, storage)
    return send_media(file)


def submission_view(submission: Submission, viewer: User | None = None) -> dict:
    """A submission as the API shows it to ``viewer`` (the caller by default), sensitive answers masked for
    their role (``server/domain/privacy.py``)."""
    viewer = viewer or current_user()
    version = queries.current_version_of(submission)
    base = f"{current_app.config['PUBLIC_URL']}/api/v1/submissions/{quote(submission.instance_id, safe='')}"
    attachments = []
    for attachment in version.attachments:
        url = f"{base}/attachments/{quote(attachment.name, safe='')}" if attachment.blob_sha256 else None
        attachments.append({"name": attachment.name, "present": attachment.blob_sha256 is not None, "url": url,
                            "detected_type": attachment.detected_type,
                            "thumbnails": {str(s): f"{url}?size={s}" for s in THUMBNAIL_SIZES} if url else {}})
    geopoint = ({"latitude": version.latitude, "longitude": version.longitude, "accuracy": version.accuracy}
                if version.latitude is not None else None)
    return {
        "instance_id": submission.instance_id, "form": submission.form.xml_form_id, "station_code": submission.station_code,
        "case_id": submission.case_id, "submitter_id": submission.submitter_id,
        "review_state": submission.review_state, "created_at": submission.created_at,
        "updated_at": submission.updated_at, "instance_name": version.instance_name, "flags": submission.flags,
        "form_version": version.form_version.version, "data": masked_data(version.data, viewer.role), "geopoint": geopoint,
        "device_id": version.device_id, "attachments": attachments,
        "versions": [{"instance_id": v.instance_id, "current": v.current, "created_at": v.created_at.isoformat(),
                      "deprecated_id": v.deprecated_id} for v in submission.versions],
        "exclusion": ({"reason": submission.exclusion_reason, "note": submission.exclusion_note}
                      if submission.exclusion_reason else None),
        "events": submission.events, "actions": sorted(review.actions_for(submission, viewer)),
        "authenticity": [_check_view(shown) for shown in authenticity.flags_of(submission, accounts.scope_of(viewer))],
        "verdict": authenticity.verdict_of(submission),
    }


def _check_view(shown: authenticity.ShownFlag) -> dict:
    zh, en = explain(shown.code, shown.detail)
    return {"code": shown.code, "explanation": zh, "explanation_en": en,
            "detail": {k: v for k, v in shown.detail.items() if k != "with"},
            "others": [s.instance_id for s in shown.others]}
