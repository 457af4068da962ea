"""Background work a request should not wait for, on the job queue (adapter: ``adapters/queue.py``).

A service asks for a job with ``after_commit(name, *args)``: the job is queued only once the
transaction that asked for it has committed (a rolled-back request queues nothing, and a worker never
sees rows that are not there yet). Workers run ``flask --app server jobs-worker``; each job runs in its
own app context as one transaction. Jobs are idempotent: running one again does no harm, and Huey
retries a failed one (docs/deploy.md, "Background jobs").
"""
from __future__ import annotations

import logging
import os
import time
from typing import Any, Callable

from flask import Flask, current_app, has_app_context
from sqlalchemy import event
from sqlalchemy.orm import Session

from server.adapters.queue import build_queue, every_minutes, run_workers
from server.domain.clock import timestamp
from server.extensions import db
from server.services import timekeeping

log = logging.getLogger(__name__)
PENDING = "lastmeter_jobs"
JOBS: dict[str, Callable[..., Any]] = {}
PERIODIC: dict[str, tuple[Callable[..., Any], int]] = {}
POLLED: set[str] = set()


def job(name: str, polled: bool = False) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """A job a service asks for with ``after_commit``. A ``polled`` job is work the job workers look for by
    themselves, often (``server/pump.py``): asking for it queues nothing — a queued task per visit would be a
    write to the queue per request — except on a queue that runs jobs at once (``memory://``: tests and
    one-off commands), where it runs at the commit like any job."""
    def register(fn: Callable[..., Any]) -> Callable[..., Any]:
        JOBS[name] = fn
        if polled:
            POLLED.add(name)
        return fn

    return register


def periodic(name: str, minutes: int) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """A job the workers run every ``minutes`` by themselves. Every worker process's scheduler queues it, on every
    machine; the first to claim the period in the database runs it and the others skip it (``once_per_period``).
    It must still be harmless to run twice: a worker killed mid-run leaves it to the next period."""
    def register(fn: Callable[..., Any]) -> Callable[..., Any]:
        PERIODIC[name] = (fn, minutes)
        return fn

    return register


def init_app(app: Flask) -> None:
    queue = build_queue(str(app.config["JOBS_URL"]))
    tasks = {name: queue.task(name=name, retries=3, retry_delay=30)(_in_app_context(app, fn))
             for name, fn in JOBS.items() if name not in POLLED or queue.immediate}
    for name, (fn, minutes) in PERIODIC.items():
        tasks[name] = every_minutes(queue, name, minutes, _in_app_context(app, once_per_period(name, minutes, fn)))
    app.extensions["jobs"] = queue
    app.extensions["job_tasks"] = tasks


