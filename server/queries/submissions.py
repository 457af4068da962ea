"""Queries on submissions, their versions and attachments."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Iterator

from sqlalchemy import JSON, Row, String, and_, case, cast, func, null, or_, select, tuple_, type_coerce
from sqlalchemy.orm import aliased, selectinload

from server.domain.access import Scope
from server.domain.flags import ANY_FLAG
from server.extensions import db
from server.queries import tallies
from server.models import Area, Blob, Case, Form, FormVersion, Station, Submission, SubmissionAttachment, \
    SubmissionEvent, SubmissionEventKind, \
    SubmissionVersion, User

EXPORT_BATCH_SIZE = 1000


def get_version_by_instance_id(instance_id: str) -> SubmissionVersion | None:
    return db.session.scalars(select(SubmissionVersion).where(SubmissionVersion.instance_id == instance_id)).first()


def get_submission_by_instance_id(instance_id: str) -> Submission | None:
    return db.session.scalars(select(Submission).where(Submission.instance_id == instance_id)).first()


def list_pending_versions(limit: int) -> list[SubmissionVersion]:
    """Versions acknowledged but not yet applied to their cases, oldest first, with what applying them reads."""
    return list(db.session.scalars(
        select(SubmissionVersion).where(SubmissionVersion.applied_at.is_(None))
        .options(selectinload(SubmissionVersion.form_version), selectinload(SubmissionVersion.attachments),
                 selectinload(SubmissionVersion.submission).selectinload(Submission.form),
                 selectinload(SubmissionVersion.submission).selectinload(Submission.station))
        .order_by(SubmissionVersion.id).limit(limit)))


def latest_version_id() -> int:
    return db.session.scalar(select(func.max(SubmissionVersion.id))) or 0


def list_versions_without_cells(form_id: int, key: str, after: int, upto: int,
                                limit: int) -> list[tuple[int, str, dict]]:
    """Current versions of a form with ids in (``after``, ``upto``] and no export cells or cells of another layout
    than ``key``: (id, the submission's instance_id, data), by id."""
    # Filtered on the version row alone (its form version among the form's), so that the scan walks the versions
    # by id from ``after`` and stops at ``limit`` (a join on the submission's form let SQLite scan a whole form's
    # submissions and sort them for every batch); the submissions' instanceIDs are then looked up by id.
    versions = select(FormVersion.id).where(FormVersion.form_id == form_id).scalar_subquery()
    rows = db.session.execute(
        select(SubmissionVersion.id, SubmissionVersion.submission_id, SubmissionVersion.data)
        .where(SubmissionVersion.id > after, SubmissionVersion.id <= upto, SubmissionVersion.form_version_id.in_(versions),
               SubmissionVersion.current.is_(True),
               or_(SubmissionVersion.export_key.is_(None), SubmissionVersion.export_key != key))
        .order_by(SubmissionVersion.id).limit(limit)).all()
    keys = dict(db.session.execute(select(Submission.id, Submission.instance_id)
                                   .where(Submission.id.in_({row.submission_id for row in rows}))).all()) if rows else {}
    return [(row.id, keys[row.submission_id], row.data) for row in rows]


def has_pending_versions() -> bool:
    return db.session.scalar(select(SubmissionVersion.id).where(SubmissionVersion.applied_at.is_(None))
                             .limit(1)) is not None


def pending_versions_summary() -> tuple[int, datetime | None]:
    """How many versions wait to be applied, and when the oldest of them arrived."""
    count, oldest = db.session.execute(select(func.count(), func.min(SubmissionVersion.created_at))
                                       .where(SubmissionVersion.applied_at.is_(None))).one()
    if isinstance(oldest, str):  # an aggregate of SQLite's text loses the column's type
        oldest = datetime.fromisoformat(oldest)
    if oldest is not None and oldest.tzinfo is None:
        oldest = oldest.replace(tzinfo=timezone.utc)
    return int(count), oldest


def list_known_blobs(sha256s: list[str]) -> set[str]:
    """Which of these blob names a committed ``blob`` row names (the orphan-media sweep asks in batches)."""
    return set(db.session.scalars(select(Blob.sha256).where(Blob.sha256.in_(sha256s))))


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
    risk_level: str | None = None
    area_path: str | None = None  # only stations under this area (a county or township within scope)
    flag: str | None = None  # a SubmissionFlag code, or ANY_FLAG: flagged for review


def _scoped(scope: Scope):
    return (select(Submission).join(Area, Area.code == Submission.station_code)
            .where(Area.path.startswith(scope.area_path, autoescape=True)))


def list_submissions(scope: Scope, filters: SubmissionFilters, limit: int,
                     after: tuple[datetime, int] | None = None) -> list[Submission]:
    """Newest first, keyset-paginated on (created_at, id): page 10 000 costs what page 1 does."""
    query = _filtered(_scoped(scope), filters).options(
        selectinload(Submission.form), selectinload(Submission.versions).selectinload(SubmissionVersion.attachments),
        selectinload(Submission.case), selectinload(Submission.submitter),
        selectinload(Submission.station).selectinload(Station.township))
    if filters.review_state:
        query = query.where(Submission.review_state == filters.review_state)
    if after is not None:
        # a row-value comparison, which both databases serve straight from the (…, created_at, id) indexes;
        # the equivalent OR form makes PostgreSQL filter instead of seek
        query = query.where(tuple_(Submission.created_at, Submission.id) < after)
    query = query.order_by(Submission.created_at.desc(), Submission.id.desc()).limit(limit)
    return list(db.session.scalars(query))


def count_by_review_state(scope: Scope, filters: SubmissionFilters) -> dict[str, int]:
    """How many submissions the list's filters match in each review state (the state filter aside): summed from
    the tallies when they can see every filter (``queries/tallies.py``), else counted."""
    if tallies.covers(filters):
        return tallies.counts(scope, filters)
    return count_rows_by_review_state(scope, filters)


def count_rows_by_review_state(scope: Scope, filters: SubmissionFilters) -> dict[str, int]:
    """``count_by_review_state`` counted over the submissions themselves."""
    base = _filtered(_scoped(scope), filters).with_only_columns(Submission.review_state, func.count())
    rows = db.session.execute(base.group_by(Submission.review_state).order_by(None))
    return {str(state.value if hasattr(state, "value") else state): int(count) for state, count in rows}


def count_submissions(scope: Scope, filters: SubmissionFilters) -> int:
    """How many submissions the list's scope and filters (review state included) match."""
    query = _filtered(_scoped(scope), filters)
    if filters.review_state:
        query = query.where(Submission.review_state == filters.review_state)
    return int(db.session.scalar(query.with_only_columns(func.count()).order_by(None)))


def iter_export_batches(scope: Scope, filters: SubmissionFilters, batch_size: int = EXPORT_BATCH_SIZE,
                        kept: str | None = None, read_ahead: bool = False) -> Iterator[list[Row]]:
    """Every submission the list's scope and filters match, oldest first, with its current version,
    as plain rows in keyset batches on (created_at, id): one batch in memory at a time however many
    match, and no ORM objects piling up in the session. Columns: id, instance_id, created_at,
    review_state, station_code, station_name, case_id, visit_date, submitter_id, submitter_name,
    xml_form_id, form_version, version_id, data, device_id, latitude, longitude, accuracy, edits,
    attachments_expected, attachments_present, export_key, export_cells, export_repeat_rows. With ``kept`` (a
    layout's key), ``data`` is read only for rows whose export cells are not of that layout (None otherwise).

    ``read_ahead``: the next batch is read in a second thread while the caller works on this one (the database
    and the caller then use both cores). The caller must not use the session until the iteration ends: the
    connection is the reader's meanwhile (two batches in memory, not one)."""
    query = _export_query(scope, filters, kept).order_by(Submission.created_at, Submission.id).limit(batch_size)
    connection = db.session.connection()

    def read(after: tuple[datetime, int] | None) -> list[Row]:
        page = query if after is None else query.where(tuple_(Submission.created_at, Submission.id) > after)
        return connection.execute(page).all()  # Core: no ORM loading for plain rows

    if not read_ahead:
        rows = read(None)
        while True:
            if rows:
                yield rows
            if len(rows) < batch_size:
                return
            rows = read((rows[-1].created_at, rows[-1].id))
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="export-read") as reader:
        coming = reader.submit(read, None)
        while coming is not None:
            rows = coming.result()
            coming = reader.submit(read, (rows[-1].created_at, rows[-1].id)) if len(rows) == batch_size else None
            if rows:
                yield rows  # closed here early (a client gone): leaving the block waits for the read under way


