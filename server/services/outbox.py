"""The outbox of domain events (docs/events.md).

``record`` adds an event in the caller's transaction: it commits with the change it reports, or not at all.
Events are then numbered by the one **sequencer** (``sequence``), which gives ``seq`` to committed events only,
in increasing order, under a lock; so a reader that follows ``seq`` (the change feed, the consumers) never skips
an event even when transactions commit out of the order they started in — an event that commits late is given a
later number than everything already numbered.

A **consumer** (``consume``) works through events by ``seq`` in batches; its position is stored in
``outbox_cursor`` and advanced in the same transaction as the work a batch did, so a killed worker resumes where
the last committed batch ended and redoes at most the batch it had not committed. The cursor row is also the lock:
two workers never run one consumer at the same time.
"""
from __future__ import annotations

import uuid
from typing import Callable, Iterable

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from server.extensions import db
from server.models import Area, Case, Submission
from server.models.events import OutboxCursor, OutboxEvent
from server.models.types import utcnow

SEQUENCER = "sequencer"
# The applier's cursor: its row lock lets one applier run at a time (services/submissions.py), and holds back
# beside it whatever must not interleave with one (an erasure; writing kept export cells).
APPLIER = "case-applier"
BATCH = 500


def record(event_type: str, object_type: str, object_id: str, station_code: str, facts: dict | None = None,
           new_object: bool = False) -> OutboxEvent:
    """Add one event for a change made in this transaction to an object of station ``station_code``.

    The change is flushed first, so that on PostgreSQL the row locks it takes are held before the event is
    numbered: two transactions changing one object give its events versions (and ids) in the order they
    committed. A ``new_object`` (created in this transaction: a case imported or registered by a visit, a new
    submission) is version 1 without asking: nothing else can have written about an id that did not exist."""
    previous = 0
    if not new_object:
        db.session.flush()
        previous = db.session.scalar(select(func.max(OutboxEvent.object_version)).where(
            OutboxEvent.object_type == object_type, OutboxEvent.object_id == object_id)) or 0
    event = OutboxEvent(event_id=str(uuid.uuid4()), type=str(event_type), occurred_at=utcnow(),
                        station_code=station_code, area_path=_path_of(station_code), object_type=object_type,
                        object_id=object_id, object_version=previous + 1, facts=facts or {})
    db.session.add(event)
    return event


def _path_of(area_code: str) -> str:
    paths = db.session.info.setdefault("outbox_area_paths", {})
    if area_code not in paths:
        paths[area_code] = db.session.scalar(select(Area.path).where(Area.code == area_code)) or f"/{area_code}/"
    return paths[area_code]


def submission_event(event_type: str, submission: Submission, data: dict | None,
                     new_object: bool = False) -> OutboxEvent:
    """An event about a submission, with the plain facts alert rules read (no personal data); ``new_object``: the
    submission was created in this transaction (its first event, version 1)."""
    data = data or {}
    facts = {"form": submission.form.xml_form_id, "review_state": str(submission.review_state),
             "case_id": submission.case_id, "risk_level": submission.risk_level,
             "satisfaction": submission.satisfaction,
             "mandatory_report": _answer(data, "mandatory_report_required") == "yes"}
    return record(event_type, "submission", submission.instance_id, submission.station_code, facts,
                  new_object=new_object)


def case_event(event_type: str, case: Case, new_object: bool = False) -> OutboxEvent:
    facts = {"status": str(case.status) if case.status else "open",
             "risk_level": str(case.risk_level) if case.risk_level else None,
             "next_due": case.next_due.isoformat() if case.next_due else None}
    return record(event_type, "case", case.id, case.station_code, facts, new_object=new_object)


def _answer(data: dict, name: str) -> object:
    """A field's value wherever its group puts it (``mandatory_report_required`` may sit in a group)."""
    if name in data:
        return data[name]
    for value in data.values():
        if isinstance(value, dict):
            found = _answer(value, name)
            if found is not None:
                return found
    return None


