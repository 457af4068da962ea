"""Forms in the browser, in real headless Chromium with the real ODK Web Forms bundle and the real home visit
form: a worker without an Android phone fills a visit for a case of their station, registers a new case, corrects
a visit sent back to them, and fills forms with no network — they wait on the device, survive a reload, and arrive
exactly once when the network returns, even when an answer was lost on the way. Browser behaviour does not depend
on the database (the integration tests run both): these run on SQLite."""
from __future__ import annotations

import time

import pytest
from PIL import Image
from playwright.sync_api import expect
from sqlalchemy import func, select

from server.domain.clock import today_in_china
from server.extensions import db
from server.media import media_storage
from server.models import Case, Submission, SubmissionVersion
from server.queries.accounts import get_user_by_username
from server.services import review
from tests.browser.conftest import screenshot
from tests.browser.test_resident_feedback import WECHAT
from tests.support.web import sign_in
from tests.support.webforms import (attach_photo, choose, get_location, pick_from_list, question, seed_stations,
                                    send, set_today, type_text)

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@pytest.fixture
def station(network, make_user):
    seed_stations(make_user)


def phone(browser, user_agent: str | None = None):
    """A phone-sized browser in Beijing time that may read its location (the visit form asks for it)."""
    return browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN", timezone_id="Asia/Shanghai",
                               geolocation={"latitude": 25.0406, "longitude": 102.7123, "accuracy": 5},
                               permissions=["geolocation"], user_agent=user_agent)


