"""Submissions told as the stories ODK Collect plays out (OPENROSA.md §3)."""
from xml.etree import ElementTree as ET

import pytest
from sqlalchemy import func, select

from server.extensions import db
from server.models import Blob, Case, Submission, SubmissionAttachment, SubmissionVersion
from tests.support.collect import Part, multipart_body
from tests.support.visit_form import visit_xml

RESPONSE_NS = "{http://openrosa.org/http/response}"
JPEG_A = b"\xff\xd8\xff\xe0" + b"photo-A" * 1000
JPEG_B = b"\xff\xd8\xff\xe0" + b"photo-B" * 2000
IID = "uuid:3f2504e0-4f89-41d3-9a0c-0305e82c3301"


def message(response) -> str:
    root = ET.fromstring(response.data)
    assert root.tag == f"{RESPONSE_NS}OpenRosaResponse"
    return root.find(f"{RESPONSE_NS}message").text


def assert_submission_headers(response):
    assert response.headers["X-OpenRosa-Version"] == "1.0"
    assert response.headers["X-OpenRosa-Accept-Content-Length"] == "100000000"
    assert response.headers["Content-Type"] == "text/xml; charset=utf-8"
    assert response.headers["Cache-Control"] == "no-store"


def counts() -> tuple[int, int, int, int]:
    return tuple(db.session.scalar(select(func.count()).select_from(m))
                 for m in (Submission, SubmissionVersion, SubmissionAttachment, Blob))


def stored(name: str) -> bytes | None:
    from flask import current_app

    attachment = db.session.scalars(select(SubmissionAttachment).where(SubmissionAttachment.name == name)).first()
    if attachment is None or attachment.blob_sha256 is None:
        return None
    with current_app.extensions["media"].open(attachment.blob_sha256) as handle:
        return handle.read()


def test_full_story_list_download_manifest_head_post_with_two_photos(collect):
    assert collect.get("/formList").status_code == 200
    assert collect.get("/forms/visit.xml").status_code == 200
    assert collect.get("/forms/visit/manifest").status_code == 200
    head = collect.head_submission()
    assert head.status_code == 204 and head.data == b""
    assert head.headers["X-OpenRosa-Accept-Content-Length"] == "100000000"
    response = collect.submit(visit_xml(IID, photo="a.jpg", photo2="b.jpg"), [("a.jpg", JPEG_A), ("b.jpg", JPEG_B)])
    assert response.status_code == 201, response.data
    assert_submission_headers(response)
    assert message(response).startswith("提交成功")
    submission = db.session.scalars(select(Submission)).one()
    assert submission.station_code == "530102001" and submission.review_state == "received"
    version = submission.versions[0]
    assert version.device_id == "collect:AbCdEfGh12345678" and version.user_agent.startswith("org.odk.collect")
    assert stored("a.jpg") == JPEG_A and stored("b.jpg") == JPEG_B


def test_values_are_typed_by_the_forms_binds(collect):
    collect.submit(visit_xml(IID), [])
    version = db.session.scalars(select(SubmissionVersion)).one()
    data = version.data
    assert data["age"] == 67 and data["income"] == 1250.5 and data["visit_date"] == "2026-11-20"
    assert data["needs"] == ["care", "school"]
    assert data["location"] == {"latitude": 25.0406, "longitude": 102.7123, "altitude": 1891.5, "accuracy": 4.8}
    assert data["member"] == [{"member_name": "李强", "member_age": 40}, {"member_name": "李娜", "member_age": 12}]
    assert data["photo"] == "1714558951234.jpg" and data["photo2"] is None
    assert data["meta"]["instanceID"] == IID
    assert (version.latitude, version.longitude, version.accuracy) == (25.0406, 102.7123, 4.8)
    assert version.xml == visit_xml(IID)  # byte-exact


def test_split_upload_completes_over_two_posts(collect):
    xml = visit_xml(IID, photo="a.jpg", photo2="b.jpg")
    first = collect.submit(xml, [("a.jpg", JPEG_A)], incomplete=True)
    assert first.status_code == 201
    assert stored("a.jpg") == JPEG_A and stored("b.jpg") is None
    second = collect.submit(xml, [("b.jpg", JPEG_B)])
    assert second.status_code == 201
    assert stored("b.jpg") == JPEG_B
    assert counts()[:2] == (1, 1)


def test_retry_of_an_accepted_submission_is_201_and_changes_nothing(collect):
    xml = visit_xml(IID, photo="a.jpg")
    collect.submit(xml, [("a.jpg", JPEG_A)])
    before = counts()
    again = collect.submit(xml, [("a.jpg", JPEG_A)])
    assert again.status_code == 201
    assert counts() == before