def _export_query(scope: Scope, filters: SubmissionFilters, kept: str | None = None):
    current, other, form = aliased(SubmissionVersion), aliased(SubmissionVersion), aliased(Form)
    data = current.data if kept is None else type_coerce(
        case((current.export_key == kept, null()), else_=current.data), JSON).label("data")
    edits = select(func.count()).where(other.submission_id == Submission.id).scalar_subquery() - 1
    expected = select(func.count()).where(SubmissionAttachment.version_id == current.id).scalar_subquery()
    present = (select(func.count(SubmissionAttachment.blob_sha256))
               .where(SubmissionAttachment.version_id == current.id).scalar_subquery())
    query = _filtered(_scoped(scope), filters)
    if filters.review_state:
        query = query.where(Submission.review_state == filters.review_state)
    return query.with_only_columns(
        Submission.id, Submission.instance_id, Submission.created_at, Submission.review_state,
        Submission.station_code, Area.name.label("station_name"), Submission.case_id, Submission.visit_date,
        Submission.submitter_id, func.coalesce(func.nullif(User.display_name, ""), User.username).label(
            "submitter_name"), form.xml_form_id, FormVersion.version.label("form_version"),
        current.id.label("version_id"), data, current.device_id, current.latitude, current.longitude,
        current.accuracy, edits.label("edits"), expected.label("attachments_expected"),
        present.label("attachments_present"), current.export_key, current.export_cells, current.export_repeat_rows,
    ).join(current, and_(current.submission_id == Submission.id, current.current.is_(True))) \
        .join(form, form.id == Submission.form_id) \
        .join(FormVersion, FormVersion.id == current.form_version_id) \
        .outerjoin(User, User.id == Submission.submitter_id)


