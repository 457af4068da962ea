"""Supervisor pages: scope, review states, returning a visit to the worker, CSRF and sign-in limits."""
import re

import pytest
from sqlalchemy import select

from server.extensions import db
from server.models import Case, CaseEvent, Submission, SubmissionEvent
from tests.integration.test_cases_api import add_case
from tests.support.visit_form import visit_xml
from tests.support.web import post_form, sign_in


@pytest.fixture
def field(collect, network, worker, client, make_user):
    """A case at 华山 (五华区) with one visit, and a case at 拓东 (盘龙区) with one visit."""
    from server.services.accounts import active_collect_token
    from tests.support.collect import CollectClient

    add_case("a-case", "530102001", "530102001001", label="张桂英 · 团结社区")
    add_case("b-case", "530103001", "530103001001", label="外站对象")
    assert collect.submit(visit_xml("uuid:a1", case="a-case", photo="a.jpg"),
                          [("a.jpg", b"\xff\xd8\xff" + b"x" * 100)]).status_code == 201
    other = make_user("worker_b", "worker", "530103001", "Secret-pass-1")
    phone_b = CollectClient(client, f"/key/{active_collect_token(other).token}")
    assert phone_b.submit(visit_xml("uuid:b1", case="b-case", photo="b.jpg"),
                          [("b.jpg", b"\xff\xd8\xff" + b"y" * 100)]).status_code == 201
    make_user("wuhua", "county", "530102", "Wuhua-pass-1")
    return collect


def test_pages_need_sign_in(client, field):
    response = client.get("/submissions")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_workers_cannot_use_the_office_pages(client, field):
    response = sign_in(client, "worker1", "Huashan-2026")
    assert response.status_code == 302 and response.headers["Location"].endswith("/fill/")  # their forms
    for office in ("/submissions", "/submissions/uuid:a1", "/cases/a-case", "/dashboard"):
        listing = client.get(office)
        assert listing.status_code == 302 and listing.headers["Location"].endswith("/fill/"), office


def test_county_supervisor_sees_only_their_county(client, field):
    assert sign_in(client, "wuhua", "Wuhua-pass-1").status_code == 302
    listing = client.get("/submissions").get_data(as_text=True)
    assert "uuid:a1" in listing and "uuid:b1" not in listing
    assert "拓东街道" not in listing  # not even as a filter choice
    for url in ("/submissions/uuid:b1", "/media/uuid:b1/b.jpg", "/cases/b-case", "/stations/530103001"):
        assert client.get(url).status_code == 404, url
    for url in ("/submissions/uuid:a1", "/cases/a-case", "/stations/530102001"):
        assert client.get(url).status_code == 200, url
    with client.get("/media/uuid:a1/a.jpg") as media:
        assert media.status_code == 200


def test_counts_per_review_state(client, field):
    sign_in(client, "wuhua", "Wuhua-pass-1")
    listing = client.get("/submissions").get_data(as_text=True)
    assert re.search(r'data-state="received">1<', listing)


def test_approve_records_who_and_when(client, field):
    sign_in(client, "wuhua", "Wuhua-pass-1")
    page = "/submissions/uuid:a1"
    response = post_form(client, page, "/submissions/uuid:a1/review", {"review_state": "approved", "note": "照片清楚"})
    assert response.status_code == 302
    submission = db.session.scalars(select(Submission).where(Submission.instance_id == "uuid:a1")).one()
    assert submission.review_state == "approved"
    event = db.session.scalars(select(SubmissionEvent)).one()
    assert event.kind == "review" and event.user.username == "wuhua" and event.body == "照片清楚"
    assert "照片清楚" in client.get(page).get_data(as_text=True)


def test_returned_visit_is_flagged_in_the_workers_case_list_until_the_next_visit(client, field):
    import hashlib

    def cases_hash() -> str:
        manifest = field.get("/forms/visit/manifest").get_data(as_text=True)
        return re.search(r"<filename>cases.csv</filename>\s*<hash>md5:(\w+)</hash>", manifest).group(1)

    before = cases_hash()
    sign_in(client, "wuhua", "Wuhua-pass-1")
    response = post_form(client, "/submissions/uuid:a1", "/submissions/uuid:a1/return",
                         {"reason": "照片看不清门牌，请补拍"})
    assert response.status_code == 302
    rows = field.get("/forms/visit/attachments/cases.csv").get_data(as_text=True).splitlines()
    row = next(r for r in rows if r.startswith("a-case,"))
    assert row.endswith(",1,照片看不清门牌，请补拍")
    after = cases_hash()
    assert after != before and after == hashlib.md5("\n".join(rows).encode() + b"\n").hexdigest()
    submission = db.session.scalars(select(Submission).where(Submission.instance_id == "uuid:a1")).one()
    assert submission.review_state == "has_issues"
    assert db.session.scalars(select(CaseEvent).where(CaseEvent.kind == "returned")).one().note.startswith("照片")
    # the worker goes back (a home visit to that case): the next visit clears the flag
    from pathlib import Path

    from server.services.forms import publish_form
    from tests.support.instances import fill_instance

    publish_form((Path(__file__).parents[2] / "forms" / "home_visit.xlsx").read_bytes(), "home_visit.xlsx")
    db.session.commit()
    xml = fill_instance(field.get("/forms/home_visit.xml").data,
                        {"case_mode": "existing", "case": "a-case", "visit_date": "2026-11-20",
                         "location": "25.04 102.71 1890 5", "risk_level": "low"}, drop=("registration",),
                        entity={"id": "a-case", "update": "1", "create": "0", "baseVersion": "1", "label": "张桂英"})
    assert field.submit(xml, []).status_code == 201
    db.session.expire_all()
    assert not db.session.get(Case, "a-case").redo
    rows = field.get("/forms/visit/attachments/cases.csv").get_data(as_text=True).splitlines()
    assert next(r for r in rows if r.startswith("a-case,")).endswith(",0,")