def once_per_period(name: str, minutes: int, fn: Callable[..., Any],
                    clock: Callable[[], float] = timestamp) -> Callable[..., Any]:
    """``fn`` run only by the first caller in each ``minutes``-long period, whichever worker or machine it is on:
    the period is claimed on a cursor row of the shared database (``outbox.claim_slot``), committed at once."""
    from server.services.outbox import claim_slot

    def run(*args: Any) -> Any:
        if not claim_slot(f"periodic:{name}", int(clock() // (minutes * 60))):
            return None  # another worker has this period's run
        db.session.commit()
        return fn(*args)

    run.__name__ = fn.__name__
    return run


def _in_app_context(app: Flask, fn: Callable[..., Any]) -> Callable[..., Any]:
    def run(*args: Any) -> Any:
        with app.app_context():
            timekeeping.keep_in_step()
            try:
                result = fn(*args)
                db.session.commit()
                return result
            except BaseException:
                db.session.rollback()
                raise
            finally:
                db.session.remove()

    run.__name__ = fn.__name__
    return run


def after_commit(name: str, *args: Any) -> None:
    """Queue job ``name`` once the current transaction commits (once, however often the transaction asks)."""
    if name not in JOBS:
        raise KeyError(name)
    db.session.connection()  # join (or begin) the transaction, so that its rollback drops the job
    pending = db.session.info.setdefault(PENDING, [])
    if (name, args) not in pending:
        pending.append((name, args))


@event.listens_for(Session, "after_commit")
def _send_pending(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a SAVEPOINT released (SQLAlchemy reports it as a commit): the transaction has not committed yet
    pending = session.info.pop(PENDING, [])
    if not pending or not has_app_context():
        return
    tasks = current_app.extensions["job_tasks"]
    for name, args in pending:
        if name not in tasks:
            continue  # a polled job: the workers find the work themselves
        try:
            tasks[name](*args)
        except Exception:  # noqa: BLE001 — the data is committed; a job that cannot be queued is logged, not fatal
            log.exception("could not queue job %s%r", name, args)


@event.listens_for(Session, "after_soft_rollback")
def _drop_pending(session: Session, previous_transaction) -> None:
    if previous_transaction.nested:
        return  # only a SAVEPOINT rolled back: the jobs the transaction asked for stand (each is harmless twice)
    session.info.pop(PENDING, None)


def work(app: Flask, threads: int) -> None:
    """Run the job consumer, and the events pump in a thread beside it (``server/pump.py``)."""
    from server.pump import start_thread

    stop = start_thread(app)
    try:
        run_workers(app.extensions["jobs"], threads)
    finally:
        stop.set()


# ---- the jobs -------------------------------------------------------------------------------

@job("thumbnails")
def prepare_thumbnails(sha256: str) -> int:
    """Check a stored photo can be shown (flagging the visits holding it when not) and make its list and detail
    thumbnails before anyone opens the page."""
    from server.media import media_storage
    from server.services.media import inspect_photo

    return inspect_photo(sha256, media_storage())


@job("apply-visits", polled=True)
def apply_visits() -> int:
    """Apply the visits acknowledged since the last application to their cases: each job worker's applier thread
    polls for them (``server/pump.py``), and every round of the events pump runs the same step."""
    from server.services.submissions import apply_pending_visits

    return apply_pending_visits()


@job("export-cells")
def refresh_export_cells() -> int:
    """Write the answers of current submissions as the CSV export writes them (``services/export_cells.py``) where
    they are not yet, or were for columns a form no longer has: queued when a form version is published."""
    from server.services.export_cells import refresh

    return refresh()


@periodic("export-cells-sweep", minutes=10)
def sweep_export_cells() -> int:
    """The same, every ten minutes: what a killed job or an upgrade from before the cells were kept left."""
    return refresh_export_cells()


@periodic("sweep-uploads", minutes=60)
def sweep_uploads() -> int:
    """Remove upload spool files older than an hour: what a crashed or killed request left half-written
    (a file becomes a stored blob only by an atomic rename/upload; the spool is never read back)."""
    from server.media import media_storage

    return media_storage().sweep_temporary(older_than_seconds=3600)


@periodic("sweep-media", minutes=60)
def sweep_media() -> int:
    """Remove stored blobs no committed row names, older than an hour: what a process killed between storing a
    file and committing its row left behind (docs/storage.md). Harmless to run twice, or beside requests."""
    from server.media import media_storage
    from server.services.media import sweep_orphan_blobs

    return len(sweep_orphan_blobs(media_storage(), older_than_seconds=3600))


@periodic("inspect-photos", minutes=1)
def inspect_photos() -> int:
    """Redo what thumbnail jobs lost (a worker killed mid-job): files still unchecked two minutes after arriving
    are checked, flagged and given thumbnails (``services.media.inspect_unchecked_photos``)."""
    from server.media import media_storage
    from server.services.media import inspect_unchecked_photos

    return inspect_unchecked_photos(media_storage())


@periodic("purge-sessions", minutes=60)
def purge_sessions() -> int:
    """Delete API and web session rows that ended more than 30 days ago (they only grow otherwise)."""
    from server.services.accounts import purge_ended_sessions

    return purge_ended_sessions()


@job("ping")
def ping(path: str, tag: str, seconds: float = 0.0) -> str:
    """Append ``tag pid`` to a file (after ``seconds`` of pretend work): `flask jobs-ping` and the queue
    tests see which worker ran what."""
    time.sleep(seconds)
    line = f"{tag} {os.getpid()}\n".encode()
    descriptor = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(descriptor, line)  # one write of a short line with O_APPEND: never interleaved
    finally:
        os.close(descriptor)
    return tag
