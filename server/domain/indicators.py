"""The bureau's indicators as pure arithmetic over plain facts (definitions in docs/indicators.md).

No Flask, no SQL: queries gather the facts, these functions count. DHIS2's numerator /
denominator indicators are the model; every rate comes with both counts.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Iterable

from server.domain.cases import interval_days

TARGET = 0.9          # POLICY.md A2: satisfaction ≥ 90 %; the same bar is set for coverage
WILSON_Z = 1.959964   # 95 % two-sided


@dataclass(frozen=True)
class CaseFact:
    case_id: str
    categories: tuple[str, ...]
    registered_on: date
    open: bool
    group: str | None = None  # the child area it also counts in (a county of a city…), if any


@dataclass(frozen=True)
class VisitFact:
    case_id: str
    visit_date: date
    rejected: bool


@dataclass(frozen=True)
class Ratio:
    numerator: int
    denominator: int

    @property
    def rate(self) -> float | None:
        return self.numerator / self.denominator if self.denominator else None


@dataclass(frozen=True)
class Coverage:
    overall: Ratio
    by_category: dict[str, Ratio]
    status: str  # met | not_met | no_cases


def service_coverage(cases: Iterable[CaseFact], visits: Iterable[VisitFact], as_of: date,
                     intervals: dict[str, int]) -> Coverage:
    """Of the open cases already due by ``as_of`` (registered at least one interval before it), how many
    had a field visit not rejected by review within their interval before it (both ends included:
    a visit exactly one interval ago still counts, as a case due today is not yet overdue)."""
    return coverage_by_group(cases, visits, as_of, intervals)[0]


def coverage_by_group(cases: Iterable[CaseFact], visits: Iterable[VisitFact], as_of: date,
                      intervals: dict[str, int]) -> tuple[Coverage, dict[str, Coverage]]:
    """``service_coverage`` of all the cases, and of each ``group`` of them, in one pass.

    This is the rule's definition, over one fact per case. Areas are counted by the database instead
    (``queries/indicators.coverage_counts`` + ``coverage_from_counts``), and tests/integration/test_coverage_counts.py
    holds the two equal on random loads."""
    last_visit: dict[str, date] = {}
    for visit in visits:
        if visit.rejected or visit.visit_date > as_of:
            continue
        if visit.case_id not in last_visit or visit.visit_date > last_visit[visit.case_id]:
            last_visit[visit.case_id] = visit.visit_date
    windows: dict[tuple[str, ...], date] = {}  # categories → the earliest visit day that still counts
    overall = _Tally()
    groups: dict[str, _Tally] = {}
    for case in cases:
        if not case.open:
            continue
        earliest = windows.get(case.categories)
        if earliest is None:
            earliest = windows[case.categories] = as_of - timedelta(
                days=interval_days(list(case.categories), intervals))
        if case.registered_on > earliest:
            continue  # registered too recently to be due yet
        seen = last_visit.get(case.case_id, date.min) >= earliest
        overall.add(case.categories, seen)
        if case.group is not None:
            groups.setdefault(case.group, _Tally()).add(case.categories, seen)
    return overall.coverage(), {key: tally.coverage() for key, tally in groups.items()}


@dataclass(frozen=True)
class CoverageCount:
    """Due and covered cases of one group in one category, as the database counts them.

    ``category`` is None for cases in no category. A case in several categories is counted in each;
    ``due_once``/``covered_once`` count it only on the row of its first category, so the rows of a group
    sum to its distinct cases."""

    group: str | None
    category: str | None
    due: int
    covered: int
    due_once: int
    covered_once: int


def coverage_from_counts(counts: Iterable[CoverageCount]) -> tuple[Coverage, dict[str, Coverage]]:
    """The same result as ``coverage_by_group``, from counts made by the database rather than one fact per case."""
    overall = _Tally()
    groups: dict[str, _Tally] = {}
    for count in counts:
        tallies = [overall] if count.group is None else [overall, groups.setdefault(count.group, _Tally())]
        for tally in tallies:
            tally.add_counts(count)
    return overall.coverage(), {key: tally.coverage() for key, tally in groups.items()}


def cutoff_days(intervals: dict[str, int], categories: Iterable[str]) -> dict[str | None, int]:
    """Each category's visit interval, and (under None) that of a case in no category."""
    days: dict[str | None, int] = {c: interval_days([c], intervals) for c in categories}
    days[None] = interval_days([], intervals)
    return days


