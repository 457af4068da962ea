"""Authenticity flags raised once visits are applied (docs/authenticity.md), through Collect-like submissions of the
real home-visit form with real JPEGs: too short, at night, no position, a photo sent with two visits (both flagged,
the earlier one when the later arrives) — and a genuine visit flagged for nothing."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone
from io import BytesIO
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import select

from server.extensions import db
from server.models import Submission
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


def jpeg(shade: int) -> bytes:
    out = BytesIO()
    Image.new("RGB", (64, 48), (shade, 120, 200 - shade)).save(out, "JPEG")
    return out.getvalue()


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
