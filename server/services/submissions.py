"""Receiving submissions: ODK Central's instanceID algorithm (OPENROSA.md §3.3), with the
submission tied to the worker's station and, when it names one, to a case.

| incoming                                   | outcome                                       |
|--------------------------------------------|-----------------------------------------------|
| new instanceID                             | new submission (received)                     |
| known instanceID, current, identical XML   | attach the files still missing (split upload) |
| known instanceID, XML differs              | 409                                           |
| known instanceID, superseded by an edit    | 409                                           |
| deprecatedID = a current version           | new version, review state ``edited``          |
| deprecatedID unknown / already superseded  | 404 / 409                                     |

A visit is acknowledged once what Collect must hear about is decided (the form version, the instanceID rules, a
case of another station refused with 403) and the submission, its version, its files and its event are stored:
the 201 does not wait for the visit to be applied to its case. ``apply_pending_visits`` does that after the
commit — in the applier thread of each job worker, which looks every quarter second, and in every round of the
events pump — one applier at a time, oldest first, each version exactly once (docs/openrosa.md, "After the 201").
"""
from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from server import jobs
from server.domain.events import EventType
from server.domain.volunteers import VOLUNTEER_FORM
from server.domain.filetypes import sniff_content_type, type_matches_name
from server.domain.flags import SubmissionFlag, merged_flags, value_flags
from server.domain.submission import SubmissionEnvelope, read_envelope, read_values, recorded_day, referenced_files
from server.domain.xform import XFormSchema, schema_of
from server.errors import Forbidden, LastmeterError, NotFound
from server.extensions import db
from server.media import note_new_blob
from server.media.storage import HashingUpload, MediaStorage
from server.models import (
    Blob,
    Form,
    FormState,
    FormVersion,
    ReviewState,
    Station,
    Submission,
    SubmissionAttachment,
    SubmissionVersion,
    User,
)
from server.models.types import utcnow
from server.queries import accounts as account_queries
from server.queries import cases as case_queries
from server.queries import forms as form_queries
from server.queries import submissions as queries
from server.services.cases import VisitBatch, VisitContext, process_visit, visit_intervals
from server.services import authenticity, export_cells, outbox, volunteers
from server.services.collect import station_of
from server.services.media import IMAGE_FLAGS

FEEDBACK_FORM = "resident_feedback"
APPLY_BATCH = 100

log = logging.getLogger(__name__)


class UnknownFormVersion(LastmeterError):
    code = "404.6"
    zh = "此提交所用的表单版本“{version}”不存在。请在 ODK Collect 中“获取空白表单”更新表单后再发送。"
    en = "The form version specified in this submission '{version}' does not exist."


class FormClosed(LastmeterError):
    code = "409.2"
    zh = "表单“{xml_form_id}”已停止接收提交。"
    en = "This form is not currently accepting submissions."


class DifferentXml(LastmeterError):
    code = "409.4"
    zh = "服务器上已有相同编号（instanceID）但内容不同的提交。补传照片时必须重新发送完全相同的表单。"
    en = ("A submission already exists with this ID, but with different XML. Resubmissions to attach additional "
          "multimedia must resubmit an identical xml_submission_file.")


class StaleEdit(LastmeterError):
    code = "409.9"
    zh = "您修改的是旧版本（{instance_id}），服务器上已有更新的版本。请获取最新版本后重新修改。"
    en = ("You tried to update a submission, but the copy you were editing ({instance_id}) is now out of date. "
          "Please get the new version that has been submitted, and make your edits again.")


class EditTargetMissing(LastmeterError):
    code = "404.5"
    zh = "找不到要修改的原提交（{deprecated_id}）。"
    en = "You tried to update an existing submission, but we can't find that submission to update ({deprecated_id})"


class InstanceIdTaken(LastmeterError):
    code = "409.5"
    zh = "此 instanceID 已被另一张表单或另一个社工站的提交使用。"
    en = "This instanceID is already used by a submission of another form or station."


class IngestOutcome(StrEnum):
    CREATED = "created"
    ATTACHED = "attached"
    EDITED = "edited"


@dataclass(frozen=True)
class IncomingFile:
    name: str  # the multipart part name = the file name the XML refers to
    upload: HashingUpload
    content_type: str | None


@dataclass(frozen=True)
class IngestResult:
    submission: Submission
    version: SubmissionVersion
    outcome: IngestOutcome
    missing: tuple[str, ...]  # attachments the XML expects that have not arrived yet


