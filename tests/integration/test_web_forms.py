"""Forms in the browser (server/web/fill.py), through the HTTP client on both databases: who may use them, the
files (the same as Collect's), the submission endpoint (CSRF, JSON answers, the same instanceID rules and split
uploads as Collect's), and editing a visit sent back to redo. The browser itself: tests/browser/test_web_forms.py."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from server.domain.clock import today_in_china
from server.extensions import db
from server.models import Case, Submission, SubmissionVersion, User
from server.services import review
from server.services.accounts import active_collect_token
from server.services.forms import publish_form
from tests.support.collect import CollectClient, Part, multipart_body
from tests.support.instances import fill_instance
from tests.support.web import sign_in
from tests.support.webforms import FORMS, seed_stations

TODAY = today_in_china()
JPEG = b"\xff\xd8\xff\xe0" + b"photo" * 200


@pytest.fixture
def station(client, make_user):
    """Two stations, the real home visit form, cases, workers, a station head: ``seed_stations``. case-a is
    overdue."""
    seed_stations(make_user)
    db.session.get(Case, "case-a").next_due = TODAY - timedelta(days=3)
    db.session.commit()


def signed_in(client, username: str, password: str) -> str:
    """Sign in; returns the CSRF token the forms page's script would fetch."""
    response = sign_in(client, username, password)
    assert response.status_code == 302
    status = client.get("/fill/status")
    assert status.status_code == 200
    return status.get_json()["csrf_token"]


def home_visit_xml(client, case_id: str = "case-a", instance_id: str | None = None, photo: str | None = None,
                   deprecated: str | None = None) -> bytes:
    xform = client.get("/fill/home_visit/form.xml").data
    values = {"case_mode": "existing", "case": case_id, "visit_date": TODAY.isoformat(),
              "location": "25.04 102.71 1890 5", "risk_level": "low"}
    if photo:
        values["photos/photo_home"] = photo
    xml = fill_instance(xform, values, instance_id=instance_id, drop=("registration",),
                        entity={"id": case_id, "create": "0", "update": "1", "baseVersion": "1",
                                "label": "张桂英 · 团结社区"})
    if deprecated:
        xml = xml.replace(b"</instanceID>", f"</instanceID><deprecatedID>{deprecated}</deprecatedID>".encode())
    return xml


def post_submission(client, token: str | None, xml: bytes, files: tuple[tuple[str, bytes], ...] = ()):
    parts = [Part("xml_submission_file", xml, "text/xml", "submission.xml")]
    parts += [Part(name, content, "image/jpeg", name) for name, content in files]
    body, content_type = multipart_body(parts)
    headers = {"X-CSRFToken": token} if token else {}
    return client.post("/fill/submission", data=body, content_type=content_type, headers=headers)


def test_a_worker_signs_in_to_their_forms_and_the_office_pages_send_them_there(client, station):
    response = sign_in(client, "worker1", "Worker-pass-1")
    assert response.status_code == 302 and response.headers["Location"].endswith("/fill/")
    page = client.get("/fill/").get_data(as_text=True)
    assert "入户访视" in page and 'href="/fill/home_visit"' in page
    assert re.search(r"逾期未走访[^<]*1", page)  # case-a is past its due day, as the phone's list says
    assert "<script type=\"module\"" in page and "/fill/sw.js" in page
    for office in ("/submissions", "/dashboard", "/cases"):
        assert client.get(office).headers["Location"].endswith("/fill/"), office
    assert "ODK Collect" in client.get("/fill/collect").get_data(as_text=True)


def test_who_may_fill_forms_in_the_browser(client, station):
    assert client.get("/fill/").headers["Location"].startswith("/login")  # anonymous: sign in first
    status = client.get("/fill/status")
    assert status.status_code == 401 and status.get_json()["code"] == "401.1"  # a script gets JSON
    assert post_submission(client, None, b"<x/>").status_code in (400, 401)
    sign_in(client, "wuhua", "Wuhua-pass-1")
    assert client.get("/fill/").status_code == 403  # a county supervisor has no station to fill forms for
    client.post("/logout", data={"csrf_token": client.get("/fill/status").get_json().get("csrf_token", "")})
    head = client.application.test_client()
    assert sign_in(head, "head1", "Head-pass-1").headers["Location"].endswith("/submissions")
    assert 'href="/fill/"' in head.get("/submissions").get_data(as_text=True)  # a station head may fill too
    assert head.get("/fill/home_visit").status_code == 200


