"""Reporting periods on the policy's cadence (POLICY.md: operators and counties monthly, the city inspecting
counties quarterly, the city reporting to the province half-yearly).

Pure: ``2026-10`` is a month, ``2026-Q3`` a quarter, ``2026-H2`` a half-year; each becomes its first and last
day (both included) and the months it spans, which the trend charts and report packs walk through.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from server.errors import InvalidValue

_PATTERN = re.compile(r"^(\d{4})-(?:(\d{2})|Q([1-4])|H([12]))$")
KINDS = ("month", "quarter", "half")


@dataclass(frozen=True)
class Period:
    key: str     # 2026-10 | 2026-Q3 | 2026-H2
    kind: str    # month | quarter | half
    start: date
    end: date    # the last day, included

    def months(self) -> list["Period"]:
        found, day = [], self.start
        while day <= self.end:
            found.append(month_period(day.year, day.month))
            day = found[-1].end + timedelta(days=1)
        return found

    def clipped(self, today: date) -> date:
        """The day the period's indicators are taken on: its end, or today while it is still running."""
        return min(self.end, today)


def month_period(year: int, month: int) -> Period:
    return Period(f"{year:04d}-{month:02d}", "month", date(year, month, 1), _month_end(year, month))


def parse_period(text: str, field: str = "period") -> Period:
    """A period key; anything else is refused with the accepted shapes named."""
    match = _PATTERN.match((text or "").strip().upper())
    if not match:
        raise InvalidValue(field=field, reason=f"“{(text or '')[:20]}” 应为 2026-10、2026-Q3 或 2026-H2 / "
                                               "a period is a month (2026-10), a quarter (2026-Q3) or a half-year (2026-H2)")
    year = int(match.group(1))
    if year < 2000 or year > 2100:
        raise InvalidValue(field=field, reason=f"年份 {year} 超出范围 / year out of range")
    if match.group(2):
        month = int(match.group(2))
        if not 1 <= month <= 12:
            raise InvalidValue(field=field, reason=f"月份 {month} 不存在 / there is no month {month}")
        return month_period(year, month)
    if match.group(3):
        quarter = int(match.group(3))
        first = 3 * quarter - 2
        return Period(f"{year}-Q{quarter}", "quarter", date(year, first, 1), _month_end(year, first + 2))
    half = int(match.group(4))
    first = 1 if half == 1 else 7
    return Period(f"{year}-H{half}", "half", date(year, first, 1), _month_end(year, first + 5))


def period_containing(day: date, kind: str = "month") -> Period:
    if kind == "quarter":
        return parse_period(f"{day.year}-Q{(day.month - 1) // 3 + 1}")
    if kind == "half":
        return parse_period(f"{day.year}-H{1 if day.month <= 6 else 2}")
    return month_period(day.year, day.month)


def last_complete_month(day: date) -> Period:
    """The month before ``day``'s: what a county reports on, and what the dashboard opens on — six days into
    a month, the month so far has almost nothing due and shows 0 % everywhere."""
    before = date(day.year, day.month, 1) - timedelta(days=1)
    return month_period(before.year, before.month)


def trend_months(period: Period, at_least: int = 6) -> list[Period]:
    """The months a trend chart shows: those of the period, preceded by earlier ones up to ``at_least``."""
    months = period.months()
    while len(months) < at_least:
        before = months[0].start - timedelta(days=1)
        months.insert(0, month_period(before.year, before.month))
    return months


def _month_end(year: int, month: int) -> date:
    following = date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)
    return following - timedelta(days=1)
