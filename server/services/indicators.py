"""The indicators of an area and of each area below it, as the API and the dashboard show them."""
from __future__ import annotations

from datetime import date
from typing import Any

from flask import current_app

from server.domain.indicators import (
    TARGET,
    AreaFacts,
    Coverage,
    Ratio,
    coverage_from_counts,
    satisfaction_rate,
    station_coverage,
)
from server.domain.places import AreaLevel
from server.models import Area
from server.queries import places as place_queries
from server.queries.indicators import area_facts, coverage_counts
from server.services.cases import visit_intervals


def indicators_of(area: Area, period_from: date, period_to: date, with_children: bool = True) -> dict[str, Any]:
    """The area's indicators and, with_children, each child area's — all from one gathering of facts."""
    facts, by_child = area_facts(area, period_from, period_to)
    overall, by_group = coverage_from_counts(coverage_counts(area, period_to, visit_intervals()))
    body = _indicators(area, overall, facts, period_from, period_to)
    if with_children:
        body["children"] = [_indicators(child, by_group.get(child.code, NO_CASES), by_child.get(child.code, AreaFacts()),
                                        period_from, period_to)
                            for child in place_queries.list_child_areas(area.code)]
    return body


def indicators_of_townships(area: Area, townships: list[Area], period_from: date,
                            period_to: date) -> dict[str, dict[str, Any]]:
    """Each of ``townships`` (under ``area``) with the indicators ``indicators_of`` gives it alone, all from one
    gathering of facts over ``area``: a province's report pack costs a few queries, not a few per station."""
    _, facts = area_facts(area, period_from, period_to, by_township=True)
    _, coverage = coverage_from_counts(coverage_counts(area, period_to, visit_intervals(), by_township=True))
    return {township.code: _indicators(township, coverage.get(township.code, NO_CASES),
                                       facts.get(township.code, AreaFacts()), period_from, period_to)
            for township in townships}


NO_CASES = Coverage(Ratio(0, 0), {}, "no_cases")


def _indicators(area: Area, coverage: Coverage, facts: AreaFacts, period_from: date, period_to: date) -> dict[str, Any]:
    satisfaction = satisfaction_rate(facts.scores, int(current_app.config["SATISFACTION_MIN_RESPONSES"]))
    body: dict[str, Any] = {
        "area": {"code": area.code, "name": area.name, "level": area.level.value},
        "period": {"from": period_from.isoformat(), "to": period_to.isoformat()},
        "coverage": {
            "numerator": coverage.overall.numerator, "denominator": coverage.overall.denominator,
            "rate": coverage.overall.rate, "target": TARGET, "status": coverage.status,
            "by_category": {c: {"numerator": r.numerator, "denominator": r.denominator, "rate": r.rate}
                            for c, r in coverage.by_category.items()},
        },
        "satisfaction": {
            "satisfied": satisfaction.satisfied, "responses": satisfaction.responses, "rate": satisfaction.rate,
            "ci_low": satisfaction.ci_low, "ci_high": satisfaction.ci_high, "target": TARGET,
            "status": satisfaction.status,
            "min_responses": int(current_app.config["SATISFACTION_MIN_RESPONSES"]),
            "excluded": {"responses": sum(facts.excluded.values()), "by_reason": dict(sorted(facts.excluded.items()))},
        },
    }
    if area.level != AreaLevel.VILLAGE:
        ratio = station_coverage(facts.townships, facts.stations, period_to)
        body["station_coverage"] = {"stations": ratio.numerator, "townships": ratio.denominator, "rate": ratio.rate,
                                    "target": 1.0}
    return body