def test_the_form_and_its_files_are_the_ones_collect_gets(client, station):
    signed_in(client, "worker1", "Worker-pass-1")
    worker = db.session.scalar(select(User).where(User.username == "worker1"))
    phone = CollectClient(client.application.test_client(), f"/key/{active_collect_token(worker).token}")
    assert client.get("/fill/home_visit/form.xml").data == phone.get("/forms/home_visit.xml").data
    for name in ("cases.csv", "villages.csv"):
        browser = client.get(f"/fill/home_visit/attachments/{name}")
        assert browser.status_code == 200 and browser.headers["Cache-Control"] == "no-store"
        assert browser.data == phone.get(f"/forms/home_visit/attachments/{name}").data, name
    cases = client.get("/fill/home_visit/attachments/cases.csv").get_data(as_text=True)
    assert "张桂英" in cases and "赵外站" not in cases
    assert client.get("/fill/home_visit/attachments/other.csv").status_code == 404
    page = client.get("/fill/home_visit")
    csp = page.headers["Content-Security-Policy"]
    assert "'wasm-unsafe-eval'" in csp and "'unsafe-inline'" not in csp and "'unsafe-eval'" not in csp
    nonce = re.search(r"'nonce-([^']+)'", csp).group(1)
    assert f'data-style-nonce="{nonce}"' in page.get_data(as_text=True)

    other = client.application.test_client()
    signed_in(other, "worker_b", "Worker-pass-2")
    theirs = other.get("/fill/home_visit/attachments/cases.csv").get_data(as_text=True)
    assert "赵外站" in theirs and "张桂英" not in theirs


def test_a_submission_needs_the_csrf_header_and_answers_json(client, station):
    token = signed_in(client, "worker1", "Worker-pass-1")
    xml = home_visit_xml(client, instance_id="uuid:web-1")
    refused = post_submission(client, None, xml)
    assert refused.status_code == 400 and refused.is_json
    assert db.session.scalar(select(func.count()).select_from(Submission)) == 0
    created = post_submission(client, token, xml)
    assert created.status_code == 201
    assert created.get_json() == {"outcome": "created", "instance_id": "uuid:web-1", "missing": [],
                                  "message": "已提交。"}
    submission = db.session.scalar(select(Submission).where(Submission.instance_id == "uuid:web-1"))
    assert submission.case_id == "case-a" and submission.station_code == "530102001"
    assert db.session.get(Case, "case-a").last_visit == TODAY  # the same case processing as Collect's
    again = post_submission(client, token, xml)  # the answer never came: sent again
    assert again.status_code == 201 and again.get_json()["outcome"] == "attached"
    assert db.session.scalar(select(func.count()).select_from(Submission)) == 1
    changed = post_submission(client, token, xml.replace(b">low<", b">high<"))
    assert changed.status_code == 409 and changed.get_json()["code"] == "409.4"
    assert "不同" in changed.get_json()["message"]
    not_xml = post_submission(client, token, b"not xml at all")
    assert not_xml.status_code == 400 and not_xml.get_json()["message"]


def test_files_after_the_xml_complete_the_submission_never_duplicate_it(client, station):
    token = signed_in(client, "worker1", "Worker-pass-1")
    xml = home_visit_xml(client, instance_id="uuid:web-split", photo="home.jpg")
    first = post_submission(client, token, xml)  # the XML alone, as Central's web forms send it
    assert first.status_code == 201 and first.get_json()["missing"] == ["home.jpg"]
    second = post_submission(client, token, xml, (("home.jpg", JPEG),))
    assert second.get_json() == {"outcome": "attached", "instance_id": "uuid:web-split", "missing": [],
                                 "message": "已补传文件。"}
    assert post_submission(client, token, xml, (("home.jpg", JPEG),)).get_json()["missing"] == []
    assert db.session.scalar(select(func.count()).select_from(SubmissionVersion)) == 1


