"""Coverage counted by the database equals the pure rules, on random case loads and on both databases.

``coverage_counts`` (SQL: each case's interval, due and covered flags, grouped by child area and category)
must give exactly what ``coverage_by_group`` (the pure rules, one fact per case) gives. The oracle's facts are
read here with plain ORM queries, independently of the code under test.
"""
from __future__ import annotations

import random
import uuid
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import insert, select

from server.domain.cases import DEFAULT_VISIT_INTERVAL_DAYS, VISIT_FORMS, CaseCategory
from server.domain.indicators import CaseFact, VisitFact, coverage_by_group, coverage_from_counts
from server.domain.places import AreaLevel
from server.extensions import db
from server.models import Area, Case, CaseCategoryLink, Form, Submission
from server.queries.indicators import coverage_counts

AS_OF = date(2026, 11, 15)
CATEGORIES = [c.value for c in CaseCategory]
VILLAGES = {"530102001": ["530102001001", None], "530103001": ["530103001001", None]}
AREAS = ("530100", "530102", "530103", "530102001", "530103001", "530102001001", "530102002")


def _load(seed: int) -> None:
    rng = random.Random(seed)
    forms = {}
    for name in (*VISIT_FORMS[:2], "resident_feedback"):
        db.session.execute(insert(Form.__table__), [{"xml_form_id": name, "state": "open",
                                                     "created_at": datetime.now(timezone.utc)}])
        forms[name] = db.session.scalar(select(Form.id).where(Form.xml_form_id == name))
    cases, links, visits = [], [], []
    for n in range(rng.randint(40, 120)):
        station = rng.choice(list(VILLAGES))
        case_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        cases.append({"id": case_id, "label": f"对象{n}", "station_code": station,
                      "village_code": rng.choice(VILLAGES[station]),
                      "status": "open" if rng.random() < 0.85 else "closed", "properties": {}, "version": 1,
                      "conflict": False, "redo": False,
                      "registered_on": AS_OF - timedelta(days=rng.choice([0, 1, 29, 30, 31, 89, 90, 91, 179, 180,
                                                                           181, rng.randint(0, 800)])),
                      "created_at": datetime.now(timezone.utc), "updated_at": datetime.now(timezone.utc)})
        for category in rng.sample(CATEGORIES, rng.choice([0, 1, 1, 1, 2, 3])):
            links.append({"case_id": case_id, "category": category})
        for _ in range(rng.choice([0, 0, 1, 2, 4])):
            day = AS_OF - timedelta(days=rng.choice([-3, 0, 1, 29, 30, 31, 60, 89, 90, 91, 180, 181,
                                                     rng.randint(-10, 800)]))
            visits.append({"form_id": forms[rng.choice([*VISIT_FORMS[:2], "resident_feedback"])],
                           "instance_id": f"uuid:{uuid.UUID(int=rng.getrandbits(128), version=4)}",
                           "station_code": station, "case_id": case_id,
                           "review_state": rng.choice(["received", "approved", "rejected", "has_issues"]),
                           "visit_date": day, "created_at": datetime.now(timezone.utc)})
    db.session.execute(insert(Case.__table__), cases)
    if links:
        db.session.execute(insert(CaseCategoryLink.__table__), links)
    if visits:
        db.session.execute(insert(Submission.__table__), visits)
    db.session.commit()


def _oracle(area: Area, as_of: date, intervals: dict[str, int]):
    """The pure rules over facts read one case at a time."""
    township_of = {a.code: a for a in db.session.scalars(select(Area))}
    facts, visit_facts = [], []
    for case in db.session.scalars(select(Case)):
        station_area = township_of[case.station_code]
        if area.level == AreaLevel.VILLAGE:
            inside = case.village_code == area.code
        else:
            inside = station_area.path.startswith(area.path)
        if not inside:
            continue
        if area.level == AreaLevel.CITY:
            group = station_area.path[len(area.path):].split("/", 1)[0]
        elif area.level == AreaLevel.COUNTY:
            group = case.station_code
        elif area.level == AreaLevel.TOWNSHIP:
            group = case.village_code
        else:
            group = None
        categories = tuple(sorted(link.category.value for link in db.session.scalars(
            select(CaseCategoryLink).where(CaseCategoryLink.case_id == case.id))))
        facts.append(CaseFact(case.id, categories, case.registered_on, case.status.value == "open", group))
    for submission in db.session.scalars(select(Submission).join(Form).where(Form.xml_form_id.in_(VISIT_FORMS))):
        visit_facts.append(VisitFact(submission.case_id, submission.visit_date,
                                     submission.review_state.value == "rejected"))
    return coverage_by_group(facts, visit_facts, as_of, intervals)


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_database_counts_equal_the_pure_rules(network, seed):
    _load(seed)
    rng = random.Random(seed)
    intervals = {c.value: d for c, d in DEFAULT_VISIT_INTERVAL_DAYS.items()}
    if seed % 2:
        intervals.update({c: rng.choice([7, 30, 45, 90, 365]) for c in rng.sample(CATEGORIES, 3)})
    for code in AREAS:
        area = db.session.get(Area, code)
        for as_of in (AS_OF, AS_OF - timedelta(days=30), AS_OF + timedelta(days=1)):
            expected = _oracle(area, as_of, intervals)
            assert coverage_from_counts(coverage_counts(area, as_of, intervals)) == expected, (code, as_of)


def test_the_oracle_sees_what_it_should(network):
    """The comparison above is not vacuous: the generated loads have due, covered and uncovered cases."""
    _load(1)
    overall, groups = _oracle(db.session.get(Area, "530100"), AS_OF,
                              {c.value: d for c, d in DEFAULT_VISIT_INTERVAL_DAYS.items()})
    assert overall.overall.denominator > 10 and 0 < overall.overall.numerator < overall.overall.denominator
    assert set(groups) == {"530102", "530103"} and len(overall.by_category) >= 4