@dataclass(frozen=True)
class Origin:
    """Who sent it and from what: recorded on the version. A resident (plaque feedback) has no
    account: then ``submitter`` is None and ``station`` says whose plaque it came through."""

    submitter: User | None
    device_id: str | None
    user_agent: str | None
    station: Station | None = None


def ingest_submission(xml: bytes, files: list[IncomingFile], origin: Origin, storage: MediaStorage) -> IngestResult:
    station = origin.station if origin.submitter is None else station_of(origin.submitter)
    envelope = read_envelope(xml)
    form, form_version = _resolve_form_version(envelope)
    existing = queries.get_version_by_instance_id(envelope.instance_id)
    if existing is not None:
        return _attach_to_existing(existing, form, station, xml, files, storage)
    schema = schema_of(form_version)
    if envelope.deprecated_id:
        return _edit(envelope, form, form_version, schema, station, xml, files, origin, storage)
    submission = Submission(form_id=form.id, instance_id=envelope.instance_id, station_code=station.code,
                            submitter_id=_id(origin.submitter), review_state=ReviewState.RECEIVED)
    version = _new_version(submission, envelope, form_version, schema, station, xml, origin)
    db.session.add(submission)
    db.session.flush()
    missing = _store_files(version, files, storage)
    jobs.after_commit("apply-visits")
    if form.xml_form_id == VOLUNTEER_FORM:
        volunteers.record_service(submission, version)
    outbox.submission_event(EventType.FEEDBACK_RECEIVED if form.xml_form_id == FEEDBACK_FORM
                            else EventType.SUBMISSION_CREATED, submission, version.data, new_object=True)
    return IngestResult(submission, version, IngestOutcome.CREATED, missing)


def apply_pending_visits(limit: int = APPLY_BATCH) -> int:
    """Apply the oldest acknowledged visits not yet applied to their cases (entity create or update, the visit on
    the timeline and schedule, the case list), and mark each applied, in this transaction. One applier at a time:
    the applier's cursor row is claimed first, so visits to one case are applied in the order they arrived.
    A visit whose application fails is marked applied all the same, with the error logged — it stays stored and
    counted, and cannot hold back every visit after it. Returns how many were applied."""
    if not queries.has_pending_versions():
        return 0  # nothing waits: no write (the appliers look often)
    outbox.claim(outbox.APPLIER)
    pending = queries.list_pending_versions(limit)  # read again once claimed: another applier may have been first
    # the batch's workers, loaded once (the session's identity map holds an object only while something does)
    submitters = {user.id: user for user in account_queries.list_users_by_ids(
        sorted({v.submitter_id for v in pending if v.submitter_id is not None}))}
    batch = VisitBatch(visit_intervals())  # read once for the batch (one transaction); it holds the batch's cases,
    # so that the checks below find each in the session, not in the database
    contexts = []
    for version in pending:
        try:
            contexts.append(_visit_context(version, submitters, batch))
        except Exception:  # noqa: BLE001 — a version that cannot be read holds back no other (marked applied below)
            log.exception("could not apply visit %s to its case", version.instance_id)
    batch.look_up([c.envelope.entity.entity_id for c in contexts if c.envelope.entity is not None]
                  + [c.submission.case_id for c in contexts if c.submission.case_id])
    try:
        with db.session.begin_nested():  # the whole batch at once: one savepoint and one flush, not one per visit…
            for context in contexts:
                process_visit(context)
    except Exception:  # noqa: BLE001 — …and when one fails, one at a time, to apply all the others
        batch.cases.clear()
        for context in contexts:
            held = dict(batch.cases)
            try:
                with db.session.begin_nested():
                    process_visit(context)
            except Exception:  # noqa: BLE001 — logged; the visit is kept, see above
                batch.cases = held  # without what the visit rolled back registered
                log.exception("could not apply visit %s to its case", context.version.instance_id)
    try:
        with db.session.begin_nested():  # the answers as the CSV export writes them: a shortcut, never a hold-up
            export_cells.keep(pending)
    except Exception:  # noqa: BLE001 — logged; an export writes these rows from their answers
        log.exception("could not keep the export cells of a batch")
    try:
        with db.session.begin_nested():  # the authenticity flags ask for review; they never hold a visit back
            memo = authenticity.CheckMemo()
            for version in pending:
                authenticity.flag_visit(version, _asks_position(version), memo)
    except Exception:  # noqa: BLE001 — logged; the batch's visits are applied all the same
        log.exception("could not check the visits of a batch for authenticity")
    applied_at = utcnow()
    for version in pending:
        version.applied_at = applied_at
    db.session.flush()
    return len(pending)


