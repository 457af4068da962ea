"""Keeping each process's time by the database's clock (``domain/clock.py``, "The time source").

``keep_in_step`` runs before every request and every job, and reads the database's time at most once a minute
per process (one tiny query, on a connection of its own, before the request's transaction begins). When the
database does not answer, the last reference stays (the request itself meets the outage and answers 503).
"""
from __future__ import annotations

import logging
import time

from sqlalchemy.exc import SQLAlchemyError

from server.domain import clock
from server.extensions import db
from server.queries.clock import database_time

SYNC_EVERY_SECONDS = 60
log = logging.getLogger(__name__)
_last_sync: float | None = None


def keep_in_step() -> None:
    """Follow the database's clock again if the last reading is a minute old (or there is none)."""
    global _last_sync
    started = time.monotonic()
    if _last_sync is not None and started - _last_sync < SYNC_EVERY_SECONDS:
        return
    _last_sync = started
    try:
        with db.engine.connect() as connection:
            reference = database_time(connection)
            read_at = (started + time.monotonic()) / 2
    except SQLAlchemyError:
        return
    skew = clock.follow_reference(reference, read_at)
    if abs(skew) > clock.SKEW_TOLERANCE_SECONDS:
        log.warning("this machine's clock is %+.0f s from the database's: keeping time by the database's; "
                    "mend the machine's clock (NTP)", skew)


def restart(offset_seconds: float = 0.0) -> None:
    """A new app: the machine's clock (shifted by ``offset_seconds``) until the first reading."""
    global _last_sync
    _last_sync = None
    clock.set_offset(offset_seconds)
    clock.forget_reference()