def sign_in_worker(page, live_server, username="worker1", password="Worker-pass-1") -> None:
    page.goto(f"{live_server}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("#login-form button[type=submit]")
    page.wait_for_url("**/fill/")
    # the service worker keeps the forms for use without a network
    page.wait_for_selector("html[data-offline-ready=yes]", state="attached", timeout=20000)


def open_form(page, live_server, form="home_visit") -> None:
    page.goto(f"{live_server}/fill/{form}")
    page.wait_for_selector(".form-questions", timeout=30000)


def nobody_home_visit(page, case_label: str, risk: str = "低风险") -> None:
    """A visit where nobody was home: the shortest visit the form allows."""
    choose(page, "本次走访的服务对象是", "已登记对象")
    pick_from_list(page, "选择服务对象", case_label)
    set_today(page, "走访日期")
    get_location(page, "入户定位")
    choose(page, "本次走访时在场的人", "家中无人")
    type_text(page, "了解到的情况", "邻居说老人去女儿家住几天。")
    choose(page, "发现的风险", "未发现风险")
    choose(page, "风险等级（社工判断）", risk)
    choose(page, "签字人", "无法签字（如无人在家、行动不便）")
    type_text(page, "未签字原因", "家中无人")


def _eventually(find, seconds: float = 20):
    """What ``find`` returns once it returns something (read afresh each time), or None after ``seconds``."""
    deadline = time.monotonic() + seconds
    while True:
        db.session.rollback()  # a fresh snapshot: the server commits from another connection
        found = find()
        if found is not None or time.monotonic() > deadline:
            return found
        time.sleep(0.2)


def submissions() -> list[Submission]:
    db.session.expire_all()
    return list(db.session.scalars(select(Submission).order_by(Submission.id)))


def test_a_worker_records_a_visit_and_registers_a_case_in_the_browser(browser, live_server, station, client,
                                                                       tmp_path):
    big = tmp_path / "door.jpg"
    Image.new("RGB", (4000, 3000), (180, 150, 110)).save(big, quality=80)
    context = phone(browser)
    page = context.new_page()
    try:
        sign_in_worker(page, live_server)
        expect(page.locator("#form-list")).to_contain_text("入户访视")
        open_form(page, live_server)
        nobody_home_visit(page, "张桂英")
        attach_photo(page, "家庭环境照片", big)
        send(page)
        expect(page.locator("#fill-message")).to_contain_text("已发送", timeout=20000)
        [visit] = submissions()
        assert visit.case_id == "case-a" and visit.station_code == "530102001"
        assert visit.submitter_id == get_user_by_username("worker1").id
        assert db.session.get(Case, "case-a").last_visit == today_in_china()  # the case is updated
        # The photo arrived after the XML, downscaled in the browser to the question's max-pixels (1600).
        [photo] = [a for a in visit.versions[0].attachments if a.blob_sha256]
        with media_storage().open(photo.blob_sha256) as stored:
            assert max(Image.open(stored).size) == 1600

        # The form is blank again: register someone met for the first time.
        choose(page, "本次走访的服务对象是", "新登记对象")
        type_text(page, "姓名", "王秀珍")
        choose(page, "性别", "女")
        birth = question(page, "出生日期").locator("input").first
        birth.click()
        birth.press_sequentially("05/02/1948")
        birth.press("Enter")
        page.keyboard.press("Escape")
        choose(page, "对象类别", "特困人员")
        pick_from_list(page, "所在村（社区）", "团结社区")
        set_today(page, "走访日期")
        get_location(page, "入户定位")
        choose(page, "本次走访时在场的人", "家中无人")
        type_text(page, "了解到的情况", "首次走访，家中无人。")
        choose(page, "发现的风险", "未发现风险")
        choose(page, "风险等级（社工判断）", "中风险")
        choose(page, "签字人", "无法签字（如无人在家、行动不便）")
        type_text(page, "未签字原因", "家中无人")
        send(page)
        # (the message still says the first visit was sent: wait for the second one itself)
        registered = _eventually(lambda: db.session.scalar(select(Case).where(Case.label.startswith("王秀珍"))))
        expect(page.locator("#fill-message")).to_contain_text("已发送", timeout=20000)
        screenshot(page, "web-form-sent-phone")
        assert registered is not None and registered.station_code == "530102001"
        assert registered.properties.get("birth_date") == "1948-05-02" and registered.category_codes == ["destitute"]
    finally:
        context.close()
    # The county supervisor sees both visits in the list, by the people's names.
    assert sign_in(client, "wuhua", "Wuhua-pass-1").status_code == 302
    listing = client.get("/submissions").get_data(as_text=True)
    assert "张桂英" in listing and "王秀珍" in listing


def test_a_returned_visit_is_corrected_and_resubmitted_as_an_edit(browser, live_server, station):
    context = phone(browser)
    page = context.new_page()
    try:
        sign_in_worker(page, live_server)
        open_form(page, live_server)
        nobody_home_visit(page, "张桂英")
        send(page)
        expect(page.locator("#fill-message")).to_contain_text("已发送", timeout=20000)
        [visit] = submissions()
        review.return_to_worker(visit, get_user_by_username("head1"), "风险等级应为中风险，请核实")
        db.session.commit()

        page.goto(f"{live_server}/fill/")
        returned = page.locator("#returned")
        expect(returned).to_contain_text("风险等级应为中风险，请核实")
        returned.get_by_role("link", name="修改后重新提交").click()
        page.wait_for_selector(".form-questions", timeout=30000)
        expect(page.locator("#edit-note")).to_contain_text("张桂英")
        # The form opens with the visit's answers: only the risk level changes.
        expect(question(page, "了解到的情况").locator("textarea, input").first).to_have_value("邻居说老人去女儿家住几天。")
        choose(page, "风险等级（社工判断）", "中风险")
        send(page)
        page.wait_for_url("**/fill/", timeout=20000)
        expect(page.locator("#returned")).to_contain_text("没有需要重做的走访")
    finally:
        context.close()
    [edited] = submissions()
    assert edited.id == visit.id and edited.review_state == "edited" and edited.risk_level == "medium"
    versions = db.session.scalars(select(SubmissionVersion).where(SubmissionVersion.submission_id == visit.id)).all()
    assert len(versions) == 2 and versions[1].deprecated_id == versions[0].instance_id
    assert db.session.get(Case, "case-a").redo is False


def test_forms_filled_offline_wait_on_the_device_and_arrive_exactly_once(browser, live_server, station):
    context = phone(browser)
    page = context.new_page()
    try:
        sign_in_worker(page, live_server)
        open_form(page, live_server)  # once online: from now on the service worker has it
        context.set_offline(True)
        # no network at all: the page, the form, the case list and the bundle come from the device
        assert page.reload().from_service_worker
        page.wait_for_selector(".form-questions", timeout=30000)
        nobody_home_visit(page, "张桂英")
        send(page)
        expect(page.locator("#fill-message")).to_contain_text("联网后自动发送", timeout=20000)
        nobody_home_visit(page, "李强", risk="高风险")
        send(page)
        expect(page.locator("#queue-badge")).to_have_text("2 条待发送", timeout=20000)
        page.reload()  # still offline: the queue is on the device
        page.wait_for_selector(".form-questions", timeout=30000)
        expect(page.locator("#queue-badge")).to_have_text("2 条待发送")
        assert submissions() == []

        # The first answer is lost on the way back (the server has it, the page never hears): sent again, safely.
        lost = []

        def lose_first_answer(route):
            if lost:
                route.continue_()
                return
            lost.append(route.fetch().status)
            route.abort("connectionreset")

        page.route("**/fill/submission", lose_first_answer)
        context.set_offline(False)
        page.evaluate("window.dispatchEvent(new Event('online'))")
        expect(page.locator("#queue-badge")).to_have_text("", timeout=30000)
        assert lost == [201]
    finally:
        context.close()
    arrived = submissions()
    assert sorted(s.case_id for s in arrived) == ["case-a", "case-a2"]
    assert db.session.scalar(select(func.count()).select_from(SubmissionVersion)) == 2
    assert {s.case_id: s.risk_level for s in arrived} == {"case-a": "low", "case-a2": "high"}


def test_in_wechat_another_stations_worker_sees_only_their_cases_and_keeps_a_draft(browser, live_server, station):
    context = phone(browser, user_agent=WECHAT)
    page = context.new_page()
    try:
        sign_in_worker(page, live_server, "worker_b", "Worker-pass-2")
        open_form(page, live_server)
        choose(page, "本次走访的服务对象是", "已登记对象")
        question(page, "选择服务对象").locator(".p-select").click()
        options = page.locator("li[role=option]").all_inner_texts()
        assert any("赵外站" in o for o in options) and not any("张桂英" in o or "李强" in o for o in options)
        page.keyboard.press("Escape")
        type_text(page, "情况描述", "草稿：还没写完")
        page.wait_for_timeout(2500)  # drafts are saved 1.5 s after the last keystroke
        page.reload()
        page.wait_for_selector(".form-questions", timeout=30000)
        expect(page.locator("#draft-offer")).to_be_visible()
        page.click("#draft-resume")
        page.wait_for_selector(".form-questions", timeout=30000)
        expect(question(page, "情况描述").locator("textarea, input").first).to_have_value("草稿：还没写完")
    finally:
        context.close()