def test_a_returned_visit_is_edited_in_the_browser_and_leaves_the_redo_list(client, station):
    token = signed_in(client, "worker1", "Worker-pass-1")
    assert post_submission(client, token, home_visit_xml(client, instance_id="uuid:web-r", photo="home.jpg"),
                           (("home.jpg", JPEG),)).status_code == 201
    head = db.session.scalar(select(User).where(User.username == "head1"))
    submission = db.session.scalar(select(Submission).where(Submission.instance_id == "uuid:web-r"))
    review.return_to_worker(submission, head, "照片看不清，请补拍")
    db.session.commit()

    page = client.get("/fill/").get_data(as_text=True)
    assert "照片看不清，请补拍" in page and 'href="/fill/returned/uuid:web-r"' in page
    edit_page = client.get("/fill/returned/uuid:web-r").get_data(as_text=True)
    assert 'data-edit-of="uuid:web-r"' in edit_page and "照片看不清" in edit_page
    assert client.get("/fill/returned/uuid:web-r/instance.xml").data == submission.versions[0].xml
    with client.get("/fill/returned/uuid:web-r/files/home.jpg") as photo:
        assert photo.status_code == 200 and photo.data == JPEG
    other = client.application.test_client()
    signed_in(other, "worker_b", "Worker-pass-2")
    for url in ("/fill/returned/uuid:web-r", "/fill/returned/uuid:web-r/instance.xml",
                "/fill/returned/uuid:web-r/files/home.jpg"):
        assert other.get(url).status_code == 404, url  # another station's worker never sees it

    edit = home_visit_xml(client, instance_id="uuid:web-r2", photo="home.jpg", deprecated="uuid:web-r")
    answer = post_submission(client, token, edit)  # the photo is kept from the version it replaces
    assert answer.status_code == 201
    assert answer.get_json() == {"outcome": "edited", "instance_id": "uuid:web-r2", "missing": [],
                                 "message": "修改已提交。"}
    db.session.expire_all()
    assert db.session.get(Case, "case-a").redo is False
    assert submission.review_state == "edited"
    assert "uuid:web-r" not in client.get("/fill/").get_data(as_text=True).split("待重做")[-1]
    assert client.get("/fill/returned/uuid:web-r").status_code == 404  # nothing left to redo


def test_resident_feedback_is_not_among_a_workers_forms_and_is_refused_with_a_reason(client, station):
    publish_form((FORMS / "resident_feedback.xlsx").read_bytes(), "resident_feedback.xlsx")
    db.session.commit()
    token = signed_in(client, "worker1", "Worker-pass-1")
    assert "居民满意度评价" not in client.get("/fill/").get_data(as_text=True)
    page = client.get("/fill/resident_feedback")
    assert page.status_code == 403 and "门牌" in page.get_data(as_text=True)  # says where residents answer
    xml = (b'<resident_feedback id="resident_feedback" version="2026112801"><service_received>elderly'
           b'</service_received><satisfaction>5</satisfaction><meta><instanceID>uuid:self-rated</instanceID>'
           b'</meta></resident_feedback>')
    refused = post_submission(client, token, xml)
    assert refused.status_code == 403 and refused.get_json()["code"] == "403.3"
    assert db.session.scalar(select(func.count()).select_from(Submission)) == 0


def test_a_visit_for_another_stations_case_is_refused_with_a_reason(client, station):
    token = signed_in(client, "worker1", "Worker-pass-1")
    response = post_submission(client, token, home_visit_xml(client, case_id="case-b", instance_id="uuid:web-x"))
    assert response.status_code == 403 and response.get_json()["message"]
    assert db.session.scalar(select(func.count()).select_from(Submission)) == 0


def test_the_service_worker_keeps_the_bundle_and_the_forms_pages(client, station):
    response = client.get("/fill/sw.js")
    assert response.status_code == 200 and response.mimetype == "text/javascript"
    body = response.get_data(as_text=True)
    assert "/static/vendor/webforms/web-forms.js?v=" in body and "/static/js/fill.js?v=" in body
    assert '"/fill/"' in body and "/fill/status" in body  # its scope; the status is never kept
    signed_in(client, "worker1", "Worker-pass-1")
    page = client.get("/fill/").get_data(as_text=True)
    version = re.search(r"fill\.js\?v=(\w+)", body).group(1)
    assert f"fill.js?v={version}" in page  # the page loads exactly what the service worker keeps
