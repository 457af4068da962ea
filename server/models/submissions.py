"""Submissions as ODK Central keeps them: a submission, its versions (edits), their attachments,
and blobs stored once per content hash."""
from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Optional

from sqlalchemy import JSON, BigInteger, Boolean, Date, Float, ForeignKey, Index, Integer, LargeBinary, String, Text, \
    UniqueConstraint
from sqlalchemy import event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.extensions import db
from server.models.forms import Form, FormVersion
from server.models.types import UTCDateTime, str_enum, utcnow


class ReviewState(StrEnum):
    """ODK Central's review states (received = Central's null)."""

    RECEIVED = "received"
    EDITED = "edited"
    HAS_ISSUES = "has_issues"
    APPROVED = "approved"
    REJECTED = "rejected"


class Blob(db.Model):
    """File content, stored once per SHA-256 in media storage; the MD5 is kept for manifests."""

    __tablename__ = "blob"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    md5: Mapped[str] = mapped_column(String(32))
    size: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Whether the picture can be shown (``ImageCheck``: ok, too_large, unreadable; ``not_image``), found by the
    # thumbnail job that decodes it anyway; None until then — the job's durable "still to do", which the
    # ``inspect-photos`` sweep takes up when a job was lost (a worker killed while it ran).
    image_check: Mapped[Optional[str]] = mapped_column(String(20))
    # The picture's perceptual hash (ImageHash's pHash, 16 hex digits), found by the same job: near-identical
    # photos of two visits are a few bits apart (``domain/authenticity.py``). None until then, or not a picture.
    phash: Mapped[Optional[str]] = mapped_column(String(16))

    __table_args__ = (Index("ix_blob_image_check", "image_check", "created_at"),)


class Submission(db.Model):
    __tablename__ = "submission"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    form_id: Mapped[int] = mapped_column(ForeignKey("form.id"))
    instance_id: Mapped[str] = mapped_column(String(255), unique=True)  # the first version's instanceID
    station_code: Mapped[str] = mapped_column(ForeignKey("station.code"))
    case_id: Mapped[Optional[str]] = mapped_column(ForeignKey("case_record.id", ondelete="SET NULL"), index=True)
    submitter_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"),
                                                        index=True)
    review_state: Mapped[ReviewState] = mapped_column(str_enum(ReviewState), default=ReviewState.RECEIVED)
    risk_level: Mapped[Optional[str]] = mapped_column(String(10))  # the visit's risk level, for filtering lists
    # The day it happened as the worker (or resident) recorded it, never after the day it arrived;
    # and a resident's 1–5 satisfaction: kept in columns because indicators count them by the million.
    visit_date: Mapped[Optional[date]] = mapped_column(Date)
    satisfaction: Mapped[Optional[int]] = mapped_column(Integer)
    # Why a supervisor should look twice although the visit was accepted (a phone's wrong clock, a file
    # that is not what its name says, an image too large to decode…): stable codes, empty when nothing odd.
    flags: Mapped[Optional[list]] = mapped_column(JSON)
    # Resident feedback left out of the indicators: why (server/domain/review.py ExclusionReason) and the
    # excluding supervisor's words; who and when are in its events. Empty: counted.
    exclusion_reason: Mapped[Optional[str]] = mapped_column(String(30))
    exclusion_note: Mapped[Optional[str]] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime())

    form: Mapped[Form] = relationship()
    station: Mapped["Station"] = relationship()  # noqa: F821
    case: Mapped[Optional["Case"]] = relationship()  # noqa: F821
    submitter: Mapped[Optional["User"]] = relationship()  # noqa: F821
    events: Mapped[list["SubmissionEvent"]] = relationship(order_by="SubmissionEvent.id",
                                                           back_populates="submission")
    versions: Mapped[list["SubmissionVersion"]] = relationship(back_populates="submission",
                                                               order_by="SubmissionVersion.id")

    __table_args__ = (
        Index("ix_submission_station_created", "station_code", "created_at", "id"),
        Index("ix_submission_form_created", "form_id", "created_at", "id"),
        Index("ix_submission_created", "created_at", "id"),
        Index("ix_submission_review_created", "review_state", "created_at", "id"),
        Index("ix_submission_case_visit", "case_id", "visit_date"),
        Index("ix_submission_form_visit", "form_id", "visit_date"),
    )


