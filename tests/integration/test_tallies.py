"""The list's per-state tallies (``queries/tallies.py``) equal a direct count of the submissions after any
sequence of writes — new submissions, review changes through the review service, edits, deletions, rolled-back
transactions — under every filter they answer, on both databases (the count over the rows is the oracle)."""
from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta, timezone

import pytest
from sqlalchemy import func, select

from server.domain.access import Role, Scope
from server.domain.clock import CHINA, day_start_utc
from server.extensions import db
from server.models import Form, ReviewState, Submission, SubmissionTally
from server.queries import submissions as queries
from server.queries import tallies
from server.queries.submissions import SubmissionFilters
from server.services import review
from server.services.forms import publish_form
from tests.support.visit_form import visit_xlsform
from tests.support.xlsforms import simple_form

STATIONS = ("530102001", "530103001")
RISKS = (None, "low", "medium", "high")
FIRST_DAY = date(2026, 10, 28)  # arrivals over 5 days either side of a month's end


@pytest.fixture
def forms(network):
    publish_form(visit_xlsform(), "visit.xlsx")
    publish_form(simple_form(), "simple.xlsx")
    db.session.commit()
    return list(db.session.scalars(select(Form).order_by(Form.id)))


def _arrival(rng: random.Random) -> datetime:
    """Instants around China's midnight (16:00 UTC) on a few days, where a wrong day would show."""
    day = FIRST_DAY + timedelta(days=rng.choice([0, 3, 4, 5, 9, 35]))
    minute = rng.choice([0, 1, 59, 60 * 8 - 1, 60 * 8, 60 * 15 + 59, 60 * 16, 60 * 16 + 1, 60 * 23 + 59])
    return datetime.combine(day, time.min, tzinfo=timezone.utc) + timedelta(minutes=minute)


def _filters(rng: random.Random, forms: list[Form]) -> SubmissionFilters:
    start = FIRST_DAY + timedelta(days=rng.randrange(-40, 7))
    return SubmissionFilters(
        xml_form_id=rng.choice([None, *(f.xml_form_id for f in forms)]),
        station=rng.choice([None, *STATIONS]),
        area_path=rng.choice([None, "/530100/530102/"]),
        risk_level=rng.choice([None, "low", "high"]),
        received_from=rng.choice([None, day_start_utc(start)]),
        received_before=rng.choice([None, day_start_utc(start + timedelta(days=rng.randrange(1, 50)))]))


def _assert_tallies_match(rng: random.Random, forms: list[Form]) -> None:
    city = Scope(role=Role.ADMIN, area_code="530100", area_path="/530100/")
    for _ in range(25):
        filters = _filters(rng, forms)
        assert tallies.covers(filters)
        assert tallies.counts(city, filters) == queries.count_rows_by_review_state(city, filters), filters


@pytest.mark.parametrize("seed", [1, 2])
def test_tallies_equal_a_direct_count_after_random_writes(forms, make_user, seed):
    rng = random.Random(seed)
    admin = make_user("admin1", "admin", "530100")
    made = 0
    for step in range(12):
        for _ in range(rng.randrange(1, 12)):  # new submissions
            made += 1
            db.session.add(Submission(form_id=rng.choice(forms).id, instance_id=f"uuid:{seed}-{made}",
                                      station_code=rng.choice(STATIONS), risk_level=rng.choice(RISKS),
                                      review_state=ReviewState.RECEIVED, created_at=_arrival(rng)))
        db.session.flush()
        existing = list(db.session.scalars(select(Submission)))
        for submission in rng.sample(existing, min(len(existing), rng.randrange(0, 6))):
            action = rng.choice(["approved", "has_issues", "rejected", "edited", "risk", "delete"])
            if action == "edited":  # an edit through Collect marks it edited (services/submissions.py)
                submission.review_state = ReviewState.EDITED
            elif action == "risk":
                submission.risk_level = rng.choice(RISKS)
            elif action == "delete" and not submission.events:  # (the app deletes none; the tallies could)
                db.session.delete(submission)
            elif action == "delete":
                continue
            else:
                review.set_review_state(submission, action, admin)
        if rng.random() < 0.25:  # a request that fails: nothing it wrote, tallies included, remains
            db.session.rollback()
        else:
            db.session.commit()
        if step % 3 == 2:
            _assert_tallies_match(rng, forms)
    _assert_tallies_match(rng, forms)
    stored = db.session.scalar(select(func.count()).select_from(Submission))
    for span in ("day", "month"):
        assert db.session.scalar(select(func.sum(SubmissionTally.count)).where(SubmissionTally.span == span)) == stored