class _Tally:
    def __init__(self) -> None:
        self.due = self.covered = 0
        self.per_category: dict[str, list[int]] = {}

    def add(self, categories: tuple[str, ...], seen: bool) -> None:
        self.due += 1
        self.covered += seen
        for category in categories:
            counts = self.per_category.setdefault(category, [0, 0])
            counts[0] += seen
            counts[1] += 1

    def add_counts(self, count: CoverageCount) -> None:
        self.due += count.due_once
        self.covered += count.covered_once
        if count.category is not None and count.due:
            counts = self.per_category.setdefault(count.category, [0, 0])
            counts[0] += count.covered
            counts[1] += count.due

    def coverage(self) -> Coverage:
        overall = Ratio(self.covered, self.due)
        status = "no_cases" if not self.due else ("met" if overall.rate >= TARGET else "not_met")
        return Coverage(overall, {c: Ratio(n, d) for c, (n, d) in sorted(self.per_category.items())}, status)


@dataclass(frozen=True)
class Satisfaction:
    satisfied: int
    responses: int
    rate: float | None
    ci_low: float | None
    ci_high: float | None
    status: str  # met | not_met | insufficient


def wilson_interval(successes: int, trials: int, z: float = WILSON_Z) -> tuple[float, float] | None:
    """The Wilson score interval for a proportion; None with no trials."""
    if trials == 0:
        return None
    p = successes / trials
    denominator = 1 + z * z / trials
    centre = (p + z * z / (2 * trials)) / denominator
    half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / denominator
    # The interval always holds p; rounding can leave 33/33's upper end at 0.9999999999999999.
    return max(0.0, min(centre - half, p)), min(1.0, max(centre + half, p))


def satisfaction_rate(scores: Iterable[int], min_responses: int = 30) -> Satisfaction:
    """Share of responses scoring 4 or 5 on the 5-point scale. Below ``min_responses`` the status is
    'insufficient': a station with 3 answers must look like neither a success nor a failure."""
    values = [s for s in scores if s in (1, 2, 3, 4, 5)]
    satisfied = sum(1 for s in values if s >= 4)
    interval = wilson_interval(satisfied, len(values))
    rate = satisfied / len(values) if values else None
    if not values or len(values) < min_responses:  # no answer is never a verdict, whatever the minimum
        status = "insufficient"
    else:
        status = "met" if rate >= TARGET else "not_met"
    return Satisfaction(satisfied, len(values), rate, interval[0] if interval else None,
                        interval[1] if interval else None, status)


@dataclass(frozen=True)
class StationFact:
    township_code: str
    operating: bool
    established_on: date | None


def station_coverage(township_codes: Iterable[str], stations: Iterable[StationFact], as_of: date) -> Ratio:
    """Townships with an operating station as of ``as_of`` (POLICY.md: all of them by 2021-06-30)."""
    townships = set(township_codes)
    running = {s.township_code for s in stations
               if s.operating and (s.established_on is None or s.established_on <= as_of)}
    return Ratio(len(townships & running), len(townships))


@dataclass
class AreaFacts:
    """What the indicators of one area need besides its coverage counts, gathered by the queries."""

    scores: list[int] = field(default_factory=list)
    # resident answers left out of the satisfaction rate in the period, per reason (disclosed beside the rate)
    excluded: dict[str, int] = field(default_factory=dict)
    townships: list[str] = field(default_factory=list)
    stations: list[StationFact] = field(default_factory=list)
