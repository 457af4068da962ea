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


_KEYED = "coverage_model.keyed"      # session.info: cases whose key before_flush set from their collection
_TOUCHED = "coverage_model.touched"  # session.info: cases whose row the flush rewrote around the ORM


@event.listens_for(Session, "before_flush")
def _key_cases_in_memory(session: Session, _context, _instances) -> None:
    """A case created or given new categories through its collection gets its key in the same INSERT or UPDATE."""
    keyed = {}
    for obj in (*session.new, *session.dirty):
        if isinstance(obj, Case) and (obj in session.new or inspect(obj).attrs["categories"].history.has_changes()):
            key = category_key(link.category for link in obj.categories)
            if obj.category_key != key:
                obj.category_key = key
            keyed[obj.id] = obj
    session.info[_KEYED] = keyed


@event.listens_for(Session, "after_flush")
def _keep_read_model(session: Session, _context) -> None:
    raised: dict[str, list] = {}   # case id → (form id, day) of visits that may move it forward
    recount: set[str] = set()      # cases whose latest counting visit must be looked up again
    rekey: set[str] = set()        # cases whose links changed other than through their collection
    keyed = session.info.pop(_KEYED, {})
    for obj in session.new:
        if isinstance(obj, Submission):
            if _counts(obj):
                raised.setdefault(obj.case_id, []).append((obj.form_id, obj.visit_date))
        elif isinstance(obj, CaseCategoryLink) and not (obj.case_id in keyed and obj in keyed[obj.case_id].categories):
            rekey.add(obj.case_id)
    for obj in session.dirty:
        if isinstance(obj, Submission):
            attrs = inspect(obj).attrs
            changed = {name for name in COUNTING_ATTRIBUTES if attrs[name].history.has_changes()}
            if changed == {"case_id"} and _flushed(obj, "case_id") is None:
                if _counts(obj):  # a registration's visit given its new case: it can only move it forward
                    raised.setdefault(obj.case_id, []).append((obj.form_id, obj.visit_date))
            elif changed:
                recount.update(c for c in (_flushed(obj, "case_id"), obj.case_id) if c is not None)
    for obj in session.deleted:
        if isinstance(obj, Submission) and _flushed(obj, "case_id") is not None:
            recount.add(_flushed(obj, "case_id"))
        elif isinstance(obj, CaseCategoryLink):
            rekey.add(_flushed(obj, "case_id"))
    if not (raised or recount or rekey):
        return
    connection = session.connection()
    _raise(connection, {case_id: days for case_id, days in raised.items() if case_id not in recount})
    if recount:
        recount_visits(connection, recount)
    if rekey:
        _rekey(connection, rekey)
    session.info.setdefault(_TOUCHED, set()).update(raised, recount, rekey)


@event.listens_for(Session, "after_flush_postexec")
def _forget_stale_copies(session: Session, _context) -> None:
    """The session's copies of the cases rewritten around the ORM read the new values on their next use."""
    for case_id in session.info.pop(_TOUCHED, ()):
        obj = session.identity_map.get(identity_key(Case, case_id))
        if obj is not None:
            session.expire(obj, ["counted_visit_on", "category_key"])


def _counts(submission: Submission) -> bool:
    """Whether a submission may be a case's counting visit, its form aside (checked in SQL)."""
    return (submission.case_id is not None and submission.visit_date is not None
            and submission.review_state != ReviewState.REJECTED)


def _raise(connection: Connection, raised: dict[str, list]) -> None:
    """New visits only move a case's latest counting visit forward: its other visits need no look. One UPDATE
    per visit, which also checks its form is a visit form (rows in case order: the same lock order everywhere)."""
    if not raised:
        return
    current, day = _cases.c.counted_visit_on, bindparam("day")
    visit_form = (select(Form.id).where(Form.id == bindparam("form"),  # one bound value each: executemany
                                        Form.xml_form_id.in_([literal(name) for name in VISIT_FORMS]))
                  .exists())
    connection.execute(
        update(_cases).where(_cases.c.id == bindparam("case"), or_(current.is_(None), current < day), visit_form)
        .values(counted_visit_on=day, updated_at=_cases.c.updated_at),
        [{"case": case_id, "day": visited, "form": form_id}
         for case_id in sorted(raised) for form_id, visited in sorted(raised[case_id])])


