"""The supervisor list's per-state counts, kept as submissions change (``SubmissionTally``).

Counting a million submissions by review state on every list page took seconds (docs/benchmarks.md §3); the
tallies make it a sum over a few rows per station and day. They are kept in the one place every change of a
submission passes through, the session's flush: a new submission adds one to its keys (station, form, China day
of arrival, review state, risk level — once for the day, once for its month), a change of any of those moves one
from the old keys to the new, a deleted submission takes one away. A count over a range of days sums the month
rows of the whole months in it and the day rows of the days at its ends: a year of a province is a few
thousand rows, not hundreds of thousands. The tally rows are written in the same transaction as the submissions, so a rollback
undoes both, and upserts (``INSERT … ON CONFLICT DO UPDATE``) make concurrent writers add rather than overwrite.
Writing submissions around the ORM (bulk loads) must call ``rebuild``.

``counts`` answers only for the filters tallies can see (``covers``); the list counts the rows themselves when a
narrower filter (a case, a worker, a flag) is set, which leaves few rows to count. ``tests/integration/
test_tallies.py`` checks the tallies equal a direct count after random sequences of writes on both databases.
"""
from __future__ import annotations

from collections import Counter
from datetime import date, datetime, time, timedelta

from sqlalchemy import and_, delete, event, func, inspect, or_, select, text
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from server.domain.access import Scope
from server.domain.clock import in_china
from server.extensions import db
from server.models import Area, Form, Submission, SubmissionTally

TallyKey = tuple[str, int, str, date, str, str]
KEY_ATTRIBUTES = ("station_code", "form_id", "created_at", "review_state", "risk_level")
DAY, MONTH = "day", "month"


def _keys(values: tuple) -> tuple[TallyKey, TallyKey]:
    """The day's key and the month's (dated its first day)."""
    station_code, form_id, created_at, review_state, risk_level = values
    day = in_china(created_at).date()
    rest = (str(review_state), risk_level or "")
    return (station_code, form_id, DAY, day, *rest), (station_code, form_id, MONTH, day.replace(day=1), *rest)


def _current_keys(submission: Submission) -> tuple[TallyKey, TallyKey]:
    return _keys(tuple(getattr(submission, name) for name in KEY_ATTRIBUTES))


def _flushed_keys(submission: Submission) -> tuple[TallyKey, TallyKey]:
    """The key as the database held it before this flush (attribute history still shows it in after_flush)."""
    attrs = inspect(submission).attrs
    values = []
    for name in KEY_ATTRIBUTES:
        history = attrs[name].history
        values.append(history.deleted[0] if history.deleted else getattr(submission, name))
    return _keys(tuple(values))


@event.listens_for(Session, "after_flush")
def _keep_tallies(session: Session, _context) -> None:
    deltas: Counter[TallyKey] = Counter()
    for obj in session.new:
        if isinstance(obj, Submission):
            deltas.update(_current_keys(obj))
    for obj in session.dirty:
        if isinstance(obj, Submission):
            before, after = _flushed_keys(obj), _current_keys(obj)
            if before != after:
                deltas.subtract(before)
                deltas.update(after)
    for obj in session.deleted:
        if isinstance(obj, Submission):
            deltas.subtract(_flushed_keys(obj))
    changes = {key: n for key, n in deltas.items() if n}
    if changes:
        add(session.connection(), changes)


def add(connection: Connection, changes: dict[TallyKey, int]) -> None:
    """Add each change to its tally row, creating it when missing. Rows are written in key order, so two
    transactions touching the same rows lock them in the same order and never deadlock."""
    table = SubmissionTally.__table__
    insert = postgresql_insert if connection.dialect.name == "postgresql" else sqlite_insert
    statement = insert(table)
    statement = statement.on_conflict_do_update(
        index_elements=[column.name for column in table.primary_key.columns],
        set_={"count": table.c.count + statement.excluded["count"]})
    connection.execute(statement, [
        {"station_code": station, "form_id": form_id, "span": span, "day": day, "review_state": state,
         "risk_level": risk, "count": n}
        for (station, form_id, span, day, state, risk), n in sorted(changes.items())])


