"""The indicator rules on hand-built facts, boundaries first."""
from datetime import date, timedelta

import pytest

from server.domain.cases import DEFAULT_VISIT_INTERVAL_DAYS
from server.domain.indicators import (
    CaseFact,
    StationFact,
    VisitFact,
    satisfaction_rate,
    service_coverage,
    station_coverage,
    wilson_interval,
)

D = date(2026, 10, 31)
INTERVALS = {c.value: d for c, d in DEFAULT_VISIT_INTERVAL_DAYS.items()}  # destitute 30, left-behind child 90


def case(case_id, categories=("destitute",), registered=D - timedelta(days=200), open_=True):
    return CaseFact(case_id, tuple(categories), registered, open_)


def visit(case_id, days_before, rejected=False):
    return VisitFact(case_id, D - timedelta(days=days_before), rejected)


def test_a_visit_exactly_one_interval_ago_still_counts_one_day_more_does_not():
    cov = service_coverage([case("a"), case("b")], [visit("a", 30), visit("b", 31)], D, INTERVALS)
    assert (cov.overall.numerator, cov.overall.denominator) == (1, 2)


def test_a_rejected_visit_does_not_count():
    cov = service_coverage([case("a")], [visit("a", 3, rejected=True)], D, INTERVALS)
    assert cov.overall.numerator == 0 and cov.overall.denominator == 1 and cov.status == "not_met"


def test_closed_cases_are_not_in_the_denominator():
    cov = service_coverage([case("a", open_=False), case("b")], [visit("b", 1)], D, INTERVALS)
    assert (cov.overall.numerator, cov.overall.denominator) == (1, 1) and cov.status == "met"


def test_a_case_registered_yesterday_is_not_yet_due():
    cov = service_coverage([case("new", registered=D - timedelta(days=1))], [], D, INTERVALS)
    assert cov.overall.denominator == 0 and cov.overall.rate is None and cov.status == "no_cases"


def test_registered_exactly_one_interval_ago_is_due():
    cov = service_coverage([case("a", registered=D - timedelta(days=30))], [], D, INTERVALS)
    assert cov.overall.denominator == 1


def test_visits_after_the_reporting_day_do_not_count():
    cov = service_coverage([case("a")], [VisitFact("a", D + timedelta(days=1), False)], D, INTERVALS)
    assert cov.overall.numerator == 0


def test_each_case_uses_its_own_categorys_interval_and_is_counted_per_category():
    cases = [case("elder", ("destitute",)), case("child", ("left_behind_child",)),
             case("both", ("destitute", "left_behind_child"))]
    visits = [visit("elder", 40), visit("child", 40), visit("both", 40)]
    cov = service_coverage(cases, visits, D, INTERVALS)
    # 40 days ago is within a child's 90 days, not within a destitute person's 30 (the stricter one wins)
    assert (cov.overall.numerator, cov.overall.denominator) == (1, 3)
    assert (cov.by_category["left_behind_child"].numerator, cov.by_category["left_behind_child"].denominator) == (1, 2)
    assert cov.by_category["destitute"].denominator == 2 and cov.by_category["destitute"].numerator == 0


def test_90_percent_is_met():
    cases = [case(str(i)) for i in range(10)]
    cov = service_coverage(cases, [visit(str(i), 1) for i in range(9)], D, INTERVALS)
    assert cov.overall.rate == pytest.approx(0.9) and cov.status == "met"


@pytest.mark.parametrize("successes,trials,low,high", [
    (8, 10, 0.4901625, 0.9433178),    # the textbook example (statsmodels proportion_confint, method='wilson')
    (0, 10, 0.0, 0.2775328),
    (5, 10, 0.2365931, 0.7634069),
])
def test_wilson_interval_against_known_values(successes, trials, low, high):
    got_low, got_high = wilson_interval(successes, trials)
    assert got_low == pytest.approx(low, abs=1e-6) and got_high == pytest.approx(high, abs=1e-6)


def test_wilson_interval_without_responses():
    assert wilson_interval(0, 0) is None


def test_29_responses_are_insufficient_30_are_judged():
    assert satisfaction_rate([5] * 29).status == "insufficient"
    assert satisfaction_rate([5] * 30).status == "met"
    assert satisfaction_rate([5] * 26 + [3] * 4).status == "not_met"  # 86.7 %
    assert satisfaction_rate([4] * 27 + [1] * 3).status == "met"      # exactly 90 %


def test_satisfied_means_4_or_5():
    result = satisfaction_rate([5, 4, 3, 2, 1], min_responses=1)
    assert (result.satisfied, result.responses) == (2, 5) and result.rate == pytest.approx(0.4)


def test_station_coverage_counts_operating_stations_established_by_the_day():
    stations = [StationFact("t1", True, date(2021, 5, 1)), StationFact("t2", True, date(2021, 7, 1)),
                StationFact("t3", False, date(2021, 4, 1))]
    ratio = station_coverage(["t1", "t2", "t3", "t4"], stations, date(2021, 6, 30))
    assert (ratio.numerator, ratio.denominator) == (1, 4)
    assert station_coverage(["t1", "t2"], stations, date(2021, 7, 1)).rate == 1.0