class SubmissionVersion(db.Model):
    """One version of a submission: the XML exactly as received, and its values typed by the form."""

    __tablename__ = "submission_version"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submission.id", ondelete="CASCADE"), index=True)
    instance_id: Mapped[str] = mapped_column(String(255), unique=True)
    deprecated_id: Mapped[Optional[str]] = mapped_column(String(255))
    current: Mapped[bool] = mapped_column(Boolean, default=True)
    form_version_id: Mapped[int] = mapped_column(ForeignKey("form_version.id"))
    xml: Mapped[bytes] = mapped_column(LargeBinary)
    xml_sha256: Mapped[str] = mapped_column(String(64))
    data: Mapped[dict] = mapped_column(JSON)
    instance_name: Mapped[Optional[str]] = mapped_column(String(255))
    latitude: Mapped[Optional[float]] = mapped_column(Float)
    longitude: Mapped[Optional[float]] = mapped_column(Float)
    accuracy: Mapped[Optional[float]] = mapped_column(Float)
    submitter_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    device_id: Mapped[Optional[str]] = mapped_column(String(255))
    user_agent: Mapped[Optional[str]] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # When the visit was applied to its case (created or updated it, its timeline, schedule and case list):
    # after the 201, by ``services.submissions.apply_pending_visits``; empty while it waits (durably: a crash
    # between the 201 and the application leaves it here for the next applier).
    applied_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime())
    # Its answers as the CSV export writes them, kept when it is applied (``services/export_cells.py``): the root
    # table's answer cells as CSV text, each repeat table's whole lines (None: the layout has no repeats), and the
    # fingerprint of the layout they follow. Assigning ``data`` forgets them (see below).
    export_key: Mapped[Optional[str]] = mapped_column(String(32))
    export_cells: Mapped[Optional[str]] = mapped_column(Text)
    export_repeat_rows: Mapped[Optional[list]] = mapped_column(JSON(none_as_null=True))  # NULL, not 'null'

    submission: Mapped[Submission] = relationship(back_populates="versions")
    form_version: Mapped[FormVersion] = relationship()
    attachments: Mapped[list["SubmissionAttachment"]] = relationship(
        back_populates="version", order_by="SubmissionAttachment.id", cascade="all, delete-orphan")

    __table_args__ = (Index("ix_submission_version_applied", "applied_at", "id"),)


@event.listens_for(SubmissionVersion.data, "set", propagate=True)
def _forget_export_cells(version: SubmissionVersion, value, old_value, initiator) -> None:
    """Cells written from answers that have changed (an erasure) must never reach an export: whoever changes a
    version's answers forgets its cells with them, and the export writes that row from the answers."""
    if old_value is not value:
        version.export_key = version.export_cells = version.export_repeat_rows = None


class SubmissionAttachment(db.Model):
    """A file a submission version refers to; ``blob_sha256`` is empty until the file has arrived."""

    __tablename__ = "submission_attachment"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("submission_version.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(255))  # exactly as the XML names it (Chinese kept)
    blob_sha256: Mapped[Optional[str]] = mapped_column(ForeignKey("blob.sha256"), index=True)
    content_type: Mapped[Optional[str]] = mapped_column(String(100))
    # The type the bytes really are (sniffed); a file is only ever served as this, never as its name claims.
    detected_type: Mapped[Optional[str]] = mapped_column(String(100))

    version: Mapped[SubmissionVersion] = relationship(back_populates="attachments")
    blob: Mapped[Optional[Blob]] = relationship()

    __table_args__ = (UniqueConstraint("version_id", "name", name="uq_submission_attachment_version_id_name"),)


class SubmissionEventKind(StrEnum):
    REVIEW = "review"      # review state changed
    COMMENT = "comment"
    RETURNED = "returned"  # sent back to the worker with a reason


class SubmissionEvent(db.Model):
    """Who did what to a submission, and when: review changes, comments, returns to the worker."""

    __tablename__ = "submission_event"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submission.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    kind: Mapped[SubmissionEventKind] = mapped_column(str_enum(SubmissionEventKind))
    review_state: Mapped[Optional[ReviewState]] = mapped_column(str_enum(ReviewState))
    body: Mapped[Optional[str]] = mapped_column(Text)
    # An exclusion from the indicators (a review to 'rejected' of resident feedback): its ExclusionReason.
    reason: Mapped[Optional[str]] = mapped_column(String(30))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    submission: Mapped[Submission] = relationship(back_populates="events")
    user: Mapped[Optional["User"]] = relationship()  # noqa: F821


class SubmissionTally(db.Model):
    """How many submissions arrived at a station, of a form, on a China day or in a month, in a review state
    (and, for household surveys, at a risk level): the supervisor list's per-state counts at any size, summed from these
    rows instead of counted over the submissions. Kept by ``queries/tallies.py`` whenever the session writes a
    submission; rows that fall to zero stay."""

    __tablename__ = "submission_tally"

    station_code: Mapped[str] = mapped_column(ForeignKey("station.code"), primary_key=True)
    form_id: Mapped[int] = mapped_column(ForeignKey("form.id"), primary_key=True)
    span: Mapped[str] = mapped_column(String(5), primary_key=True)  # "day", or "month": the month's whole count
    # the China day it arrived (created_at); for a month's row, the month's first day
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    review_state: Mapped[str] = mapped_column(String(20), primary_key=True)
    risk_level: Mapped[str] = mapped_column(String(10), primary_key=True)  # "" when the visit has none
    count: Mapped[int] = mapped_column(BigInteger, default=0)