def _counting_visits():
    return (select(Submission.case_id, func.max(Submission.visit_date))
            .join(Form, Form.id == Submission.form_id)
            .where(Form.xml_form_id.in_(VISIT_FORMS), Submission.review_state != ReviewState.REJECTED,
                   Submission.visit_date.is_not(None))
            .group_by(Submission.case_id))


def _lock(connection: Connection, chunk: list[str]) -> None:
    """Lock the cases' rows before reading what they are computed from. On PostgreSQL a visit another transaction
    has just written (and raised its case with) is then committed before the next statement looks, so a recount
    never writes back a day that misses it. SQLite has one writer at a time and no row locks (nothing is emitted)."""
    connection.execute(select(_cases.c.id).where(_cases.c.id.in_(chunk)).order_by(_cases.c.id).with_for_update())


def recount_visits(connection: Connection, case_ids) -> None:
    """Look each case's latest counting visit up again (in sorted chunks: the same lock order everywhere)."""
    ordered = sorted(case_ids)
    for first in range(0, len(ordered), _CHUNK):
        chunk = ordered[first:first + _CHUNK]
        _lock(connection, chunk)
        latest = dict(connection.execute(_counting_visits().where(Submission.case_id.in_(chunk))).all())
        connection.execute(update(_cases).where(_cases.c.id == bindparam("case"))
                           .values(counted_visit_on=bindparam("day"), updated_at=_cases.c.updated_at),
                           [{"case": case_id, "day": latest.get(case_id)} for case_id in chunk])


def _rekey(connection: Connection, case_ids) -> None:
    ordered = sorted(case_ids)
    for first in range(0, len(ordered), _CHUNK):
        chunk = ordered[first:first + _CHUNK]
        _lock(connection, chunk)
        found: dict[str, list] = {case_id: [] for case_id in chunk}
        for case_id, category in connection.execute(select(CaseCategoryLink.case_id, CaseCategoryLink.category)
                                                    .where(CaseCategoryLink.case_id.in_(chunk))):
            found[case_id].append(category)
        connection.execute(update(_cases).where(_cases.c.id == bindparam("case"))
                           .values(category_key=bindparam("key"), updated_at=_cases.c.updated_at),
                           [{"case": case_id, "key": category_key(found[case_id])} for case_id in chunk])


def rebuild() -> None:
    """Recompute the model of every case from the submissions and categories (after writes around the ORM): the
    latest visits in one grouped pass written with ``UPDATE … FROM`` (a correlated subquery per case can be planned
    as a scan of the submissions per case on tables too fresh for statistics), the keys built here (SQLite
    promises no order to string aggregates)."""
    connection = db.session.connection()
    connection.execute(update(_cases).values(counted_visit_on=None, category_key="", updated_at=_cases.c.updated_at))
    latest = _counting_visits().with_only_columns(
        Submission.case_id.label("case_id"), func.max(Submission.visit_date).label("day")).subquery()
    connection.execute(update(_cases).where(_cases.c.id == latest.c.case_id)
                       .values(counted_visit_on=latest.c.day, updated_at=_cases.c.updated_at))
    _rekey(connection, set(connection.scalars(select(CaseCategoryLink.case_id).distinct())))


def future_visits_after(day) -> bool:
    """Whether a visit that counts is dated after ``day``: the model, which keeps the latest, then cannot say
    what was latest on that day."""
    forms = select(Form.id).where(Form.xml_form_id.in_(VISIT_FORMS)).scalar_subquery()
    return db.session.scalar(
        select(literal(1)).where(Submission.form_id.in_(forms), Submission.visit_date > day,
                                 Submission.review_state != ReviewState.REJECTED,
                                 Submission.case_id.is_not(None)).limit(1)) is not None


