"""Authenticity flags raised once visits are applied (docs/authenticity.md), through Collect-like submissions of the
real home-visit form with real JPEGs: too short, at night, no position, a photo sent with two visits (both flagged,
the earlier one when the later arrives), a resized copy of a photo (the thumbnail job), far from the village's
reference point, impossible travel, a village filled in at one spot — and genuine visits flagged for nothing."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import select

from server.adapters.geodesy import destination
from server.adapters.images import demo_photo, resized_copy
from server.extensions import db
from server.models import Submission, VisitFlag
from server.services.forms import publish_form
from server.services.submissions import apply_pending_visits
from tests.support.instances import fill_instance
from tests.support.web import sign_in

ROOT = Path(__file__).parents[2]
CHINA = timezone(timedelta(hours=8))


@pytest.fixture
def xform(app, collect, make_user):
    publish_form((ROOT / "forms" / "home_visit.xlsx").read_bytes(), "home_visit.xlsx")
    make_user("wuhua", "county", "530102", "Wuhua-pass-1")
    db.session.commit()
    return collect.get("/forms/home_visit.xml").data


def jpeg(seed: int) -> bytes:
    """A photo of its own (a house drawn from the seed: different seeds are far apart in perceptual hash)."""
    return demo_photo(seed % 8, seed)


HOME = (25.0406, 102.7123)


def at(point: tuple[float, float], accuracy: float = 8) -> str:
    return f"{point[0]:.7f} {point[1]:.7f} 1890 {accuracy}"


def visit(xform: bytes, started: datetime, minutes: float, location: str | None = "25.0406 102.7123 1890 8") -> bytes:
    values = {"start": started.isoformat(timespec="milliseconds"),
              "end": (started + timedelta(minutes=minutes)).isoformat(timespec="milliseconds"),
              "today": started.date().isoformat(), "case_mode": "new", "visit_date": started.date().isoformat(),
              "registration/reg_name": "王桂英", "registration/reg_gender": "female",
              "registration/reg_birth_date": "1948-05-02", "registration/reg_category": "destitute",
              "registration/reg_village": "530102001001", "risk_level": "low", "photos/photo_home": "home.jpg"}
    if location:
        values["location"] = location
    return fill_instance(xform, values, drop=("case",),
                         entity={"id": str(uuid.uuid4()), "create": "1", "update": "0", "label": "王桂英 · 团结社区"})


def flags_of(xml: bytes) -> list[str]:
    instance = xml.split(b"<instanceID>")[1].split(b"</instanceID>")[0].decode()
    db.session.expire_all()
    return db.session.scalars(select(Submission).where(Submission.instance_id == instance)).one().flags or []


def test_visits_are_flagged_for_what_their_record_shows_and_a_genuine_one_for_nothing(collect, xform):
    morning = datetime.now(CHINA).replace(hour=10, minute=0, second=0, microsecond=0) - timedelta(days=1)
    genuine = visit(xform, morning, 25)
    hurried = visit(xform, morning.replace(hour=23), 2)  # two minutes, at 23:00
    no_position = visit(xform, morning.replace(hour=14), 20, location=None)
    vague = visit(xform, morning.replace(hour=15), 20, location="25.0406 102.7123 1890 350")
    for n, xml in enumerate((genuine, hurried, no_position, vague)):
        assert collect.submit(xml, [("home.jpg", jpeg(10 + n * 40))]).status_code == 201
    apply_pending_visits()  # (the tests' job queue has already applied them, after each 201)
    assert flags_of(genuine) == []
    assert flags_of(hurried) == ["odd_hours", "too_short"]
    assert flags_of(no_position) == ["no_gps"]
    assert flags_of(vague) == ["poor_gps"]


def test_a_photo_sent_with_two_visits_flags_both_and_the_list_filters_them(client, collect, xform):
    morning = datetime.now(CHINA).replace(hour=9, minute=0, second=0, microsecond=0) - timedelta(days=2)
    first, second = visit(xform, morning, 20), visit(xform, morning + timedelta(hours=2), 20)
    same = jpeg(77)
    assert collect.submit(first, [("home.jpg", same)]).status_code == 201
    apply_pending_visits()
    assert flags_of(first) == []
    assert collect.submit(second, [("home.jpg", same)]).status_code == 201
    apply_pending_visits()
    assert flags_of(first) == ["photo_reused"] and flags_of(second) == ["photo_reused"]
    sign_in(client, "wuhua", "Wuhua-pass-1")
    listed = client.get("/submissions?flag=photo_reused").get_data(as_text=True)
    assert listed.count('data-flag="photo_reused"') == 2 and "照片与另一次走访相同" in listed
    # Each visit's page links the other one.
    instance = {xml: xml.split(b"<instanceID>")[1].split(b"</instanceID>")[0].decode() for xml in (first, second)}
    page = client.get(f"/submissions/{instance[second]}").get_data(as_text=True)
    assert 'id="same-photo"' in page and f"/submissions/{instance[first]}" in page


def instance_of(xml: bytes) -> str:
    return xml.split(b"<instanceID>")[1].split(b"</instanceID>")[0].decode()


def detail(xml: bytes, code: str) -> dict:
    submission = db.session.scalars(select(Submission).where(Submission.instance_id == instance_of(xml))).one()
    return db.session.get(VisitFlag, (submission.id, code)).detail


def days_ago(days: int, hour: int = 9) -> datetime:
    return datetime.now(CHINA).replace(hour=hour, minute=0, second=0, microsecond=0) - timedelta(days=days)


def village_visits(collect, xform, count: int = 5) -> None:
    """Genuine visits to people of one village (团结社区), on different days, around its centre."""
    for n in range(count):
        xml = visit(xform, days_ago(20 + n), 25, at(destination(HOME, 40 * n, 90 * n)))
        assert collect.submit(xml, [("home.jpg", jpeg(200 + n))]).status_code == 201


def test_a_resized_copy_of_a_photo_flags_both_visits_and_another_photo_of_the_same_house_does_not(collect, xform):
    original = jpeg(300)
    first = visit(xform, days_ago(5), 20)
    copy = visit(xform, days_ago(4), 20)
    other = visit(xform, days_ago(3), 20)
    assert collect.submit(first, [("home.jpg", original)]).status_code == 201
    assert collect.submit(copy, [("home.jpg", resized_copy(original))]).status_code == 201  # other bytes, same picture
    assert collect.submit(other, [("home.jpg", jpeg(301))]).status_code == 201  # the same house, drawn again
    # (the tests' job queue has run the thumbnail job after each upload: it hashes the photo)
    assert flags_of(first) == ["photo_near_copy"] and flags_of(copy) == ["photo_near_copy"]
    assert flags_of(other) == []
    assert detail(copy, "photo_near_copy")["with"] == [instance_of(first)]
    assert detail(copy, "photo_near_copy")["bits"] <= 4


def test_photos_stored_before_hashes_were_kept_are_hashed_and_compared_by_a_one_off_command(collect, xform, runner,
                                                                                             monkeypatch):
    from server.models import Blob
    from server.services import media

    original = jpeg(310)
    first, copy, other = (visit(xform, days_ago(days), 20) for days in (6, 5, 4))
    with monkeypatch.context() as before_hashes:  # as a release before the near-copy check stored them
        before_hashes.setattr(media, "_hash_photo", lambda blob, storage: None)
        for xml, photo in ((first, original), (copy, resized_copy(original)), (other, jpeg(311))):
            assert collect.submit(xml, [("home.jpg", photo)]).status_code == 201
    db.session.expire_all()
    assert [(b.image_check, b.phash) for b in db.session.scalars(select(Blob))] == [("ok", None)] * 3
    assert flags_of(first) == [] and flags_of(copy) == []

    result = runner.invoke(args=["hash-photos"])
    assert result.exit_code == 0 and "hashed 3 photo(s)" in result.output, result.output
    assert flags_of(first) == ["photo_near_copy"] and flags_of(copy) == ["photo_near_copy"] and flags_of(other) == []
    assert detail(copy, "photo_near_copy")["with"] == [instance_of(first)]
    assert all(b.phash for b in db.session.scalars(select(Blob)))
    again = runner.invoke(args=["hash-photos"])  # nothing left: a second run hashes none and flags nothing twice
    assert again.exit_code == 0 and "hashed 0 photo(s)" in again.output
    assert flags_of(first) == ["photo_near_copy"]


def test_a_visit_far_from_its_village_is_flagged_once_the_village_has_five_visits(collect, xform):
    early = visit(xform, days_ago(30), 25, at(destination(HOME, 3_000, 0)))  # 3 km away, but nothing to compare
    assert collect.submit(early, [("home.jpg", jpeg(400))]).status_code == 201
    assert flags_of(early) == []
    village_visits(collect, xform)
    near = visit(xform, days_ago(2), 25, at(destination(HOME, 900, 45)))
    far = visit(xform, days_ago(1), 25, at(destination(HOME, 1_200, 45)))
    for n, xml in enumerate((near, far)):
        assert collect.submit(xml, [("home.jpg", jpeg(410 + n))]).status_code == 201
    assert flags_of(near) == [] and flags_of(far) == ["far_from_home"]
    found = detail(far, "far_from_home")
    assert found["reference"] == "village" and found["visits"] >= 5 and 1_000 < found["metres"] < 1_300


def test_two_visits_too_far_apart_for_the_time_between_flag_each_other(collect, xform):
    morning = days_ago(6, hour=10)
    here = visit(xform, morning, 20)
    there = visit(xform, morning + timedelta(minutes=30), 20, at(destination(HOME, 20_000, 90)))  # 20 km in 10 min
    later = visit(xform, morning + timedelta(hours=3), 20, at(destination(HOME, 20_000, 90)))  # there, hours later
    for n, xml in enumerate((here, there, later)):
        assert collect.submit(xml, [("home.jpg", jpeg(500 + n))]).status_code == 201
    assert flags_of(here) == ["impossible_travel"] and flags_of(there) == ["impossible_travel"]
    assert flags_of(later) == []
    assert detail(here, "impossible_travel")["with"] == [instance_of(there)]
    assert detail(here, "impossible_travel")["kmh"] == 120


def test_four_peoples_visits_at_one_spot_far_from_their_homes_are_flagged_the_earlier_ones_too(collect, xform):
    village_visits(collect, xform)
    office = destination(HOME, 4_000, 180)
    afternoon = days_ago(8, hour=14)
    desk = [visit(xform, afternoon + timedelta(minutes=15 * n), 10, at(destination(office, 5 * n, 90)))
            for n in range(4)]
    for n, xml in enumerate(desk[:3]):
        assert collect.submit(xml, [("home.jpg", jpeg(600 + n))]).status_code == 201
    assert all("one_spot" not in flags_of(xml) for xml in desk[:3])  # three people are not yet a village
    assert collect.submit(desk[3], [("home.jpg", jpeg(603))]).status_code == 201
    assert all(flags_of(xml) == ["far_from_home", "one_spot"] for xml in desk)
    assert detail(desk[0], "one_spot")["people"] == 4