def covers(filters) -> bool:
    """Whether the tallies can answer these list filters (``queries.submissions.SubmissionFilters``): form,
    station, area, risk level and arrival dates that start at China midnight. Not a case, a worker or a flag."""
    if filters.case_id or filters.submitter_id or filters.flag:
        return False
    return all(moment is None or in_china(moment).time() == time.min
               for moment in (filters.received_from, filters.received_before))


def counts(scope: Scope, filters) -> dict[str, int]:
    """Per review state, how many submissions the filters match (the state filter aside): ``covers`` must hold."""
    query = (select(SubmissionTally.review_state, func.sum(SubmissionTally.count))
             .join(Area, Area.code == SubmissionTally.station_code)
             .where(Area.path.startswith(scope.area_path, autoescape=True))
             .group_by(SubmissionTally.review_state))
    if filters.xml_form_id:
        query = query.join(Form, Form.id == SubmissionTally.form_id).where(Form.xml_form_id == filters.xml_form_id)
    if filters.station:
        query = query.where(SubmissionTally.station_code == filters.station)
    if filters.area_path:
        query = query.where(Area.path.startswith(filters.area_path, autoescape=True))
    if filters.risk_level:
        query = query.where(SubmissionTally.risk_level == filters.risk_level)
    query = query.where(_days(filters.received_from and _china_day(filters.received_from),
                              filters.received_before and _china_day(filters.received_before)))
    return {str(state): int(n) for state, n in db.session.execute(query) if n}


def _china_day(moment: datetime) -> date:
    return in_china(moment).date()


def _month_after(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def _days(first: date | None, before: date | None):
    """The tally rows that count the days from ``first`` up to ``before`` (either open) once each: month rows
    for the whole months, day rows for the days of the months cut at either end."""
    months_from = first if first is None or first.day == 1 else _month_after(first)
    months_before = before if before is None else before.replace(day=1)
    if months_from is not None and months_before is not None and months_from >= months_before:
        return and_(SubmissionTally.span == DAY, *_between(first, before))  # within one month, or two parts
    parts = [and_(SubmissionTally.span == MONTH, *_between(months_from, months_before))]
    if first is not None and months_from != first:
        parts.append(and_(SubmissionTally.span == DAY, *_between(first, months_from)))
    if before is not None and months_before != before:
        parts.append(and_(SubmissionTally.span == DAY, *_between(months_before, before)))
    return or_(*parts)


def _between(first: date | None, before: date | None) -> list:
    return [condition for condition in (first is not None and SubmissionTally.day >= first,
                                        before is not None and SubmissionTally.day < before) if condition is not False]


# The China day of a stored instant, in each database's SQL (SQLite keeps UTC text, PostgreSQL timestamptz).
CHINA_DAY_SQL = {"sqlite": "date(created_at, '+8 hours')",
                 "postgresql": "(created_at AT TIME ZONE 'Asia/Shanghai')::date"}
MONTH_START_SQL = {"sqlite": "date(day, 'start of month')", "postgresql": "date_trunc('month', day)::date"}


def rebuild() -> None:
    """Count every submission again (after writing submissions around the ORM, as bulk loads do)."""
    connection = db.session.connection()
    day = CHINA_DAY_SQL[connection.dialect.name]
    month = MONTH_START_SQL[connection.dialect.name]
    db.session.execute(delete(SubmissionTally))
    connection.execute(text(
        "INSERT INTO submission_tally (station_code, form_id, span, day, review_state, risk_level, count) "
        f"SELECT station_code, form_id, 'day', {day}, review_state, coalesce(risk_level, ''), count(*) "
        f"FROM submission GROUP BY station_code, form_id, {day}, review_state, coalesce(risk_level, '')"))
    connection.execute(text(
        "INSERT INTO submission_tally (station_code, form_id, span, day, review_state, risk_level, count) "
        f"SELECT station_code, form_id, 'month', {month}, review_state, risk_level, sum(count) "
        f"FROM submission_tally WHERE span = 'day' GROUP BY station_code, form_id, {month}, review_state, risk_level"))
