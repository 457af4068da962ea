"""Time as the stations live it: China Standard Time (UTC+8, no daylight saving), and the one time source. Pure.

**The time source.** Every "now" of the app — receipt times, review history, sessions, nonces, "today" — comes
from ``utc_now()`` (``timestamp()``), never from the machine's clock directly. It follows the *database's*
clock: a sync (``follow_reference``, run by ``services.timekeeping`` at most once a minute per process) reads the
database's time, and between syncs the time is carried forward by this process's monotonic clock, which no jump
of the wall clock moves. So a machine whose clock jumped (NTP stepping it, a wrong BIOS clock after a restart, a
virtual machine resumed) keeps dating visits right, several app machines agree on one time (Digest nonces made by
one are fresh on the other), and the difference is reported (``skew_seconds``; ``/healthz`` says ``clock`` past
``SKEW_TOLERANCE_SECONDS``) for the operator to mend the machine's clock. Before the first sync (command-line
tools, a process that has not yet reached the database) it is the machine's clock. ``set_offset`` shifts the
machine's clock as this process reads it: a jump, for tests and fault drills (setting ``CLOCK_OFFSET_SECONDS``).

The database keeps instants in UTC; every time shown to a person — pages, review history, timelines, the audit
log, spreadsheets — goes through ``beijing_time`` (the ``beijing`` filter in templates), so a visit made at
12:36 in Kunming reads 12:36 everywhere. Machine formats keep ISO 8601 with an explicit offset (``beijing_iso``).
"""
from __future__ import annotations

import time as _time
from datetime import date, datetime, time, timedelta, timezone

CHINA = timezone(timedelta(hours=8), "CST")
SKEW_TOLERANCE_SECONDS = 60  # the machine's clock this far from the database's: /healthz says "clock"

_offset = 0.0  # seconds added to the machine's clock as this process reads it (set_offset)
_reference: tuple[float, float] | None = None  # (the database's time, this process's monotonic clock) at a sync


def set_offset(seconds: float) -> None:
    """Shift the machine's clock as this process reads it (tests, fault drills): a clock jump."""
    global _offset
    _offset = float(seconds)


def machine_time() -> float:
    """The machine's own clock (POSIX seconds), which may jump."""
    return _time.time() + _offset


def follow_reference(reference: float, monotonic_at: float) -> float:
    """Keep time by ``reference`` (the database's time, POSIX seconds) as read at ``monotonic_at`` on this
    process's monotonic clock; returns how far the machine's clock is from it (positive: ahead)."""
    global _reference
    _reference = (reference, monotonic_at)
    return skew_seconds() or 0.0


def forget_reference() -> None:
    """Back to the machine's clock (a new app, a test)."""
    global _reference
    _reference = None


def timestamp() -> float:
    """Now, in POSIX seconds, by the reference if there is one."""
    reference = _reference
    if reference is None:
        return machine_time()
    return reference[0] + (_time.monotonic() - reference[1])


def utc_now() -> datetime:
    """Now, as an aware UTC datetime: the one "now" of the app."""
    return datetime.fromtimestamp(timestamp(), timezone.utc)


def skew_seconds() -> float | None:
    """How far the machine's clock is from the reference (positive: ahead); None before the first sync."""
    if _reference is None:
        return None
    return machine_time() - timestamp()


def elapsed_seconds(since: datetime, now: datetime | None = None) -> float:
    """Seconds from ``since`` to now, never negative: an instant recorded by a clock that was ahead then is
    "just now", not minus an hour."""
    return max(0.0, ((now or utc_now()) - since).total_seconds())


TIME_FORMATS = {"minutes": "%Y-%m-%d %H:%M", "seconds": "%Y-%m-%d %H:%M:%S", "date": "%Y-%m-%d"}
LABEL = "北京时间"  # shown once where a time's zone matters: "接收时间 2026-12-06 12:36（北京时间）"


def in_china(moment: datetime) -> datetime:
    """The instant on China's clock. A naive value is taken to be UTC, as the database stores it."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(CHINA)


def beijing_time(moment: datetime | None, precision: str = "minutes") -> str:
    """An instant as people in Kunming read it: ``2026-12-06 12:36`` (``precision``: minutes, seconds, date);
    empty for none."""
    if moment is None:
        return ""
    return in_china(moment).strftime(TIME_FORMATS[precision])


def beijing_iso(moment: datetime) -> str:
    """ISO 8601 with China's offset, for machine formats: ``2026-12-06T12:36:00+08:00``."""
    return in_china(moment).isoformat(timespec="seconds")


def beijing_wall_time(moment: datetime) -> datetime:
    """China's wall-clock time without an offset, for spreadsheet cells (Excel keeps no time zones)."""
    return in_china(moment).replace(tzinfo=None)


def today_in_china(now: datetime | None = None) -> date:
    return (now or utc_now()).astimezone(CHINA).date()


def day_start_utc(day: date) -> datetime:
    """The instant a China day begins, in UTC (for filtering timestamps by date)."""
    return datetime.combine(day, time.min, tzinfo=CHINA).astimezone(timezone.utc)


# The days a query may name: wide enough for any record the service keeps, narrow enough that day arithmetic
# on them (a day later, a 30-day window, China's midnight in UTC) never steps off the calendar into a 500.
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2100, 12, 31)


def parse_day(text: str, field: str) -> date | None:
    """An optional YYYY-MM-DD from a form or query; empty is None, anything else unreadable is refused."""
    from server.errors import InvalidValue

    if not text:
        return None
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise InvalidValue(field=field, reason=f"“{text[:20]}” 应为 YYYY-MM-DD / a date is YYYY-MM-DD")
    if not FIRST_DAY <= day <= LAST_DAY:
        raise InvalidValue(field=field, reason=f"日期应在 {FIRST_DAY} 至 {LAST_DAY} 之间 / a date is between "
                                               f"{FIRST_DAY} and {LAST_DAY}")
    return day