def test_same_instance_id_with_different_xml_is_409_and_changes_nothing(collect):
    collect.submit(visit_xml(IID), [])
    before = counts()
    response = collect.submit(visit_xml(IID, person="张三"), [])
    assert response.status_code == 409
    assert "different XML" in message(response) and "完全相同" in message(response)
    assert counts() == before
    assert db.session.scalars(select(SubmissionVersion)).one().data["person"] == "王芳"


def test_edit_creates_a_new_version_marked_edited_and_keeps_photos(collect):
    collect.submit(visit_xml(IID, photo="a.jpg"), [("a.jpg", JPEG_A)])
    edit_id = "uuid:3f2504e0-4f89-41d3-9a0c-0305e82c3302"
    response = collect.submit(visit_xml(edit_id, person="王芳芳", photo="a.jpg", deprecated_id=IID), [])
    assert response.status_code == 201 and message(response).startswith("修改")
    submission = db.session.scalars(select(Submission)).one()
    assert submission.review_state == "edited" and submission.instance_id == IID
    old, new = submission.versions
    assert not old.current and new.current and new.deprecated_id == IID and new.data["person"] == "王芳芳"
    assert [a.blob_sha256 for a in new.attachments] == [a.blob_sha256 for a in old.attachments]
    same_again = collect.submit(visit_xml(edit_id, person="王芳芳", photo="a.jpg", deprecated_id=IID), [])
    assert same_again.status_code == 201 and counts()[1] == 2


def test_stale_edit_and_resubmitting_the_superseded_original_are_409(collect):
    collect.submit(visit_xml(IID), [])
    collect.submit(visit_xml("uuid:edit-1", deprecated_id=IID, person="一改"), [])
    stale = collect.submit(visit_xml("uuid:edit-2", deprecated_id=IID, person="二改"), [])
    assert stale.status_code == 409 and "out of date" in message(stale)
    original = collect.submit(visit_xml(IID), [])
    assert original.status_code == 409
    assert counts()[1] == 2


def test_edit_of_an_unknown_submission_is_404(collect):
    response = collect.submit(visit_xml("uuid:edit", deprecated_id="uuid:0b1e7c3a-0000-4000-8000-00000000dead"), [])
    assert response.status_code == 404 and "uuid:0b1e7c3a-0000-4000-8000-00000000dead" in message(response)


def test_unreferenced_parts_are_not_kept(collect):
    collect.submit(visit_xml(IID, photo="a.jpg"), [("a.jpg", JPEG_A), ("other.jpg", JPEG_B)])
    names = [a.name for a in db.session.scalars(select(SubmissionAttachment))]
    assert names == ["a.jpg"] and counts()[3] == 1


def test_chinese_attachment_and_form_title_file_names_survive(collect):
    name = "入户照片_王芳.jpg"
    response = collect.submit(visit_xml(IID, photo=name), [(name, JPEG_A)],
                              xml_filename="入户访视（测试）_2026-11-28_10-22-31.xml")
    assert response.status_code == 201
    assert stored(name) == JPEG_A


def test_same_photo_in_two_submissions_is_stored_once(collect):
    collect.submit(visit_xml(IID, photo="a.jpg"), [("a.jpg", JPEG_A)])
    collect.submit(visit_xml("uuid:other", photo="a.jpg"), [("a.jpg", JPEG_A)])
    assert counts() == (2, 2, 2, 1)


def test_submission_is_linked_to_a_case_of_the_station(collect):
    db.session.add(Case(id="11111111-1111-4111-8111-111111111111", label="张桂英", station_code="530102001"))
    db.session.commit()
    collect.submit(visit_xml(IID, case="11111111-1111-4111-8111-111111111111"), [])
    assert db.session.scalars(select(Submission)).one().case_id == "11111111-1111-4111-8111-111111111111"


def test_a_case_of_another_station_is_refused(collect):
    db.session.add(Case(id="22222222-2222-4222-8222-222222222222", label="外站", station_code="530103001"))
    db.session.commit()
    response = collect.submit(visit_xml(IID, case="22222222-2222-4222-8222-222222222222"), [])
    assert response.status_code == 403 and counts() == (0, 0, 0, 0)


# --- every error path: status and OpenRosa XML body ---------------------------------------

def post_raw(collect, body: bytes, content_type: str | None):
    kwargs = {"data": body}
    if content_type:
        kwargs["content_type"] = content_type
    return collect.request("POST", "/submission", **kwargs)