def list_stored_attachments(version_ids: list[int]) -> list[Row]:
    """The files that have arrived for these submission versions, in the order the XML names them:
    version_id, name, blob_sha256, size."""
    query = (select(SubmissionAttachment.version_id, SubmissionAttachment.name, SubmissionAttachment.blob_sha256,
                    Blob.size)
             .join(Blob, Blob.sha256 == SubmissionAttachment.blob_sha256)
             .where(SubmissionAttachment.version_id.in_(version_ids))
             .order_by(SubmissionAttachment.version_id, SubmissionAttachment.id))
    return list(db.session.execute(query).all())


def _filtered(query, filters: SubmissionFilters):
    if filters.xml_form_id:
        query = query.join(Form, Form.id == Submission.form_id).where(Form.xml_form_id == filters.xml_form_id)
    if filters.station:
        query = query.where(Submission.station_code == filters.station)
    if filters.case_id:  # a case's id, or part of its name
        named = select(Case.id).where(Case.label.icontains(filters.case_id, autoescape=True))
        query = query.where(or_(Submission.case_id == filters.case_id, Submission.case_id.in_(named)))
    if filters.submitter_id:
        query = query.where(Submission.submitter_id == filters.submitter_id)
    if filters.received_from:
        query = query.where(Submission.created_at >= filters.received_from)
    if filters.received_before:
        query = query.where(Submission.created_at < filters.received_before)
    if filters.risk_level:
        query = query.where(Submission.risk_level == filters.risk_level)
    if filters.area_path:
        query = query.where(Area.path.startswith(filters.area_path, autoescape=True))
    if filters.flag:
        # The JSON list as text, the same on SQLite and PostgreSQL: '["clock_skew", "long_text"]'.
        flags = cast(Submission.flags, String)
        query = query.where(Submission.flags.is_not(None), flags != "null")
        if filters.flag != ANY_FLAG:
            query = query.where(flags.contains(f'"{filters.flag}"', autoescape=True))
    return query


def get_submission_in_scope(scope: Scope, instance_id: str) -> Submission | None:
    return db.session.scalars(_scoped(scope).where(Submission.instance_id == instance_id)).first()


def list_case_submissions(case_id: str) -> list[Submission]:
    query = (select(Submission).where(Submission.case_id == case_id)
             .options(selectinload(Submission.form)).order_by(Submission.created_at, Submission.id))
    return list(db.session.scalars(query))


