"""Time as the stations live it: dates are China Standard Time days (no daylight saving). Pure."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

CHINA = timezone(timedelta(hours=8), "CST")


def today_in_china(now: datetime | None = None) -> date:
    return (now or datetime.now(timezone.utc)).astimezone(CHINA).date()


def day_start_utc(day: date) -> datetime:
    """The instant a China day begins, in UTC (for filtering timestamps by date)."""
    return datetime.combine(day, time.min, tzinfo=CHINA).astimezone(timezone.utc)


def parse_day(text: str, field: str) -> date | None:
    """An optional YYYY-MM-DD from a form or query; empty is None, anything else unreadable is refused."""
    from server.errors import InvalidValue

    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidValue(field=field, reason=f"“{text[:20]}” 应为 YYYY-MM-DD / a date is YYYY-MM-DD")