def claim(name: str) -> int:
    """Lock consumer ``name``'s cursor row for this transaction (writing it: a row lock on PostgreSQL, the write
    lock on SQLite) and return its position."""
    claimed = db.session.execute(update(OutboxCursor).where(OutboxCursor.name == name)
                                 .values(updated_at=utcnow()).returning(OutboxCursor.position)).scalar()
    if claimed is None:
        db.session.add(OutboxCursor(name=name, position=0, updated_at=utcnow()))
        db.session.flush()
        return 0
    return claimed


def claim_slot(name: str, slot: int) -> bool:
    """Move cursor ``name`` forward to ``slot`` unless it is there already, in one statement: True for exactly one
    caller per slot across every worker and machine sharing the database (a periodic job's run in one period)."""
    table = OutboxCursor.__table__
    insert = postgresql_insert if db.session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = insert(table).values(name=name, position=slot, updated_at=utcnow())
    statement = statement.on_conflict_do_update(
        index_elements=[table.c.name],
        set_={"position": statement.excluded.position, "updated_at": statement.excluded.updated_at},
        where=table.c.position < statement.excluded.position)
    # a row comes back only when inserted or moved (the driver's rowcount is not reliable for an upsert)
    return db.session.execute(statement.returning(table.c.name)).first() is not None


def sequence(limit: int = 5000) -> int:
    """Number the committed events that have no ``seq`` yet, in insertion order. Returns how many."""
    claim(SEQUENCER)
    top = db.session.scalar(select(func.max(OutboxEvent.seq))) or 0
    waiting = db.session.scalars(select(OutboxEvent.id).where(OutboxEvent.seq.is_(None))
                                 .order_by(OutboxEvent.id).limit(limit)).all()
    if waiting:
        db.session.execute(update(OutboxEvent), [{"id": event_id, "seq": top + n}
                                                 for n, event_id in enumerate(waiting, start=1)])
    return len(waiting)


def consume(name: str, work: Callable[[list[OutboxEvent]], None], batch: int = BATCH) -> int:
    """Hand the next batch of numbered events after consumer ``name``'s position to ``work`` and move the
    position past them, in this one transaction. Returns how many events were handled."""
    position = claim(name)
    events = list(db.session.scalars(select(OutboxEvent).where(OutboxEvent.seq > position)
                                     .order_by(OutboxEvent.seq).limit(batch)))
    if not events:
        return 0
    work(events)
    move(name, events[-1].seq)
    return len(events)


def move(name: str, position: int) -> None:
    """Set claimed cursor ``name``'s position (in this transaction)."""
    db.session.execute(update(OutboxCursor).where(OutboxCursor.name == name).values(position=position))


def position_of(name: str) -> int:
    return db.session.scalar(select(OutboxCursor.position).where(OutboxCursor.name == name)) or 0


def latest_seq() -> int:
    return db.session.scalar(select(func.max(OutboxEvent.seq))) or 0


def events_after(after: int, limit: int, area_path: str | None = None,
                 types: Iterable[str] | None = None) -> tuple[list[OutboxEvent], int]:
    """Numbered events after ``after`` within ``area_path`` (a scope's path), and the position a reader may resume
    from: the last event's ``seq`` when the page is full, else the highest ``seq`` there was when the page was
    read (every event up to it is final), so events outside the scope are skipped once, not read again."""
    horizon = latest_seq()
    query = select(OutboxEvent).where(OutboxEvent.seq > after, OutboxEvent.seq <= horizon)
    if area_path:
        query = query.where(OutboxEvent.area_path.startswith(area_path, autoescape=True))
    if types:
        query = query.where(OutboxEvent.type.in_(list(types)))
    found = list(db.session.scalars(query.order_by(OutboxEvent.seq).limit(limit)))
    return found, (found[-1].seq if len(found) == limit else max(after, horizon))


def get_event(event_id: str) -> OutboxEvent | None:
    return db.session.scalar(select(OutboxEvent).where(OutboxEvent.event_id == event_id))
