"""Coverage's read model on the case row (``Case.counted_visit_on``, ``Case.category_key``), kept as data change.

Counting today's coverage from the submissions meant, for every case, a pass over two years of visits for its
latest one that counts and a pass over its categories for its interval: seconds at a million submissions
(docs/benchmarks.md §4). The case row instead keeps

- ``counted_visit_on``: the day of its latest visit that counts, i.e. a submission of a visit form
  (``domain.cases.VISIT_FORMS``) that is not rejected, whatever its date;
- ``category_key``: its categories, sorted and joined with commas ("" for none). The interval is not stored:
  it depends on settings that change (``services.cases.visit_intervals``), and the counting query applies it.

They are kept where every change passes, the session's flush, in the same transaction as the change: a new
visit raises ``counted_visit_on``; a submission whose case, form, date or review state changes, or that is
deleted, has its old and new cases recounted; a change of a case's categories rewrites its key. Writing around
the ORM (bulk loads, migrations) must call ``rebuild``. ``queries.indicators.coverage_counts`` uses the model
only when no visit that counts is dated after the day asked about (today's view); for an earlier day it counts
from the submissions. ``tests/integration/test_coverage_counts.py`` checks both against the pure rules after
random sequences of visits, edits, reviews, deletions, erasures, category and interval changes on both databases.
"""
from __future__ import annotations

from sqlalchemy import bindparam, event, func, inspect, literal, or_, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from server.domain.cases import VISIT_FORMS
from server.extensions import db
from server.models import Case, CaseCategoryLink, Form, ReviewState, Submission

COUNTING_ATTRIBUTES = ("case_id", "form_id", "visit_date", "review_state")
_CHUNK = 500
_cases = Case.__table__


def category_key(categories) -> str:
    return ",".join(sorted(str(getattr(c, "value", c)) for c in categories))


def categories_of_key(key: str | None) -> list[str]:
    return [c for c in (key or "").split(",") if c]


def _flushed(obj, name: str):
    history = inspect(obj).attrs[name].history
    return history.deleted[0] if history.deleted else getattr(obj, name)


@event.listens_for(Session, "after_flush")
def _keep_read_model(session: Session, _context) -> None:
    raised: dict[str, list] = {}   # case id → (form id, day) of its new submissions
    recount: set[str] = set()      # cases whose latest counting visit must be looked up again
    rekey: set[str] = set()        # cases whose categories changed
    for obj in session.new:
        if isinstance(obj, Submission) and obj.case_id is not None and obj.visit_date is not None \
                and obj.review_state != ReviewState.REJECTED:
            raised.setdefault(obj.case_id, []).append((obj.form_id, obj.visit_date))
        elif isinstance(obj, CaseCategoryLink):
            rekey.add(obj.case_id)
    for obj in session.dirty:
        if isinstance(obj, Submission):
            state = inspect(obj)
            if any(state.attrs[name].history.has_changes() for name in COUNTING_ATTRIBUTES):
                recount.update(c for c in (_flushed(obj, "case_id"), obj.case_id) if c is not None)
        elif isinstance(obj, Case) and inspect(obj).attrs["categories"].history.has_changes():
            rekey.add(obj.id)
    for obj in session.deleted:
        if isinstance(obj, Submission) and _flushed(obj, "case_id") is not None:
            recount.add(_flushed(obj, "case_id"))
        elif isinstance(obj, CaseCategoryLink):
            rekey.add(_flushed(obj, "case_id"))
    if not (raised or recount or rekey):
        return
    connection = session.connection()
    values: dict[str, dict] = {}
    moved = _raise(connection, {case_id: days for case_id, days in raised.items() if case_id not in recount})
    if recount:
        recount_visits(connection, recount, values)
    if rekey:
        _rekey(connection, rekey, values)
    # The session's copy of a case, where it holds one, sees the change (nothing may be loaded during a flush).
    for case_id, day in moved.items():
        loaded = _held(session, case_id)
        if loaded is not None and "counted_visit_on" in loaded.dict:
            current = loaded.dict["counted_visit_on"]
            values.setdefault(case_id, {})["counted_visit_on"] = day if current is None or current < day else current
    for case_id, changed in values.items():
        loaded = _held(session, case_id)
        if loaded is not None:
            for name, value in changed.items():
                set_committed_value(loaded.obj(), name, value)


