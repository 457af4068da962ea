"""Indicators end to end: visits through OpenRosa, feedback through a plaque, numbers from the API."""
from datetime import timedelta
from pathlib import Path

import pytest

from server.domain.clock import today_in_china
from server.extensions import db
from server.models import Station
from server.services.feedback import issue_station_link
from server.services.forms import publish_form
from tests.integration.test_cases_from_visits import field_forms, follow_up, phone, register  # noqa: F401
from tests.integration.test_feedback import send

TODAY = today_in_china()
FORMS = Path(__file__).parents[2] / "forms"


@pytest.fixture
def scenario(phone, client):
    a, b = phone("worker_a", "530102001"), phone("worker_b", "530103001")
    covered, _ = register(a, name="甲", category="destitute", visit_date=TODAY - timedelta(days=60))
    assert follow_up(a, covered, visit_date=TODAY - timedelta(days=10)).status_code == 201
    register(a, name="乙", category="destitute", visit_date=TODAY - timedelta(days=60))
    register(a, name="丙", category="destitute", visit_date=TODAY - timedelta(days=5))      # not due yet
    register(b, name="丁", category="left_behind_child", village="530103001001", visit_date=TODAY - timedelta(days=100))
    publish_form((FORMS / "resident_feedback.xlsx").read_bytes(), "resident_feedback.xlsx")
    link = issue_station_link(db.session.get(Station, "530102001"))
    db.session.commit()
    for score in ("5", "4", "2"):
        assert send(client, link.token, satisfaction=score).status_code == 201
    return covered


@pytest.fixture
def api(client, make_user):
    def as_user(username, role, scope):
        make_user(username, role, scope, "Secret-pass-1")
        token = client.post("/api/v1/sessions", json={"username": username, "password": "Secret-pass-1"}).json
        return {"Authorization": f"Bearer {token['token']}"}

    return as_user


def indicators(client, headers, area, **period):
    query = "&".join([f"area={area}"] + [f"{k}={v}" for k, v in period.items()])
    response = client.get(f"/api/v1/indicators?{query}", headers=headers)
    assert response.status_code == 200, response.json
    return response.json


def test_numbers_at_station_county_and_city(client, api, scenario):
    headers = api("city", "admin", "530100")
    city = indicators(client, headers, "530100")
    assert (city["coverage"]["numerator"], city["coverage"]["denominator"]) == (1, 3)
    assert city["coverage"]["status"] == "not_met" and city["coverage"]["target"] == 0.9
    assert city["coverage"]["by_category"]["left_behind_child"] == {"numerator": 0, "denominator": 1, "rate": 0.0}
    assert (city["satisfaction"]["satisfied"], city["satisfaction"]["responses"]) == (2, 3)
    assert city["satisfaction"]["status"] == "insufficient"
    assert 0 < city["satisfaction"]["ci_low"] < city["satisfaction"]["rate"] < city["satisfaction"]["ci_high"] < 1
    assert city["station_coverage"] == {"stations": 2, "townships": 3, "rate": 2 / 3, "target": 1.0}
    counties = {c["area"]["code"]: c for c in city["children"]}
    assert counties["530102"]["coverage"]["numerator"] == 1 and counties["530102"]["coverage"]["denominator"] == 2
    assert counties["530103"]["coverage"]["denominator"] == 1 and counties["530103"]["satisfaction"]["responses"] == 0
    station = indicators(client, headers, "530102001")
    assert (station["coverage"]["numerator"], station["coverage"]["denominator"]) == (1, 2)
    assert station["satisfaction"]["responses"] == 3


def test_a_rejected_visit_stops_counting(client, api, scenario, make_user):
    from sqlalchemy import select

    from server.models import ReviewState, Submission

    latest = db.session.scalars(select(Submission).where(Submission.case_id == scenario)
                                .order_by(Submission.visit_date.desc())).first()
    latest.review_state = ReviewState.REJECTED
    db.session.commit()
    station = indicators(client, api("city", "admin", "530100"), "530102001")
    assert station["coverage"]["numerator"] == 0


def test_feedback_outside_the_period_is_not_counted(client, api, scenario):
    headers = api("city", "admin", "530100")
    old = (TODAY - timedelta(days=90)).isoformat()
    older = (TODAY - timedelta(days=60)).isoformat()
    assert indicators(client, headers, "530100", **{"from": old, "to": older})["satisfaction"]["responses"] == 0


def test_a_county_user_cannot_ask_for_another_county(client, api, scenario):
    headers = api("wuhua", "county", "530102")
    assert client.get("/api/v1/indicators?area=530103", headers=headers).status_code == 404
    assert client.get("/api/v1/indicators?area=530100", headers=headers).status_code == 404
    own = indicators(client, headers, "530102")
    assert own["area"]["name"] == "五华区" and [c["area"]["code"] for c in own["children"]] == ["530102001",
                                                                                             "530102002"]
    assert client.get("/api/v1/indicators", headers=headers).json["area"]["code"] == "530102"