def count_station_feedback(station_code: str) -> int:
    query = (select(func.count()).select_from(Submission).join(Form, Form.id == Submission.form_id)
             .where(Submission.station_code == station_code, Form.xml_form_id == "resident_feedback"))
    return int(db.session.scalar(query))


def _map_query(scope: Scope, filters: SubmissionFilters):
    current = aliased(SubmissionVersion)
    query = _filtered(_scoped(scope), filters).join(
        current, and_(current.submission_id == Submission.id, current.current.is_(True))).where(
        current.latitude.is_not(None), current.longitude.is_not(None))
    if filters.review_state:
        query = query.where(Submission.review_state == filters.review_state)
    return query, current


def list_map_points(scope: Scope, filters: SubmissionFilters, limit: int) -> list[Row]:
    """The newest ``limit`` submissions the list's filters match that carry GPS, as plain rows: instance_id,
    created_at, review_state, risk_level, latitude, longitude, station_name, case_label, form_title."""
    query, current = _map_query(scope, filters)
    form_version = aliased(FormVersion)
    query = (query.outerjoin(Case, Case.id == Submission.case_id)
             .join(form_version, form_version.id == current.form_version_id)
             .with_only_columns(Submission.instance_id, Submission.created_at, Submission.review_state,
                                Submission.risk_level, current.latitude, current.longitude,
                                Area.name.label("station_name"), Case.label.label("case_label"),
                                form_version.title.label("form_title"))
             .order_by(Submission.created_at.desc(), Submission.id.desc()).limit(limit))
    return list(db.session.execute(query).all())


def count_map_points(scope: Scope, filters: SubmissionFilters) -> int:
    query, _current = _map_query(scope, filters)
    return int(db.session.scalar(query.with_only_columns(func.count()).order_by(None)))


def list_submissions_by_instance_ids(instance_ids: set[str]) -> list[Submission]:
    if not instance_ids:
        return []
    query = select(Submission).where(Submission.instance_id.in_(instance_ids)).options(
        selectinload(Submission.form).selectinload(Form.current_version))
    return list(db.session.scalars(query))


def list_unchecked_blobs(stored_before: datetime, limit: int) -> list[str]:
    """Files no thumbnail job has looked at yet, stored before ``stored_before``, oldest first."""
    return list(db.session.scalars(select(Blob.sha256).where(Blob.image_check.is_(None), Blob.created_at < stored_before)
                                   .order_by(Blob.created_at).limit(limit)))


def list_unhashed_photos(image_check: str, after: str, limit: int) -> list[str]:
    """Files of this ``image_check`` (a picture that can be shown) never given a perceptual hash, after ``after`` in
    the order of their hash (a pass over the files' primary key that can stop and go on)."""
    return list(db.session.scalars(select(Blob.sha256).where(Blob.sha256 > after, Blob.image_check == image_check,
                                                             Blob.phash.is_(None))
                                   .order_by(Blob.sha256).limit(limit)))


def list_submissions_holding_image(sha256: str) -> list[Submission]:
    """Submissions with a version whose picture is this stored file."""
    holding = (select(SubmissionVersion.submission_id).join(SubmissionAttachment)
               .where(SubmissionAttachment.blob_sha256 == sha256,
                      SubmissionAttachment.detected_type.startswith("image/")))
    return list(db.session.scalars(select(Submission).where(Submission.id.in_(holding))))


def list_last_returns(case_ids: list[str]) -> list[tuple[Submission, SubmissionEvent]]:
    """For each of these cases, the visit a supervisor last sent back and that return, newest first."""
    if not case_ids:
        return []
    rows = db.session.execute(
        select(Submission, SubmissionEvent).join(SubmissionEvent, SubmissionEvent.submission_id == Submission.id)
        .where(Submission.case_id.in_(case_ids), SubmissionEvent.kind == SubmissionEventKind.RETURNED)
        .options(selectinload(Submission.versions), selectinload(Submission.form))
        .order_by(SubmissionEvent.id.desc())).all()
    latest: dict[str, tuple[Submission, SubmissionEvent]] = {}
    for submission, event in rows:
        latest.setdefault(submission.case_id or "", (submission, event))
    return list(latest.values())
