"""Time as the stations live it: China Standard Time (UTC+8, no daylight saving). Pure.

The database keeps instants in UTC; every time shown to a person — pages, review history, timelines, the audit
log, spreadsheets — goes through ``beijing_time`` (the ``beijing`` filter in templates), so a visit made at
12:36 in Kunming reads 12:36 everywhere. Machine formats keep ISO 8601 with an explicit offset (``beijing_iso``).
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

CHINA = timezone(timedelta(hours=8), "CST")


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
    return (now or datetime.now(timezone.utc)).astimezone(CHINA).date()


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
