"""Gathering the facts the indicators count, for one area (its whole subtree)."""
from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from server.domain.cases import VISIT_FORMS, CaseStatus
from server.domain.indicators import AreaFacts, CaseFact, StationFact, VisitFact
from server.domain.places import AreaLevel
from server.domain.stations import StationStatus
from server.extensions import db
from server.models import Area, Case, CaseCategoryLink, Form, ReviewState, Station, Submission

FEEDBACK_FORM = "resident_feedback"
LOOKBACK_DAYS = 730  # no visit interval is longer than this


def _in_area(area: Area):
    """Stations' townships under the area (a village narrows it to that village's cases below)."""
    township_path = area.path if area.level != AreaLevel.VILLAGE else area.path.rsplit("/", 2)[0] + "/"
    return Area.path.startswith(township_path, autoescape=True)


def area_facts(area: Area, period_from: date, period_to: date) -> AreaFacts:
    facts = AreaFacts()
    case_query = (select(Case.id, Case.registered_on, Case.status)
                  .join(Station, Station.code == Case.station_code).join(Area, Area.code == Station.code)
                  .where(_in_area(area)))
    if area.level == AreaLevel.VILLAGE:
        case_query = case_query.where(Case.village_code == area.code)
    rows = db.session.execute(case_query).all()
    categories: dict[str, list[str]] = {}
    ids = [row.id for row in rows]
    for start in range(0, len(ids), 1000):
        chunk = ids[start:start + 1000]
        for case_id, category in db.session.execute(
                select(CaseCategoryLink.case_id, CaseCategoryLink.category).where(CaseCategoryLink.case_id.in_(chunk))):
            categories.setdefault(case_id, []).append(category.value if hasattr(category, "value") else category)
    facts.cases = [CaseFact(r.id, tuple(sorted(categories.get(r.id, []))), r.registered_on,
                            r.status == CaseStatus.OPEN) for r in rows]
    visit_query = (select(Submission.case_id, Submission.visit_date, Submission.review_state)
                   .join(Form, Form.id == Submission.form_id).join(Case, Case.id == Submission.case_id)
                   .join(Area, Area.code == Submission.station_code)
                   .where(_in_area(area), Form.xml_form_id.in_(VISIT_FORMS),
                          Submission.visit_date >= period_to - timedelta(days=LOOKBACK_DAYS),
                          Submission.visit_date <= period_to))
    if area.level == AreaLevel.VILLAGE:
        visit_query = visit_query.where(Case.village_code == area.code)
    facts.visits = [VisitFact(r.case_id, r.visit_date, r.review_state == ReviewState.REJECTED)
                    for r in db.session.execute(visit_query)]
    score_query = (select(Submission.satisfaction).join(Form, Form.id == Submission.form_id)
                   .join(Area, Area.code == Submission.station_code)
                   .where(_in_area(area), Form.xml_form_id == FEEDBACK_FORM, Submission.satisfaction.is_not(None),
                          Submission.review_state != ReviewState.REJECTED,
                          Submission.visit_date >= period_from, Submission.visit_date <= period_to))
    facts.scores = list(db.session.scalars(score_query))
    if area.level != AreaLevel.VILLAGE:
        facts.townships = list(db.session.scalars(
            select(Area.code).where(_in_area(area), Area.level == AreaLevel.TOWNSHIP)))
        facts.stations = [StationFact(s.code, s.status == StationStatus.OPERATING, s.established_on)
                          for s in db.session.scalars(select(Station).join(Area, Area.code == Station.code)
                                                      .where(_in_area(area)))]
    return facts
