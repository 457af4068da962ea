"""A county supervisor's morning, in real headless Chromium: sign in, filter, open a visit, look at
its photo and map, approve one, return another with a reason, sign out."""
from io import BytesIO

import pytest
from PIL import Image, ImageDraw
from sqlalchemy import select

from server.extensions import db
from server.models import Case, Submission
from tests.browser.conftest import screenshot
from tests.integration.test_cases_api import add_case
from tests.support.visit_form import visit_xml


def photo(colour) -> bytes:
    image = Image.new("RGB", (800, 600), colour)
    ImageDraw.Draw(image).rectangle((250, 200, 550, 500), fill=(90, 60, 40))
    out = BytesIO()
    image.save(out, format="JPEG")
    return out.getvalue()


@pytest.fixture
def visits(collect, network, worker, make_user, client):
    from server.services.accounts import active_collect_token
    from tests.support.collect import CollectClient

    add_case("a-case", "530102001", "530102001001", label="张桂英 · 团结社区")
    add_case("a-other", "530102001", "530102001001", label="李强 · 团结社区")
    add_case("b-case", "530103001", "530103001001", label="外站对象")
    assert collect.submit(visit_xml("uuid:a1", case="a-case", photo="a1.jpg"),
                          [("a1.jpg", photo((200, 170, 120)))]).status_code == 201
    assert collect.submit(visit_xml("uuid:a2", case="a-other", photo="a2.jpg", person="李强"),
                          [("a2.jpg", photo((120, 160, 200)))]).status_code == 201
    other = make_user("worker_b", "worker", "530103001", "Secret-pass-1")
    phone_b = CollectClient(client, f"/key/{active_collect_token(other).token}")
    assert phone_b.submit(visit_xml("uuid:b1", case="b-case", photo=None), []).status_code == 201
    make_user("wuhua", "county", "530102", "Wuhua-pass-1")


def sign_in(page, live_server, start: str = "/submissions") -> None:
    page.goto(f"{live_server}{start}")
    page.fill("input[name=username]", "wuhua")
    page.fill("input[name=password]", "Wuhua-pass-1")
    page.click("#login-form button[type=submit]")
    page.wait_for_url("**/submissions")


def test_county_supervisor_reviews_visits_in_chromium(page, live_server, visits):
    sign_in(page, live_server)
    rows = page.locator("#submission-list tbody tr[data-instance]")
    assert rows.count() == 2  # 盘龙区's visit is not in a 五华区 supervisor's list
    assert "外站对象" not in page.content()

    page.select_option("select[name=review_state]", "received")
    page.fill("input[name=case]", "a-case")
    page.click("#filters button[type=submit]")
    page.wait_for_url("**case=a-case**")
    assert page.locator("#submission-list tbody tr[data-instance]").count() == 1
    page.wait_for_function("() => [...document.querySelectorAll('img.thumb')].every(i => i.complete && i.naturalWidth > 0)")
    screenshot(page, "submission-list")

    page.click("#submission-list tbody tr[data-instance] a")
    page.wait_for_url("**/submissions/uuid:a1")
    image = page.locator("#photos img").first
    image.wait_for()
    page.wait_for_function("() => { const i = document.querySelector('#photos img'); return i.complete && i.naturalWidth > 0; }")
    assert image.evaluate("i => i.naturalWidth") == 640
    page.wait_for_selector("#map.ready")
    assert page.locator("#map .leaflet-interactive").count() >= 1  # the point is drawn
    assert "25.040600, 102.712300" in page.locator("#coords").inner_text()
    assert "张桂英" in page.locator("#case-link").inner_text()
    screenshot(page, "submission-detail")

    # each review action says what it does; an empty history says so once
    explained = {button: page.locator(f"#explain-{button}").inner_text()
                 for button in ("approved", "has_issues", "rejected", "return")}
    assert page.locator("#review-rejected").inner_text() == "驳回" and "不计入指标" in explained["rejected"]
    assert page.locator("#return-button").inner_text() == "退回社工重访"
    assert explained["return"].startswith("出现在社工手机上") and "计入指标" in explained["approved"]
    assert page.locator("#events-empty").inner_text() == "尚未审核。" and page.locator("#events").count() == 0
    page.click("#review-approved")
    page.wait_for_url("**/submissions/uuid:a1")
    assert "已通过" in page.locator("#review-state").inner_text()
    assert page.locator("#events li").count() == 1 and "北京时间" in page.locator("#review").inner_text()

    page.goto(f"{live_server}/submissions/uuid:a2")
    page.fill("#return-reason", "照片里看不到老人本人，请重新走访并拍照")
    page.click("#return-button")
    page.wait_for_url("**/submissions/uuid:a2")
    assert "有问题" in page.locator("#review-state").inner_text()
    assert "请重新走访" in page.locator("#events").inner_text()

    page.click("#logout")
    page.wait_for_url("**/login")
    page.goto(f"{live_server}/submissions")
    page.wait_for_url("**/login**")

    db.session.expire_all()
    states = {s.instance_id: s.review_state for s in db.session.scalars(select(Submission))}
    assert states == {"uuid:a1": "approved", "uuid:a2": "has_issues", "uuid:b1": "received"}
    returned = db.session.get(Case, "a-other")
    assert returned.redo and returned.redo_reason.startswith("照片里看不到老人本人")


def test_phone_sized_screen_shows_the_list(page, live_server, visits):
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, live_server, "/login")
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 400, f"the page is {width}px wide on a 390px phone screen"
    screenshot(page, "submission-list-phone")
