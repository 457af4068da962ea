"""Time as the stations live it: dates are China Standard Time days (no daylight saving). Pure."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

CHINA = timezone(timedelta(hours=8), "CST")


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