def _held(session: Session, case_id: str):
    obj = session.identity_map.get(identity_key(Case, case_id))
    return inspect(obj) if obj is not None else None


def _visit_form_ids(connection: Connection) -> set[int]:
    return set(connection.scalars(select(Form.id).where(Form.xml_form_id.in_(VISIT_FORMS))))


def _raise(connection: Connection, raised: dict[str, list]) -> dict:
    """New visits only move a case's latest counting visit forward: its other visits need no look. Returns
    each raised case's newest counting day."""
    if not raised:
        return {}
    forms = _visit_form_ids(connection)
    latest = {case_id: max(day for form_id, day in days if form_id in forms) for case_id, days in raised.items()
              if any(form_id in forms for form_id, _ in days)}
    if not latest:
        return {}
    current, day = _cases.c.counted_visit_on, bindparam("day")
    connection.execute(
        update(_cases).where(_cases.c.id == bindparam("case"), or_(current.is_(None), current < day))
        .values(counted_visit_on=day, updated_at=_cases.c.updated_at),
        [{"case": case_id, "day": latest[case_id]} for case_id in sorted(latest)])
    return latest


def _counting_visits():
    return (select(Submission.case_id, func.max(Submission.visit_date))
            .join(Form, Form.id == Submission.form_id)
            .where(Form.xml_form_id.in_(VISIT_FORMS), Submission.review_state != ReviewState.REJECTED,
                   Submission.visit_date.is_not(None))
            .group_by(Submission.case_id))


def recount_visits(connection: Connection, case_ids, values: dict[str, dict] | None = None) -> None:
    """Look each case's latest counting visit up again (in sorted chunks: the same lock order everywhere)."""
    ordered = sorted(case_ids)
    for first in range(0, len(ordered), _CHUNK):
        chunk = ordered[first:first + _CHUNK]
        latest = dict(connection.execute(_counting_visits().where(Submission.case_id.in_(chunk))).all())
        connection.execute(update(_cases).where(_cases.c.id == bindparam("case"))
                           .values(counted_visit_on=bindparam("day"), updated_at=_cases.c.updated_at),
                           [{"case": case_id, "day": latest.get(case_id)} for case_id in chunk])
        if values is not None:
            for case_id in chunk:
                values.setdefault(case_id, {})["counted_visit_on"] = latest.get(case_id)


def _rekey(connection: Connection, case_ids, values: dict[str, dict] | None = None) -> None:
    ordered = sorted(case_ids)
    for first in range(0, len(ordered), _CHUNK):
        chunk = ordered[first:first + _CHUNK]
        found: dict[str, list] = {case_id: [] for case_id in chunk}
        for case_id, category in connection.execute(select(CaseCategoryLink.case_id, CaseCategoryLink.category)
                                                    .where(CaseCategoryLink.case_id.in_(chunk))):
            found[case_id].append(category)
        connection.execute(update(_cases).where(_cases.c.id == bindparam("case"))
                           .values(category_key=bindparam("key"), updated_at=_cases.c.updated_at),
                           [{"case": case_id, "key": category_key(found[case_id])} for case_id in chunk])
        if values is not None:
            for case_id in chunk:
                values.setdefault(case_id, {})["category_key"] = category_key(found[case_id])


def rebuild() -> None:
    """Recompute the model of every case from the submissions and categories (after writes around the ORM)."""
    connection = db.session.connection()
    ids = list(connection.scalars(select(_cases.c.id)))
    connection.execute(update(_cases).values(counted_visit_on=None, category_key="",
                                             updated_at=_cases.c.updated_at))
    recount_visits(connection, _ids_with(connection, Submission.case_id, ids))
    _rekey(connection, _ids_with(connection, CaseCategoryLink.case_id, ids))


def _ids_with(connection: Connection, column, ids: list[str]) -> set[str]:
    return set(connection.scalars(select(column).where(column.is_not(None)).distinct())) & set(ids)


def future_visits_after(day) -> bool:
    """Whether a visit that counts is dated after ``day``: the model, which keeps the latest, then cannot say
    what was latest on that day."""
    forms = select(Form.id).where(Form.xml_form_id.in_(VISIT_FORMS)).scalar_subquery()
    return db.session.scalar(
        select(literal(1)).where(Submission.form_id.in_(forms), Submission.visit_date > day,
                                 Submission.review_state != ReviewState.REJECTED,
                                 Submission.case_id.is_not(None)).limit(1)) is not None