@pytest.mark.parametrize("case,status,text", [
    ("no_xml_part", 400, "xml_submission_file"),
    ("xml_under_other_name", 400, "xml_submission_file"),
    ("not_multipart", 400, "xml_submission_file"),
    ("empty_body", 400, "xml_submission_file"),
    ("malformed_xml", 400, "well-formed"),
    ("not_xml", 400, "well-formed"),
    ("no_form_id", 400, "form ID"),
    ("unknown_form", 404, "表单"),
    ("unknown_version", 404, "'2'"),
    ("two_xml_parts", 400, "more than once"),
    ("bad_integer", 400, "age"),
    ("bad_geopoint", 400, "location"),
])
def test_error_paths(collect, case, status, text):
    xml = visit_xml(IID)
    bodies = {
        "no_xml_part": multipart_body([Part("a.jpg", JPEG_A, "image/jpeg", "a.jpg")]),
        "xml_under_other_name": multipart_body([Part("file", xml, "text/xml", "x.xml")]),
        "not_multipart": (xml, "text/xml"),
        "empty_body": (b"", None),
        "malformed_xml": multipart_body([Part("xml_submission_file", xml[:-10], "text/xml", "x.xml")]),
        "not_xml": multipart_body([Part("xml_submission_file", b"hello", "text/xml", "x.xml")]),
        "no_form_id": multipart_body([Part("xml_submission_file", xml.replace(b' id="visit"', b""), "text/xml",
                                           "x.xml")]),
        "unknown_form": multipart_body([Part("xml_submission_file", visit_xml(IID, form_id="nosuchform"),
                                             "text/xml", "x.xml")]),
        "unknown_version": multipart_body([Part("xml_submission_file", visit_xml(IID, version="2"), "text/xml",
                                                "x.xml")]),
        "two_xml_parts": multipart_body([Part("xml_submission_file", xml, "text/xml", "x.xml"),
                                         Part("xml_submission_file", xml, "text/xml", "y.xml")]),
        "bad_integer": multipart_body([Part("xml_submission_file", visit_xml(IID, age="sixty"), "text/xml",
                                            "x.xml")]),
        "bad_geopoint": multipart_body([Part("xml_submission_file", visit_xml(IID, location="95 200 0 5"),
                                             "text/xml", "x.xml")]),
    }
    body, content_type = bodies[case]
    response = post_raw(collect, body, content_type)
    assert response.status_code == status, response.data
    assert_submission_headers(response)
    assert text in message(response)
    assert ET.fromstring(response.data).find(f"{RESPONSE_NS}message").get("nature") == "error"
    assert counts() == (0, 0, 0, 0)


def test_closed_form_refuses_submissions_with_409(collect):
    from server.models import Form, FormState

    db.session.query(Form).update({Form.state: FormState.CLOSED})
    db.session.commit()
    response = collect.submit(visit_xml(IID), [])
    assert response.status_code == 409 and counts() == (0, 0, 0, 0)


def test_post_never_answers_200_or_204(collect):
    statuses = {collect.submit(visit_xml(IID), []).status_code, collect.submit(visit_xml(IID), []).status_code}
    assert statuses == {201}


def test_submission_without_instance_id_is_deduplicated_by_content(collect):
    xml = visit_xml(IID).replace(f"<instanceID>{IID}</instanceID>".encode(), b"")
    assert collect.submit(xml, []).status_code == 201
    assert collect.submit(xml, []).status_code == 201
    assert counts()[0] == 1
    assert db.session.scalars(select(Submission)).one().instance_id.startswith("sha256:")


def test_instance_id_of_another_form_is_refused(collect):
    from server.services.forms import publish_form
    from tests.support.visit_form import visit_xlsform

    publish_form(visit_xlsform().replace(b"visit", b"visit"), "visit.xlsx")
    collect.submit(visit_xml(IID), [])
    from tests.support.xlsforms import simple_form

    publish_form(simple_form(form_id="other"), "other.xlsx")
    db.session.commit()
    other = (f"<data id=\"other\" version=\"2026010101\"><person>x</person><case/>"
             f"<meta><instanceID>{IID}</instanceID></meta></data>").encode()
    response = collect.submit(other, [])
    assert response.status_code == 409 and counts()[0] == 1


def test_an_edit_sent_days_after_the_visit_is_not_flagged_as_a_wrong_clock(collect):
    """An edit's dates are judged against when the edit arrives, not when the first version did."""
    from datetime import timedelta

    from server.domain.clock import today_in_china
    from server.models.types import utcnow

    def on_today(xml: bytes) -> bytes:
        return xml.replace(b"<visit_date>2026-11-20</visit_date>",
                           f"<visit_date>{today_in_china().isoformat()}</visit_date>".encode())

    assert collect.submit(on_today(visit_xml("uuid:e1", photo=None))).status_code == 201
    submission = db.session.scalars(select(Submission).where(Submission.instance_id == "uuid:e1")).one()
    assert not submission.flags
    submission.created_at = utcnow() - timedelta(days=20)  # the edit's visit_date is then far after it
    db.session.commit()
    assert collect.submit(on_today(visit_xml("uuid:e2", photo=None, deprecated_id="uuid:e1"))).status_code == 201
    db.session.expire_all()
    edited = db.session.scalars(select(Submission).where(Submission.instance_id == "uuid:e1")).one()
    assert len(edited.versions) == 2 and not edited.flags
