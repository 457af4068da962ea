"""A resident scans the plaque with WeChat: a phone-sized page, three taps, thanks."""
from pathlib import Path

import pytest
from sqlalchemy import select

from server.extensions import db
from server.models import Station, Submission
from server.services.feedback import issue_station_link
from server.services.forms import publish_form
from tests.browser.conftest import screenshot

FORMS = Path(__file__).parents[2] / "forms"
WECHAT = ("Mozilla/5.0 (Linux; Android 13; V2183A) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 "
          "Chrome/116.0.0.0 Mobile Safari/537.36 XWEB/1160117 MMWEBSDK/20240301 MicroMessenger/8.0.48.2580(0x28003035) "
          "WeChat/arm64 Weixin NetType/4G Language/zh_CN ABI/arm64")


@pytest.fixture
def plaque(network, app):
    publish_form((FORMS / "resident_feedback.xlsx").read_bytes(), "resident_feedback.xlsx")
    link = issue_station_link(db.session.get(Station, "530102001"))
    db.session.commit()
    return link.token


@pytest.fixture
def phone(browser):
    """WeChat's browser on a phone-sized screen."""
    context = browser.new_context(viewport={"width": 375, "height": 740}, user_agent=WECHAT, locale="zh-CN",
                                  is_mobile=True, has_touch=True)
    return context, context.new_page()


def test_resident_gives_feedback_from_wechat_on_a_phone(phone, live_server, plaque):
    context, page = phone
    try:
        page.goto(f"{live_server}/f/{plaque}")
        assert page.locator("#station-name").inner_text() == "昆明市五华区华山街道社会工作服务站"
        assert page.evaluate("() => document.documentElement.scrollWidth") <= 375
        page.check("input[name=satisfaction][value='4']")
        page.select_option("select[name=service_received]", "elderly")
        page.fill("textarea[name=improvement]", "希望周末也能上门")
        screenshot(page, "resident-feedback-phone")
        page.click("#send")
        page.wait_for_selector("#thanks")
        assert "感谢" in page.locator("#thanks").inner_text()
    finally:
        context.close()
    submission = db.session.scalars(select(Submission)).one()
    data = submission.versions[0].data
    assert submission.station_code == "530102001" and data["satisfaction"] == "4" and data["channel"] == "plaque"
    assert submission.versions[0].user_agent.startswith("Mozilla/5.0") and "MicroMessenger" in submission.versions[0].user_agent


def test_answers_survive_lost_cookies_and_a_page_left_open(phone, live_server, plaque):
    """WeChat's browser drops cookies; a resident leaves the page open past the token's day. Neither loses
    a word: the send goes through without cookies, and a stale page shows the answers again to send once more."""
    context, page = phone
    try:
        page.goto(f"{live_server}/f/{plaque}")
        assert page.locator("select[name=service_received]").input_value() == ""  # no answer chosen for them
        page.check("input[name=satisfaction][value='2']")
        page.select_option("select[name=service_received]", "children")
        page.fill("textarea[name=improvement]", "希望周末也能上门")
        context.clear_cookies()
        page.locator("input[name=csrf_token]").evaluate("input => { input.value = 'left-open-too-long' }")
        page.click("#send")
        page.wait_for_selector("#problem")
        assert "您填写的内容都还在" in page.locator("#problem").inner_text()
        assert page.locator("input[name=satisfaction][value='2']").is_checked()
        assert page.locator("select[name=service_received]").input_value() == "children"
        assert page.locator("textarea[name=improvement]").input_value() == "希望周末也能上门"
        screenshot(page, "resident-feedback-kept-answers")
        context.clear_cookies()
        page.click("#send")
        page.wait_for_selector("#thanks")
    finally:
        context.close()
    data = db.session.scalars(select(Submission)).one().versions[0].data
    assert (data["satisfaction"], data["service_received"], data["improvement"]) == ("2", "children", "希望周末也能上门")
