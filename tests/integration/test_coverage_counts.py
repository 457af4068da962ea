"""Coverage counted by the database equals the pure rules, on random case loads and on both databases.

``coverage_counts`` (SQL: each case's interval, due and covered flags, grouped by child area and category)
must give exactly what ``coverage_by_group`` (the pure rules, one fact per case) gives, both ways it counts:
from the submissions (any day) and from the read model on the case rows (``queries/coverage_model.py``, for a
day no counting visit is dated after), the latter after random sequences of visits, reviews, edits, moves,
deletions, erasures, category, status and interval changes. The oracle's facts are read here with plain ORM
queries, independently of the code under test.
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
from server.queries import coverage_model
from server.queries.indicators import (
    coverage_counts,
    coverage_counts_from_case_rows,
    coverage_counts_from_submissions,
)

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
    coverage_model.rebuild()  # Core inserts pass no flush, as in a bulk load
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
        for as_of in (AS_OF, AS_OF - timedelta(days=30), AS_OF + timedelta(days=1), AS_OF + timedelta(days=11)):
            expected = _oracle(area, as_of, intervals)
            assert coverage_from_counts(coverage_counts(area, as_of, intervals)) == expected, (code, as_of)
            assert coverage_from_counts(coverage_counts_from_submissions(area, as_of, intervals)) == expected
        # from the day of the latest visit that counts on, the case rows answer
        latest = max(day for day, _ in _model_as_the_rules_see_it().values() if day)
        assert not coverage_model.future_visits_after(latest)
        assert coverage_model.future_visits_after(latest - timedelta(days=1))
        for as_of in (latest, latest + timedelta(days=30), latest + timedelta(days=190)):
            expected = _oracle(area, as_of, intervals)
            assert coverage_from_counts(coverage_counts_from_case_rows(area, as_of, intervals)) == expected
            assert coverage_from_counts(coverage_counts(area, as_of, intervals)) == expected


def test_the_oracle_sees_what_it_should(network):
    """The comparison above is not vacuous: the generated loads have due, covered and uncovered cases."""
    _load(1)
    overall, groups = _oracle(db.session.get(Area, "530100"), AS_OF,
                              {c.value: d for c, d in DEFAULT_VISIT_INTERVAL_DAYS.items()})
    assert overall.overall.denominator > 10 and 0 < overall.overall.numerator < overall.overall.denominator
    assert set(groups) == {"530102", "530103"} and len(overall.by_category) >= 4


def _model_as_the_rules_see_it() -> dict[str, tuple]:
    """Each case's latest counting visit and sorted categories, read from the submissions and links."""
    latest: dict[str, date] = {}
    for case_id, day in db.session.execute(
            select(Submission.case_id, Submission.visit_date).join(Form)
            .where(Form.xml_form_id.in_(VISIT_FORMS), Submission.review_state != "rejected",
                   Submission.case_id.is_not(None))):
        if day is not None and (case_id not in latest or day > latest[case_id]):
            latest[case_id] = day
    categories: dict[str, list[str]] = {}
    for case_id, category in db.session.execute(select(CaseCategoryLink.case_id, CaseCategoryLink.category)):
        categories.setdefault(case_id, []).append(category.value)
    return {case_id: (latest.get(case_id), ",".join(sorted(categories.get(case_id, []))))
            for case_id in db.session.scalars(select(Case.id))}


def _assert_model_follows(intervals: dict[str, int], today: date) -> None:
    db.session.expire_all()
    stored = {case_id: (day, key) for case_id, day, key in
              db.session.execute(select(Case.id, Case.counted_visit_on, Case.category_key))}
    assert stored == _model_as_the_rules_see_it()
    for code in AREAS:
        area = db.session.get(Area, code)
        expected = _oracle(area, today, intervals)
        assert coverage_from_counts(coverage_counts_from_case_rows(area, today, intervals)) == expected, code