def _asks_position(version: SubmissionVersion) -> bool:
    return any(field.data_type == "geopoint" for field in schema_of(version.form_version).fields.values())


def _visit_context(version: SubmissionVersion, submitters: dict[int, User], batch: VisitBatch) -> VisitContext:
    submission = version.submission
    return VisitContext(submission, version, read_envelope(version.xml), schema_of(version.form_version),
                        submission.station, submitters.get(version.submitter_id or 0),
                        edited=version.deprecated_id is not None, batch=batch)


def _resolve_form_version(envelope: SubmissionEnvelope) -> tuple[Form, FormVersion]:
    form = form_queries.get_form_by_xml_form_id(envelope.xml_form_id)
    if form is None:
        raise NotFound(what="表单", key=envelope.xml_form_id)
    version = form_queries.get_form_version(form.id, envelope.version)
    if version is None:
        raise UnknownFormVersion(version=envelope.version)
    if form.state == FormState.CLOSED:
        raise FormClosed(xml_form_id=form.xml_form_id)
    return form, version


def _attach_to_existing(existing: SubmissionVersion, form: Form, station: Station, xml: bytes,
                        files: list[IncomingFile], storage: MediaStorage) -> IngestResult:
    submission = existing.submission
    if submission.form_id != form.id or submission.station_code != station.code:
        raise InstanceIdTaken()
    if existing.xml_sha256 != _sha256(xml):
        if not existing.current:
            raise StaleEdit(instance_id=existing.instance_id)
        raise DifferentXml()
    if not existing.current:
        raise StaleEdit(instance_id=existing.instance_id)
    missing = _store_files(existing, files, storage)
    return IngestResult(submission, existing, IngestOutcome.ATTACHED, missing)


def _edit(envelope: SubmissionEnvelope, form: Form, form_version: FormVersion, schema: XFormSchema,
          station: Station, xml: bytes, files: list[IncomingFile], origin: Origin,
          storage: MediaStorage) -> IngestResult:
    previous = queries.get_version_by_instance_id(envelope.deprecated_id or "")
    if previous is None:
        raise EditTargetMissing(deprecated_id=envelope.deprecated_id)
    submission = previous.submission
    if submission.form_id != form.id or submission.station_code != station.code:
        raise InstanceIdTaken()
    if not previous.current:
        raise StaleEdit(instance_id=previous.instance_id)
    previous.current = False
    version = _new_version(submission, envelope, form_version, schema, station, xml, origin)
    submission.review_state = ReviewState.EDITED
    submission.updated_at = utcnow()
    db.session.flush()
    _carry_over_files(previous, version)
    missing = _store_files(version, files, storage)
    jobs.after_commit("apply-visits")
    if form.xml_form_id == VOLUNTEER_FORM:
        volunteers.record_service(submission, version)
    outbox.submission_event(EventType.SUBMISSION_EDITED, submission, version.data)
    return IngestResult(submission, version, IngestOutcome.EDITED, missing)


def _new_version(submission: Submission, envelope: SubmissionEnvelope, form_version: FormVersion,
                 schema: XFormSchema, station: Station, xml: bytes, origin: Origin) -> SubmissionVersion:
    data = read_values(envelope, schema)
    _link_case(submission, envelope, data, station)
    point = _first_geopoint(data, schema)
    version = SubmissionVersion(
        instance_id=envelope.instance_id, deprecated_id=envelope.deprecated_id, current=True,
        form_version_id=form_version.id, xml=xml, xml_sha256=_sha256(xml), data=data,
        instance_name=(envelope.instance_name or "")[:255] or None,
        latitude=point.get("latitude"), longitude=point.get("longitude"), accuracy=point.get("accuracy"),
        submitter_id=_id(origin.submitter), device_id=(origin.device_id or "")[:255] or None,
        user_agent=(origin.user_agent or "")[:255] or None)
    version.attachments = [SubmissionAttachment(name=name) for name in referenced_files(envelope, schema)]
    submission.versions.append(version)
    # judged against when this version arrives: an edit sent days after the visit is not a wrong clock
    submission.flags = merged_flags(submission.flags, value_flags(data, utcnow()))
    risk = data.get("risk_level")
    submission.risk_level = risk if risk in ("low", "medium", "high") else None
    submission.visit_date = recorded_day(data, submission.created_at)
    score = str(data.get("satisfaction") or "")
    submission.satisfaction = int(score) if score in ("1", "2", "3", "4", "5") else None
    return version


