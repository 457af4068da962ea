"""Residents' feedback through a plaque link: a genuine resident_feedback submission tied to the station."""
from pathlib import Path

import pytest
from sqlalchemy import func, select

from server.extensions import db
from server.models import Station, Submission
from server.services.feedback import issue_station_link
from server.services.forms import publish_form
from tests.support.web import csrf_token

FORMS = Path(__file__).parents[2] / "forms"
WECHAT = ("Mozilla/5.0 (Linux; Android 13; V2183A) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 "
          "Chrome/116.0.0.0 Mobile Safari/537.36 XWEB/1160117 MMWEBSDK/20240301 MicroMessenger/8.0.48.2580(0x28003035)")


@pytest.fixture
def plaque(network):
    publish_form((FORMS / "resident_feedback.xlsx").read_bytes(), "resident_feedback.xlsx")
    link = issue_station_link(db.session.get(Station, "530102001"))
    db.session.commit()
    return link


def send(client, token, **answers):
    page = client.get(f"/f/{token}", headers={"User-Agent": WECHAT})
    data = {"satisfaction": "5", "service_received": "elderly", "improvement": "", "contact": "",
            "csrf_token": csrf_token(page.get_data(as_text=True)), **answers}
    return client.post(f"/f/{token}", data=data, headers={"User-Agent": WECHAT})


def feedback_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Submission))


def test_the_page_names_the_station_and_asks_the_forms_questions(client, plaque):
    page = client.get(f"/f/{plaque.token}", headers={"User-Agent": WECHAT})
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "昆明市五华区华山街道社会工作服务站" in html
    assert 'name="satisfaction"' in html and 'name="service_received"' in html
    assert "<script" not in html and len(page.data) < 8000  # tiny: weak networks, WeChat's browser


def test_feedback_is_a_genuine_submission_tied_to_the_station(client, plaque):
    response = send(client, plaque.token, satisfaction="4", improvement="希望周末也开门", contact="13987654321")
    assert response.status_code == 201 and "感谢" in response.get_data(as_text=True)
    submission = db.session.scalars(select(Submission)).one()
    assert submission.station_code == "530102001" and submission.form.xml_form_id == "resident_feedback"
    data = submission.versions[0].data
    assert data["satisfaction"] == "4" and data["channel"] == "plaque" and data["station_code"] == "530102001"
    assert data["improvement"] == "希望周末也开门" and submission.submitter_id is None
    assert submission.versions[0].xml.startswith(b"<?xml") and b"<resident_feedback" in submission.versions[0].xml


def test_the_same_answers_twice_in_a_row_count_once(client, plaque):
    assert send(client, plaque.token).status_code == 201
    assert send(client, plaque.token).status_code == 201
    assert feedback_count() == 1
    assert send(client, plaque.token, satisfaction="3").status_code == 201
    assert feedback_count() == 2


def test_a_robot_filling_the_hidden_field_is_thanked_and_ignored(client, plaque):
    assert send(client, plaque.token, website="http://spam.example").status_code == 200
    assert feedback_count() == 0


def test_missing_satisfaction_is_a_clear_error_and_nothing_is_stored(client, plaque):
    response = send(client, plaque.token, satisfaction="")
    assert response.status_code == 400 and "满意" in response.get_data(as_text=True)
    assert send(client, plaque.token, contact="12345").status_code == 400
    assert feedback_count() == 0


def test_revoked_link_shows_a_polite_page_and_the_reissued_one_works(client, plaque):
    old = plaque.token
    new = issue_station_link(db.session.get(Station, "530102001"))
    db.session.commit()
    response = client.get(f"/f/{old}")
    assert response.status_code == 410 and "已停止使用" in response.get_data(as_text=True)
    assert client.get(f"/f/{new.token}").status_code == 200
    assert client.get("/f/nosuchlink").status_code == 404


def test_the_link_never_contains_the_station_code(plaque):
    assert "530102001" not in plaque.token and len(plaque.token) >= 10


def test_rate_limit_per_client(client, plaque, app):
    app.config["FEEDBACK_RATE_LIMIT_CLIENT"] = "3 per 10 minutes"
    statuses = [send(client, plaque.token, satisfaction=str(n)).status_code for n in (1, 2, 3, 4)]
    assert statuses == [201, 201, 201, 429]
    assert feedback_count() == 3


def test_feedback_from_a_workers_phone_counts_the_same(collect, plaque, client):
    from tests.support.instances import fill_instance

    xform = collect.get("/forms/resident_feedback.xml").data
    xml = fill_instance(xform, {"station_code": "530102001", "channel": "collect", "service_received": "elderly",
                                "satisfaction": "5"})
    assert collect.submit(xml, []).status_code == 201
    submission = db.session.scalars(select(Submission)).one()
    assert submission.station_code == "530102001" and submission.versions[0].data["satisfaction"] == "5"


def test_a_nul_character_in_a_page_form_is_a_400_page_and_nothing_is_stored(client, plaque):
    """PostgreSQL cannot store U+0000: the request boundary refuses it before any query, on pages too."""
    before = feedback_count()
    response = send(client, plaque.token, improvement="好\x00的")
    assert response.status_code == 400 and "NUL" in response.get_data(as_text=True)
    assert feedback_count() == before