@pytest.mark.parametrize("seed", [5, 6])
def test_the_case_rows_follow_every_change(network, make_user, seed):
    """Random sequences of writes through the ORM and the services, some rolled back; after each batch the
    read model equals the submissions and links it is kept from, and coverage from it equals the rules."""
    from server.media import media_storage
    from server.services import erasure, review
    from server.services.cases import set_visit_interval, visit_intervals

    _load(seed)  # a start written around the ORM, made consistent by rebuild
    rng = random.Random(seed)
    admin = make_user("admin1", "admin", "530100")
    storage = media_storage()
    forms = dict(db.session.execute(select(Form.xml_form_id, Form.id)).all())
    today = AS_OF + timedelta(days=10)  # every visit is dated on or before it
    made = 0
    for step in range(14):
        case_ids = list(db.session.scalars(select(Case.id)))
        for _ in range(rng.randrange(0, 8)):
            made += 1
            db.session.add(Submission(
                form_id=forms[rng.choice(list(forms))], instance_id=f"uuid:step-{seed}-{made}",
                station_code=rng.choice(list(VILLAGES)), case_id=rng.choice([*case_ids, None]),
                review_state=rng.choice(["received", "received", "rejected"]),
                visit_date=today - timedelta(days=rng.randrange(0, 400)), created_at=datetime.now(timezone.utc)))
        db.session.flush()
        existing = list(db.session.scalars(select(Submission)))
        for submission in rng.sample(existing, min(len(existing), rng.randrange(0, 6))):
            action = rng.choice(["approved", "rejected", "has_issues", "edit", "move", "form", "delete"])
            if action == "edit":  # an edit may change the day the visit happened
                submission.visit_date = today - timedelta(days=rng.randrange(0, 400))
            elif action == "move":
                submission.case_id = rng.choice([*case_ids, None])
            elif action == "form":
                submission.form_id = forms[rng.choice(list(forms))]
            elif action == "delete" and not submission.events:  # (the app deletes none; the model could)
                db.session.delete(submission)
            elif action == "delete":
                continue
            elif submission.form_id != forms["resident_feedback"]:  # feedback is excluded, never rejected
                review.set_review_state(submission, action, admin)
        for case in rng.sample(list(db.session.scalars(select(Case))), 3):
            action = rng.choice(["categories", "link", "unlink", "status", "erase"])
            held = {link.category.value for link in db.session.scalars(
                select(CaseCategoryLink).where(CaseCategoryLink.case_id == case.id))}
            if action == "link" and len(held) < len(CATEGORIES):  # a link written on its own, not via the case
                db.session.add(CaseCategoryLink(case_id=case.id,
                                                category=rng.choice(sorted(set(CATEGORIES) - held))))
            elif action == "unlink" and held:
                db.session.delete(db.session.get(CaseCategoryLink, (case.id, rng.choice(sorted(held)))))
            elif action == "categories":
                case.categories = [CaseCategoryLink(category=c)
                                   for c in rng.sample(CATEGORIES, rng.choice([0, 1, 2, 3]))]
            elif action == "status":
                case.status = "closed" if case.status.value == "open" else "open"
            elif action == "erase":
                erasure.erase_case(case.id, "本人申请", storage)
        if rng.random() < 0.2:
            set_visit_interval(rng.choice(CATEGORIES), rng.choice([7, 30, 45, 90, 365]))
        if rng.random() < 0.25:  # a request that fails: what it wrote to the model goes with it
            db.session.rollback()
        else:
            db.session.commit()
        if step % 3 == 2:
            _assert_model_follows(visit_intervals(), today)
    _assert_model_follows(visit_intervals(), today)


def test_the_model_sees_what_it_should(network):
    """The comparison above is not vacuous: cases have counted visits, rejected-only cases have none."""
    _load(5)
    model = _model_as_the_rules_see_it()
    assert sum(1 for day, _ in model.values() if day) > 10
    assert sum(1 for day, _ in model.values() if day is None) > 5
    assert sum(1 for _, key in model.values() if "," in key) > 3
    stored = dict(db.session.execute(select(Case.id, Case.counted_visit_on)).all())
    assert stored == {case_id: day for case_id, (day, _) in model.items()}


def test_a_recount_waits_for_a_visit_written_meanwhile(network, make_user):
    """Two transactions at once (PostgreSQL's row locks; SQLite has one writer at a time): one stores a newer visit
    of a case, the other rejects an older one and recounts the case. Whatever the interleaving, the case ends with
    the newer visit as its latest — the recount locks the case row before it looks."""
    import threading

    from sqlalchemy.orm import Session

    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite serialises writers: the two cannot interleave")
    _load(7)
    case_id = db.session.scalar(select(Case.id).where(Case.status == "open").limit(1))
    visit_form = db.session.scalar(select(Form.id).where(Form.xml_form_id == VISIT_FORMS[0]))
    old = Submission(form_id=visit_form, instance_id="uuid:old", station_code="530102001", case_id=case_id,
                     review_state="received", visit_date=AS_OF - timedelta(days=100),
                     created_at=datetime.now(timezone.utc))
    db.session.add(old)
    db.session.commit()
    old_id = old.id
    db.session.remove()
    newest = AS_OF + timedelta(days=50)  # after every visit of the load
    with Session(db.engine) as first, Session(db.engine) as second:
        first.add(Submission(form_id=visit_form, instance_id="uuid:new", station_code="530102001", case_id=case_id,
                             review_state="received", visit_date=newest, created_at=datetime.now(timezone.utc)))
        first.flush()  # the new visit and its case's raise, not committed yet
        done = threading.Event()

        def reject() -> None:
            second.get(Submission, old_id).review_state = "rejected"
            second.flush()  # recounts the case: waits for the first transaction's lock on the case row
            second.commit()
            done.set()

        thread = threading.Thread(target=reject)
        thread.start()
        assert not done.wait(1.0)  # held back by the row lock
        first.commit()
        thread.join(30)
        assert done.is_set()
    assert db.session.scalar(select(Case.counted_visit_on).where(Case.id == case_id)) == newest
    assert _model_as_the_rules_see_it()[case_id][0] == newest


def test_the_migration_builds_the_model_of_a_database_already_in_use(network):
    """Migration e6a0c3f7b9d2 fills ``counted_visit_on`` and ``category_key`` from what is stored, on both databases."""
    from flask_migrate import downgrade, upgrade

    _load(8)
    expected = _model_as_the_rules_see_it()
    assert sum(1 for day, key in expected.values() if day and key) > 10
    db.session.remove()
    downgrade(revision="d5f9b2e4a6c1")
    upgrade()
    db.session.remove()
    stored = {case_id: (day, key) for case_id, day, key in
              db.session.execute(select(Case.id, Case.counted_visit_on, Case.category_key))}
    assert stored == expected