def test_a_return_needs_a_reason(client, field):
    sign_in(client, "wuhua", "Wuhua-pass-1")
    response = post_form(client, "/submissions/uuid:a1", "/submissions/uuid:a1/return", {"reason": "  "})
    assert response.status_code == 400
    assert not db.session.get(Case, "a-case").redo


def test_comments(client, field):
    sign_in(client, "wuhua", "Wuhua-pass-1")
    post_form(client, "/submissions/uuid:a1", "/submissions/uuid:a1/comment", {"body": "<script>x</script>已核实"})
    page = client.get("/submissions/uuid:a1").get_data(as_text=True)
    assert "&lt;script&gt;x&lt;/script&gt;已核实" in page and "<script>x</script>" not in page


def test_posts_without_csrf_token_are_refused(client, field):
    sign_in(client, "wuhua", "Wuhua-pass-1")
    for action, data in (("/submissions/uuid:a1/review", {"review_state": "approved"}),
                         ("/submissions/uuid:a1/return", {"reason": "x"}),
                         ("/submissions/uuid:a1/comment", {"body": "x"}), ("/logout", {})):
        assert client.post(action, data=data).status_code == 400, action
    assert db.session.scalars(select(Submission).where(Submission.instance_id == "uuid:a1")).one().review_state \
        == "received"
    assert client.post("/login", data={"username": "wuhua", "password": "Wuhua-pass-1"}).status_code == 400


def test_sign_in_is_throttled(client, field, app):
    app.config["LOGIN_RATE_LIMIT"] = "3 per minute"
    statuses = [sign_in(client, "wuhua", "wrong-pass-9").status_code for _ in range(4)]
    assert statuses == [401, 401, 401, 429]


def test_pages_send_security_headers(client, field):
    sign_in(client, "wuhua", "Wuhua-pass-1")
    response = client.get("/submissions/uuid:a1")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "<script>" not in response.get_data(as_text=True).replace("<script src=", "")


def test_session_cookie_flags(client, field):
    response = sign_in(client, "wuhua", "Wuhua-pass-1")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" in cookie


def test_english_switch(client, field):
    sign_in(client, "wuhua", "Wuhua-pass-1")
    assert "走访记录" in client.get("/submissions").get_data(as_text=True)
    client.get("/lang/en?next=/submissions")
    page = client.get("/submissions").get_data(as_text=True)
    assert "Submissions" in page and "走访记录" not in page


def test_sign_in_never_redirects_to_another_site(client, field):
    from tests.support.web import csrf_token

    token = csrf_token(client.get("/login").get_data(as_text=True))
    response = client.post("/login?next=https://evil.example.com/", data={
        "username": "wuhua", "password": "Wuhua-pass-1", "csrf_token": token})
    assert response.headers["Location"] == "/submissions"


def test_map_point_is_shifted_to_gcj02_for_chinese_tiles(client, field, app):
    from server.domain.geo import wgs84_to_gcj02

    sign_in(client, "wuhua", "Wuhua-pass-1")
    page = client.get("/submissions/uuid:a1").get_data(as_text=True)
    assert 'data-lat="25.0406"' in page and "data-layers='[]'" in page and 'id="no-tiles"' in page
    app.config.update(MAP_TILE_DATUM="gcj02", MAP_TILE_URL="https://webrd0{s}.example.cn/tiles/{z}/{x}/{y}.png")
    response = client.get("/submissions/uuid:a1")
    lat, lon = wgs84_to_gcj02(25.0406, 102.7123)
    page = response.get_data(as_text=True)
    assert f'data-lat="{lat}"' in page and f'data-lon="{lon}"' in page
    assert "25.040600, 102.712300 (WGS-84)" in page  # the recorded point is still shown as recorded
    assert "https://*.example.cn" in response.headers["Content-Security-Policy"]
    assert "webrd0{s}.example.cn" in page and 'id="no-tiles"' not in page


def test_city_admin_filters_by_county(client, field, make_user):
    make_user("city", "admin", "530100", "City-pass-1")
    sign_in(client, "city", "City-pass-1")
    everything = client.get("/submissions").get_data(as_text=True)
    assert "uuid:a1" in everything and "uuid:b1" in everything
    panlong = client.get("/submissions?county=530103").get_data(as_text=True)
    assert "uuid:b1" in panlong and "uuid:a1" not in panlong
