"""Erasing a case on request (PIPL art. 47): the person's data go, the counts indicators are made of stay.

What is erased: the case's label (a placeholder instead), properties, closing and return reasons, its
timeline's changes and notes; the same for its household members; the XML, values, instance name, GPS
point and files of every submission about them, and the comments on those submissions. Files are deleted
from media storage only after the transaction commits, and only those no other attachment uses.

What stays, so coverage and satisfaction of past periods are unchanged: the rows themselves, case
categories, station, village, status, registration day, risk level and visit dates, and each submission's
form, station, visit day, satisfaction and review state. ``erased_at`` marks the case; the audit log
records who erased it and why.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import event

from server.adapters.images import THUMBNAIL_SIZES
from server.domain.access import Scope
from server.domain.clock import utc_now
from server.domain.events import EventType
from server.errors import BadRequest, NotFound
from server.extensions import db
from server.media.storage import MediaStorage
from server.models import Case, Submission
from server.queries import cases as case_queries
from server.queries import erasure as queries
from server.services import audit, outbox

ERASED_LABEL = "（已删除）"
ERASED_XML = b""


@dataclass(frozen=True)
class Erasure:
    case_ids: list[str]
    submissions: int
    files: list[str]  # blobs deleted from storage once the transaction commits


def erase_case(case_id: str, reason: str, storage: MediaStorage, scope: Scope | None = None) -> Erasure:
    """Erase a case and its household members (idempotent: erasing again erases what arrived since)."""
    case = case_queries.get_case_in_scope(scope, case_id) if scope else case_queries.get_case_by_id(case_id)
    if case is None:
        raise NotFound(what="服务对象", key=case_id)
    if not reason.strip():
        raise BadRequest(reason="请写明删除依据（如本人申请日期）/ give the reason (e.g. the person's request)")
    # The applier's lock first: nothing applying a visit or keeping its export cells (services/export_cells.py)
    # can write back what it read of these answers before they were blanked.
    outbox.claim(outbox.APPLIER)
    now = utc_now()
    erased = [case, *case_queries.list_members(case.id)]
    for person in erased:
        _blank_case(person, now)
        outbox.case_event(EventType.CASE_ERASED, person)
    ids = [person.id for person in erased]
    for entry in queries.list_case_events_of_cases(ids):
        entry.changes, entry.note = {}, None
    submissions = queries.list_submissions_of_cases(ids)
    candidates: set[str] = set()
    for submission in submissions:
        candidates |= _blank_submission(submission)
        outbox.submission_event(EventType.SUBMISSION_ERASED, submission, None)  # receivers delete their copies
    for entry in queries.list_submission_events([s.id for s in submissions]):
        entry.body = None
    db.session.flush()
    blobs = queries.list_unreferenced_blobs(candidates)
    files = [blob.sha256 for blob in blobs]
    for blob in blobs:
        db.session.delete(blob)
    db.session.flush()
    _delete_files_after_commit(files, storage)
    audit.record("case.erase", "case", case.id, {"reason": reason.strip()[:500], "members": len(erased) - 1,
                                                 "submissions": len(submissions), "files": len(files)})
    return Erasure(case_ids=ids, submissions=len(submissions), files=files)


def _blank_case(case: Case, now: datetime) -> None:
    case.label, case.properties = ERASED_LABEL, {}
    case.closed_reason = case.redo_reason = case.close_proposal_note = None
    case.erased_at = now
    case.version += 1  # a new entity version, so phones replace their copy (with the name) at the next update


def _blank_submission(submission: Submission) -> set[str]:
    """Blank every version's personal content and drop its attachments; returns the blobs they named."""
    named: set[str] = set()
    for version in submission.versions:
        version.xml, version.data, version.instance_name = ERASED_XML, {}, None
        version.latitude = version.longitude = version.accuracy = None
        named |= {a.blob_sha256 for a in version.attachments if a.blob_sha256}
        version.attachments.clear()  # delete-orphan: the rows go, so a re-sent file finds nothing to fill
    return named


def _delete_files_after_commit(files: list[str], storage: MediaStorage) -> None:
    """Files go once the rows are committed (a rollback keeps both), with their thumbnails."""
    if not files:
        return
    session = db.session()
    pending = {"files": files}

    def delete(committed) -> None:
        if committed.in_nested_transaction():
            return  # a SAVEPOINT released, not the transaction
        for sha256 in pending.pop("files", []):
            storage.delete(sha256)
            for size in THUMBNAIL_SIZES:
                storage.delete_derived(f"{sha256}-{size}.jpg")

    def forget(_session, previous) -> None:
        if not previous.nested:
            pending.pop("files", None)

    event.listen(session, "after_commit", delete)
    event.listen(session, "after_soft_rollback", forget)