def _link_case(submission: Submission, envelope: SubmissionEnvelope, data: dict[str, Any], station: Station) -> None:
    """Tie the visit to the case it names; a case of another station is a forged reference."""
    case_id = data.get("case") if isinstance(data.get("case"), str) else None
    if not case_id and envelope.entity is not None and envelope.entity.update:
        case_id = envelope.entity.entity_id
    if not case_id:
        return
    case = case_queries.get_case_by_id(case_id.removeprefix("uuid:"))
    if case is None:
        return  # a case registered offline; the case registry creates it from the entity block
    if case.station_code != station.code:
        raise Forbidden()
    submission.case_id = case.id


def _first_geopoint(data: dict[str, Any], schema: XFormSchema) -> dict[str, float | None]:
    for path, field in schema.fields.items():
        if field.data_type == "geopoint" and "/" not in path and isinstance(data.get(path), dict):
            return data[path]
    return {}


def _carry_over_files(previous: SubmissionVersion, version: SubmissionVersion) -> None:
    """An edit keeps the photos it still refers to; new files sent with it replace them."""
    earlier = {a.name: a for a in previous.attachments if a.blob_sha256}
    for attachment in version.attachments:
        if attachment.name in earlier:
            attachment.blob_sha256 = earlier[attachment.name].blob_sha256
            attachment.content_type = earlier[attachment.name].content_type
            attachment.detected_type = earlier[attachment.name].detected_type


def _store_files(version: SubmissionVersion, files: list[IncomingFile], storage: MediaStorage) -> tuple[str, ...]:
    expected = {a.name: a for a in version.attachments}
    for incoming in files:
        attachment = expected.get(incoming.name)
        if attachment is None:
            continue  # files the XML does not refer to are not kept (as in Central)
        attachment.blob_sha256 = store_blob(incoming.upload, storage)
        attachment.content_type = (incoming.content_type or "")[:100] or None
        attachment.detected_type = sniff_content_type(storage.read_head(attachment.blob_sha256, SNIFF_BYTES))
        submission = version.submission
        submission.flags = merged_flags(submission.flags, _file_flags(attachment, storage))
    db.session.flush()
    return tuple(a.name for a in version.attachments if a.blob_sha256 is None)


SNIFF_BYTES = 32


def _file_flags(attachment: SubmissionAttachment, storage: MediaStorage) -> set[SubmissionFlag]:
    """A file is kept whatever it is (the visit must not be stranded), but one that is not what its name
    says, or an image that cannot be shown, is flagged for review.

    Whether an image can be shown is found by the thumbnail job, which decodes the photo anyway
    (``media.inspect_photo``), not by the request: a photo already checked is flagged here at once; one not
    checked yet is flagged by the job, on every submission holding it."""
    detected = attachment.detected_type or ""
    flags = set() if type_matches_name(attachment.name, detected) else {SubmissionFlag.TYPE_MISMATCH}
    if detected.startswith("image/"):
        blob = db.session.get(Blob, attachment.blob_sha256 or "")
        if blob is not None and blob.image_check in IMAGE_FLAGS:
            flags.add(IMAGE_FLAGS[blob.image_check])
        elif blob is not None and blob.image_check is None:
            jobs.after_commit("thumbnails", blob.sha256)  # not checked yet: the job flags this visit too
    return flags


def store_blob(upload: HashingUpload, storage: MediaStorage) -> str:
    sha256, md5, size = upload.sha256, upload.md5, upload.size
    if storage.store(upload):
        note_new_blob(sha256)
    if db.session.get(Blob, sha256) is None:
        db.session.add(Blob(sha256=sha256, md5=md5, size=size))
        db.session.flush()
        # A new row, whether the file is new or one a killed request left: warm the list's thumbnails once
        # the visit is committed.
        jobs.after_commit("thumbnails", sha256)
    return sha256


def _id(user: User | None) -> int | None:
    return user.id if user is not None else None


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
