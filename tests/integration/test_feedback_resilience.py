"""The resident page never loses a resident's answers: no cookie needed, every refusal shows the form again
filled in, in words for a resident; a mistyped or retired plaque link gets a page a resident understands."""
from pathlib import Path

import pytest
from sqlalchemy import func, select

from server.domain.stations import StaffOrigin, StaffRole
from server.extensions import db
from server.models import Station, Submission
from server.services import places
from server.services.feedback import feedback_form_token, issue_station_link
from server.services.forms import publish_form
from tests.support.web import csrf_token

FORMS = Path(__file__).parents[2] / "forms"
ANSWERS = {"satisfaction": "2", "service_received": "elderly", "improvement": "希望周末也开门", "contact": ""}


@pytest.fixture
def plaque(network):
    publish_form((FORMS / "resident_feedback.xlsx").read_bytes(), "resident_feedback.xlsx")
    station = db.session.get(Station, "530102001")
    places.add_staff_member(station, "志愿者甲", StaffRole.VOLUNTEER, StaffOrigin.VOLUNTEER, phone="13000000000")
    places.add_staff_member(station, "王站长", StaffRole.HEAD, StaffOrigin.TOWNSHIP, phone="13987650001")
    link = issue_station_link(station)
    db.session.commit()
    return link.token


def stored() -> int:
    return db.session.scalar(select(func.count()).select_from(Submission))


def form_token(client, token: str) -> str:
    return csrf_token(client.get(f"/f/{token}").get_data(as_text=True))


def assert_answers_kept(html: str) -> None:
    assert 'value="2" required checked' in html and 'value="elderly" selected' in html
    assert ">希望周末也开门</textarea>" in html


def test_feedback_sent_after_the_cookie_was_lost_is_stored(app, plaque):
    token = form_token(app.test_client(), plaque)
    without_cookies = app.test_client()  # WeChat's browser dropped them between the page and the send
    response = without_cookies.post(f"/f/{plaque}", data={**ANSWERS, "csrf_token": token})
    assert response.status_code == 201 and "感谢" in response.get_data(as_text=True)
    assert stored() == 1


def test_a_page_open_too_long_or_a_forged_token_keeps_the_answers(client, plaque, app):
    another_links = feedback_form_token("otherlink23", app.config["SECRET_KEY"])
    for bad in ("", "forged.token.value", another_links):
        response = client.post(f"/f/{plaque}", data={**ANSWERS, "csrf_token": bad})
        html = response.get_data(as_text=True)
        assert response.status_code == 400 and "请再按一次“提交”，您填写的内容都还在" in html
        assert_answers_kept(html)
        assert "CSRF" not in html
    assert stored() == 0


def test_a_question_left_out_is_asked_again_with_the_other_answers_kept(client, plaque):
    response = client.post(f"/f/{plaque}", data={**ANSWERS, "service_received": "",
                                                  "csrf_token": form_token(client, plaque)})
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and "请选一下您接受的服务" in html
    assert 'value="2" required checked' in html and ">希望周末也开门</textarea>" in html
    assert '<option value="" selected>' in html  # nothing chosen for the resident
    assert stored() == 0


def test_past_the_rate_limit_the_answers_stay_and_the_station_phone_is_given(client, plaque, app):
    app.config["FEEDBACK_RATE_LIMIT_CLIENT"] = "1 per 10 minutes"
    token = form_token(client, plaque)
    assert client.post(f"/f/{plaque}", data={**ANSWERS, "csrf_token": token}).status_code == 201
    response = client.post(f"/f/{plaque}", data={**ANSWERS, "csrf_token": token})
    html = response.get_data(as_text=True)
    assert response.status_code == 429 and "请过几分钟再按一次“提交”" in html
    assert_answers_kept(html)
    assert "13987650001" in html


def test_a_mistyped_link_and_a_retired_one_get_pages_a_resident_understands(client, plaque):
    mistyped = client.get("/f/abcdefgh23")
    assert mistyped.status_code == 404 and "这个链接不完整或有误" in mistyped.get_data(as_text=True)
    issue_station_link(db.session.get(Station, "530102001"))
    db.session.commit()
    retired = client.get(f"/f/{plaque}")
    html = retired.get_data(as_text=True)
    assert retired.status_code == 410 and "已停止使用" in html and "昆明市五华区华山街道社会工作服务站" in html
    assert 'href="tel:13987650001"' in html and "13000000000" not in html  # the head's phone, not a volunteer's


def test_the_language_is_kept_in_the_address_without_a_cookie(app, plaque):
    english = app.test_client().get(f"/f/{plaque}?lang=en").get_data(as_text=True)
    assert '<html lang="en">' in english and "How satisfied are you?" in english
    assert f'action="/f/{plaque}?lang=en"' in english
