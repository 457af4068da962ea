"""Gathering the facts the indicators count, for one area (its whole subtree)."""
from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import String, cast, func, select

from server.domain.cases import VISIT_FORMS, CaseStatus
from server.domain.indicators import AreaFacts, CaseFact, StationFact, VisitFact
from server.domain.places import AreaLevel
from server.domain.stations import StationStatus
from server.extensions import db
from server.models import Area, Case, CaseCategoryLink, Form, ReviewState, Station, Submission, SubmissionVersion

FEEDBACK_FORM = "resident_feedback"
LOOKBACK_DAYS = 730  # no visit interval is longer than this


def _in_area(area: Area):
    """Stations' townships under the area (a village narrows it to that village's cases below)."""
    township_path = area.path if area.level != AreaLevel.VILLAGE else area.path.rsplit("/", 2)[0] + "/"
    return Area.path.startswith(township_path, autoescape=True)


def _child_key_of(area: Area):
    """How to find the child of ``area`` a fact belongs to: a county of a city, a township of a county, a village
    of a township (None where there is no such child, e.g. a township's feedback, which names no village)."""
    level, prefix = area.level, len(area.path)
    if level == AreaLevel.VILLAGE:
        return lambda township_path, village_code: None
    if level == AreaLevel.TOWNSHIP:
        return lambda township_path, village_code: village_code
    return lambda township_path, village_code: township_path[prefix:].split("/", 1)[0] or None


def area_facts(area: Area, period_from: date, period_to: date) -> tuple[AreaFacts, dict[str, AreaFacts]]:
    """The facts of the area as a whole and split by its children, from one set of queries.

    Visits arrive already reduced in SQL to each case's latest one that counts (a field visit, not
    rejected, on or before the period's end, within the longest interval): one row per case however
    many visits there are. Cases are not copied per child: each carries its child as ``group`` and the
    whole area's list is counted once, per group (``coverage_by_group``); the children's facts hold
    their feedback scores and stations.
    """
    whole, children = AreaFacts(), {}
    _child_key = _child_key_of(area)

    def part(key: str | None) -> AreaFacts | None:
        if key is None:
            return None
        return children.setdefault(key, AreaFacts())

    latest = (select(Submission.case_id.label("case_id"), func.max(Submission.visit_date).label("visited"))
              .join(Form, Form.id == Submission.form_id).join(Area, Area.code == Submission.station_code)
              .where(_in_area(area), Form.xml_form_id.in_(VISIT_FORMS), Submission.case_id.is_not(None),
                     Submission.review_state != ReviewState.REJECTED,
                     Submission.visit_date >= period_to - timedelta(days=LOOKBACK_DAYS),
                     Submission.visit_date <= period_to)
              .group_by(Submission.case_id).subquery())
    # dates as ISO text, read with date.fromisoformat: the same on both databases and many times faster
    # than the ORM's per-value processing over hundreds of thousands of rows
    case_query = (select(Case.id, cast(Case.registered_on, String), cast(Case.status, String), Case.village_code,
                         Area.path, cast(latest.c.visited, String))
                  .join(Station, Station.code == Case.station_code).join(Area, Area.code == Station.code)
                  .outerjoin(latest, latest.c.case_id == Case.id).where(_in_area(area)))
    category_query = (select(CaseCategoryLink.case_id, cast(CaseCategoryLink.category, String))
                      .join(Case, Case.id == CaseCategoryLink.case_id)
                      .join(Station, Station.code == Case.station_code).join(Area, Area.code == Station.code)
                      .where(_in_area(area)))
    if area.level == AreaLevel.VILLAGE:
        case_query = case_query.where(Case.village_code == area.code)
        category_query = category_query.where(Case.village_code == area.code)
    categories: dict[str, tuple[str, ...]] = {}
    for case_id, category in db.session.execute(category_query):
        categories[case_id] = tuple(sorted((*categories.get(case_id, ()), category)))
    day = date.fromisoformat
    for case_id, registered_on, status, village_code, township_path, visited in db.session.execute(case_query):
        key = _child_key(township_path, village_code)
        whole.cases.append(CaseFact(case_id, categories.get(case_id, ()), day(registered_on),
                                    status == CaseStatus.OPEN.value, key))
        if visited is not None:
            whole.visits.append(VisitFact(case_id, day(visited), False))
        if key is not None:
            children.setdefault(key, AreaFacts())
    score_query = (select(Submission.satisfaction, Area.path, func.count())
                   .join(Form, Form.id == Submission.form_id).join(Area, Area.code == Submission.station_code)
                   .where(_in_area(area), Form.xml_form_id == FEEDBACK_FORM, Submission.satisfaction.is_not(None),
                          Submission.review_state != ReviewState.REJECTED,
                          Submission.visit_date >= period_from, Submission.visit_date <= period_to)
                   .group_by(Submission.satisfaction, Area.path))
    for score, township_path, count in db.session.execute(score_query):
        whole.scores.extend([int(score)] * int(count))
        target = part(_child_key(township_path, None)) if area.level != AreaLevel.TOWNSHIP else None
        if target is not None:
            target.scores.extend([int(score)] * int(count))
    if area.level != AreaLevel.VILLAGE:
        for code, path in db.session.execute(
                select(Area.code, Area.path).where(_in_area(area), Area.level == AreaLevel.TOWNSHIP)):
            whole.townships.append(code)
            target = part(_child_key(path, None)) if area.level != AreaLevel.TOWNSHIP else None
            if target is not None:
                target.townships.append(code)
        for station, path in db.session.execute(select(Station, Area.path).join(Area, Area.code == Station.code)
                                                .where(_in_area(area))):
            fact = StationFact(station.code, station.status == StationStatus.OPERATING, station.established_on)
            whole.stations.append(fact)
            target = part(_child_key(path, None)) if area.level != AreaLevel.TOWNSHIP else None
            if target is not None:
                target.stations.append(fact)
    return whole, children


def list_feedback_comments(area: Area, period_from: date, period_to: date, limit: int) -> list[tuple]:
    """Resident feedback with something written in it, newest first:
    (day, station code, score, text, channel, review state)."""
    query = (select(Submission.visit_date, Submission.station_code, Submission.satisfaction, SubmissionVersion.data,
                    Submission.review_state)
             .join(SubmissionVersion, (SubmissionVersion.submission_id == Submission.id) & SubmissionVersion.current)
             .join(Form, Form.id == Submission.form_id).join(Area, Area.code == Submission.station_code)
             .where(_in_area(area), Form.xml_form_id == FEEDBACK_FORM,
                    Submission.visit_date >= period_from, Submission.visit_date <= period_to)
             .order_by(Submission.visit_date.desc(), Submission.id.desc()))
    found: list[tuple] = []
    result = db.session.execute(query.execution_options(yield_per=500))
    try:
        for day, station_code, score, data, state in result:
            text = str((data or {}).get("improvement") or "").strip()
            if text:
                found.append((day, station_code, score, text, str((data or {}).get("channel") or ""),
                              state.value if hasattr(state, "value") else state))
                if len(found) >= limit:
                    break
    finally:
        result.close()
    return found