def test_a_day_is_the_china_day_of_arrival(forms):
    """15:59 UTC is 23:59 in Kunming, 16:00 UTC is the next day's 00:00."""
    for minute, instance in ((15 * 60 + 59, "late"), (16 * 60, "midnight")):
        db.session.add(Submission(form_id=forms[0].id, instance_id=f"uuid:{instance}", station_code=STATIONS[0],
                                  review_state=ReviewState.RECEIVED,
                                  created_at=datetime(2026, 11, 1, tzinfo=timezone.utc) + timedelta(minutes=minute)))
    db.session.commit()
    rows = db.session.execute(select(SubmissionTally.span, SubmissionTally.day, SubmissionTally.count)).all()
    assert sorted(rows) == [("day", date(2026, 11, 1), 1), ("day", date(2026, 11, 2), 1),
                            ("month", date(2026, 11, 1), 2)]


def test_filters_the_tallies_cannot_see_are_counted(forms):
    city = Scope(role=Role.ADMIN, area_code="530100", area_path="/530100/")
    assert not tallies.covers(SubmissionFilters(case_id="C-1"))
    assert not tallies.covers(SubmissionFilters(submitter_id=3))
    assert not tallies.covers(SubmissionFilters(flag="clock_skew"))
    noon = datetime.combine(FIRST_DAY, time(12), tzinfo=CHINA)
    assert not tallies.covers(SubmissionFilters(received_from=noon))  # not a day's start: counted
    db.session.add(Submission(form_id=forms[0].id, instance_id="uuid:x", station_code=STATIONS[0],
                              review_state=ReviewState.RECEIVED, flags=["clock_skew"],
                              created_at=datetime(2026, 11, 1, tzinfo=timezone.utc)))
    db.session.commit()
    assert queries.count_by_review_state(city, SubmissionFilters(flag="clock_skew")) == {"received": 1}
    assert queries.count_by_review_state(city, SubmissionFilters(flag="long_text")) == {}


def test_rebuild_counts_submissions_written_around_the_orm(forms):
    """Bulk loads (the benchmarks' data) insert with Core, which no flush sees; ``rebuild`` counts them."""
    db.session.execute(Submission.__table__.insert(), [
        {"form_id": forms[0].id, "instance_id": f"uuid:bulk-{n}", "station_code": STATIONS[n % 2],
         "review_state": "received", "risk_level": None,
         "created_at": datetime(2026, 11, 1, 15, 59, tzinfo=timezone.utc) + timedelta(minutes=n)} for n in range(4)])
    city = Scope(role=Role.ADMIN, area_code="530100", area_path="/530100/")
    assert tallies.counts(city, SubmissionFilters()) == {}
    tallies.rebuild()
    db.session.commit()
    assert tallies.counts(city, SubmissionFilters()) == {"received": 4}
    assert tallies.counts(city, SubmissionFilters(received_from=day_start_utc(date(2026, 11, 2)))) == {"received": 3}


def test_the_migration_counts_the_submissions_already_stored(forms):
    """Migration c4e8a1d3f5b7 creates the tallies of a database that has submissions, on each database's clock."""
    from flask_migrate import downgrade, upgrade

    rng = random.Random(3)
    for n in range(30):
        db.session.add(Submission(form_id=rng.choice(forms).id, instance_id=f"uuid:old-{n}",
                                  station_code=rng.choice(STATIONS), risk_level=rng.choice(RISKS),
                                  review_state=rng.choice(list(ReviewState)), created_at=_arrival(rng)))
    db.session.commit()
    kept = set(db.session.execute(select(SubmissionTally.station_code, SubmissionTally.form_id, SubmissionTally.span,
                                         SubmissionTally.day,
                                         SubmissionTally.review_state, SubmissionTally.risk_level,
                                         SubmissionTally.count)).all())
    db.session.remove()
    downgrade(revision="b3d9e1f2a6c8")
    upgrade()
    db.session.remove()
    counted = set(db.session.execute(select(SubmissionTally.station_code, SubmissionTally.form_id,
                                            SubmissionTally.span, SubmissionTally.day, SubmissionTally.review_state,
                                            SubmissionTally.risk_level, SubmissionTally.count)).all())
    assert counted == kept and sum(row.count for row in counted if row.span == "day") == 30
