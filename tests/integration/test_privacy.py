"""Privacy stories on both databases: masking by role, the audit log, thumbnails without EXIF, and erasing a
case on request while the indicators of past periods stay exactly as they were."""
import re
import uuid
import zipfile
from datetime import timedelta
from io import BytesIO

import pytest
from PIL import Image
from sqlalchemy import select

from server.domain.clock import today_in_china
from server.extensions import db
from server.media import media_storage
from server.models import AuditEvent, Blob, Case, Submission
from server.services.erasure import ERASED_LABEL
from tests.integration.test_cases_from_visits import field_forms, phone  # noqa: F401
from tests.support.instances import fill_instance
from tests.support.web import post_form, sign_in

TODAY = today_in_china()
ID_NUMBER = "530102194805021234"
PASSWORD = "Secret-pass-1"


def photo(colour: tuple[int, int, int]) -> bytes:
    """A phone photo that says where it was taken (EXIF GPS)."""
    exif = Image.Exif()
    exif.get_ifd(0x8825).update({1: "N", 2: (25.0, 2.0, 26.0), 3: "E", 4: (102.0, 42.0, 44.0)})
    out = BytesIO()
    Image.new("RGB", (640, 480), colour).save(out, format="JPEG", exif=exif.tobytes())
    return out.getvalue()


def visit(phone, case_id: str, new: bool, visit_date, photo_bytes: bytes, name: str = "张桂英"):
    values = {"case_mode": "new" if new else "existing", "visit_date": visit_date.isoformat(),
              "location": "25.04 102.71 1890 5", "risk_level": "medium", "situation/health_status": "poor",
              "photos/photo_home": "home.jpg"}
    if new:
        values.update({"registration/reg_name": name, "registration/reg_gender": "female",
                       "registration/reg_birth_date": "1948-05-02", "registration/reg_category": "destitute",
                       "registration/reg_village": "530102001001", "registration/reg_id_number": ID_NUMBER,
                       "registration/reg_phone": "13812345678"})
    else:
        values["case"] = case_id
    entity = {"id": case_id, "create": "1" if new else "0", "update": "0" if new else "1",
              "label": f"{name} · 团结社区", **({} if new else {"baseVersion": "1"})}
    instance_id = f"uuid:{uuid.uuid4()}"
    xml = fill_instance(phone.xform["home_visit"], values, instance_id, entity=entity,
                        drop=("case",) if new else ("registration",))
    response = phone.submit(xml, [("home.jpg", photo_bytes)])
    assert response.status_code == 201, response.data
    return instance_id


@pytest.fixture
def served(phone, make_user):
    """At 华山: 张桂英 (two visits with photos, one photo also in 李明's visit), and 李明; people of every role."""
    worker = phone("worker_a", "530102001")
    kept_photo = photo((120, 150, 110))
    case_id, other_id = str(uuid.uuid4()), str(uuid.uuid4())
    first = visit(worker, case_id, True, TODAY - timedelta(days=40), photo((186, 140, 99)))
    second = visit(worker, case_id, False, TODAY - timedelta(days=10), kept_photo)
    other = visit(worker, other_id, True, TODAY - timedelta(days=20), kept_photo, name="李明")
    for username, role, scope in (("city", "admin", "530100"), ("wuhua", "county", "530102"),
                                  ("huashan", "station", "530102001")):
        make_user(username, role, scope, PASSWORD)
    return {"case": case_id, "visits": (first, second), "other_case": other_id, "other_visit": other}


def bearer(client, username: str) -> dict[str, str]:
    password = "Worker-pass-1" if username.startswith("worker") else PASSWORD  # the phone fixture's
    token = client.post("/api/v1/sessions", json={"username": username, "password": password}).json["token"]
    return {"Authorization": f"Bearer {token}"}


def audit_trail() -> list[tuple[str, str, str | None]]:
    return [(e.username, e.action, e.object_id) for e in db.session.scalars(select(AuditEvent).order_by(AuditEvent.id))]


def test_id_numbers_and_health_details_are_masked_by_role(client, served):
    case_id, (first, _) = served["case"], served["visits"]
    sign_in(client, "huashan", PASSWORD)
    page = client.get(f"/cases/{case_id}").get_data(as_text=True)
    assert "5301**********1234" in page and ID_NUMBER not in page and "13812345678" in page
    assert ID_NUMBER not in client.get(f"/submissions/{first}").get_data(as_text=True)
    client.post("/logout")
    sign_in(client, "wuhua", PASSWORD)
    assert ID_NUMBER in client.get(f"/cases/{case_id}").get_data(as_text=True)
    assert ID_NUMBER in client.get(f"/submissions/{first}").get_data(as_text=True)

    worker = bearer(client, "worker_a")
    data = client.get(f"/api/v1/submissions/{first}", headers=worker).json["data"]
    assert data["situation"]["health_status"] == "***" and data["registration"]["reg_id_number"] == "5301**********1234"
    assert client.get(f"/api/v1/cases/{case_id}", headers=worker).json["properties"]["id_number"] == "5301**********1234"
    station = client.get(f"/api/v1/submissions/{first}", headers=bearer(client, "huashan")).json["data"]
    assert station["situation"]["health_status"] == "poor"
    assert client.get(f"/api/v1/cases/{case_id}", headers=bearer(client, "wuhua")).json["properties"]["id_number"] \
        == ID_NUMBER
    export = client.get("/api/v1/submissions/export?format=csv&form=home_visit", headers=worker)
    assert export.status_code == 200 and ID_NUMBER.encode() not in export.data


def test_thumbnails_reach_the_browser_without_the_photos_location(client, served):
    first = served["visits"][0]
    sign_in(client, "wuhua", PASSWORD)
    with client.get(f"/media/{first}/home.jpg") as original:
        with Image.open(BytesIO(original.data)) as image:
            assert 0x8825 in image.getexif()  # the original is kept as the phone sent it
    for size in (240, 640):
        with client.get(f"/media/{first}/home.jpg?size={size}") as thumbnail:
            assert thumbnail.status_code == 200
            with Image.open(BytesIO(thumbnail.data)) as image:
                assert not image.getexif() and "exif" not in image.info


def test_views_changes_and_exports_are_in_the_audit_log_for_admins_only(client, served):
    case_id, (first, _) = served["case"], served["visits"]
    sign_in(client, "wuhua", PASSWORD)
    client.get(f"/cases/{case_id}")
    client.get(f"/submissions/{first}")
    with client.get(f"/media/{first}/home.jpg"):
        pass
    post_form(client, f"/submissions/{first}", f"/submissions/{first}/review", {"review_state": "approved"})
    with client.get("/submissions/export?format=csv&form=home_visit") as export:
        assert export.status_code == 200
    client.get(f"/api/v1/cases/{case_id}", headers=bearer(client, "wuhua"))
    assert client.get("/audit").status_code == 404
    assert client.get("/api/v1/audit", headers=bearer(client, "wuhua")).status_code == 404
    assert audit_trail() == [("wuhua", "case.view", case_id), ("wuhua", "submission.view", first),
                             ("wuhua", "media.view", f"{first}/home.jpg"), ("wuhua", "submission.view", first),
                             ("wuhua", "submission.review", first), ("wuhua", "export", "csv"),
                             ("wuhua", "case.view", case_id)]
    assert db.session.scalars(select(AuditEvent)).first().client_ip == "127.0.0.1"

    client.post("/logout")
    sign_in(client, "city", PASSWORD)
    page = client.get("/audit?user=wuhua&object_type=submission").get_data(as_text=True)
    assert page.count("查看提交") == 2 and "审核提交" in page and "查看个案" not in page  # actions in words
    assert "submission.view" not in page
    admin, seen, cursor = bearer(client, "city"), [], None
    while True:
        body = client.get("/api/v1/audit?user=wuhua&limit=3" + (f"&cursor={cursor}" if cursor else ""),
                          headers=admin).json
        seen += [e["action"] for e in body["events"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert seen == [a for _u, a, _o in reversed(audit_trail()) if _u == "wuhua"]  # newest first, each once


def test_erasing_a_case_removes_its_personal_data_and_media_but_no_indicator_moves(client, runner, served):
    case_id, visits = served["case"], served["visits"]
    admin = bearer(client, "city")
    queries = [f"area={area}&from={start}&to={end}" for area in ("530100", "530102", "530102001")
               for start, end in ((TODAY - timedelta(days=60), TODAY - timedelta(days=15)),
                                  (TODAY - timedelta(days=30), TODAY))]

    def indicators():
        return [client.get(f"/api/v1/indicators?{q}", headers=admin).json for q in queries]

    before = indicators()
    assert before[1]["coverage"]["numerator"] == before[1]["coverage"]["denominator"] == 1  # 张桂英 counts
    kept = [v for s in db.session.scalars(select(Submission).where(Submission.instance_id.in_(visits)))
            for v in s.versions]
    assert kept and all(v.export_key for v in kept) and any("张桂英" in v.export_cells for v in kept)  # the export's
    storage = media_storage()
    erased_file = photo_sha(visits[0])
    kept_file = photo_sha(served["other_visit"])
    sign_in(client, "wuhua", PASSWORD)
    with client.get(f"/media/{visits[0]}/home.jpg?size=240"):
        pass  # a thumbnail now exists too
    assert storage.derived_exists(f"{erased_file}-240.jpg")

    result = runner.invoke(args=["erase-case", case_id, "--reason", "本人 2026-11-27 书面申请"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()

    assert indicators() == before
    case = db.session.get(Case, case_id)
    assert case.label == ERASED_LABEL and case.properties == {} and case.erased_at is not None
    assert case.category_codes == ["destitute"] and case.station_code == "530102001"
    for instance_id in visits:
        submission = db.session.scalars(select(Submission).where(Submission.instance_id == instance_id)).one()
        assert submission.visit_date is not None and submission.case_id == case_id
        assert all(v.data == {} and v.xml == b"" and v.latitude is None and not v.attachments
                   and v.export_cells is None and v.export_key is None for v in submission.versions)
    assert not storage.exists(erased_file) and db.session.get(Blob, erased_file) is None
    assert not storage.derived_exists(f"{erased_file}-240.jpg")
    assert storage.exists(kept_file) and db.session.get(Blob, kept_file) is not None  # 李明's visit still uses it
    page = client.get(f"/cases/{case_id}").get_data(as_text=True)
    assert 'id="erased"' in page and "张桂英" not in page and "1234" not in page
    assert 'id="erased"' in client.get(f"/submissions/{visits[0]}").get_data(as_text=True)
    with client.get("/submissions/export?format=csv&form=home_visit") as export:  # a county reads kept cells
        assert export.status_code == 200 and "张桂英".encode() not in zip_text(export.get_data())
    assert client.get(f"/media/{visits[0]}/home.jpg").status_code == 404
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "case.erase")).one()
    assert (event.username, event.object_id, event.detail["reason"]) == ("cli", case_id, "本人 2026-11-27 书面申请")
    assert event.detail["files"] == 1 and event.detail["submissions"] == 2


def zip_text(data: bytes) -> bytes:
    with zipfile.ZipFile(BytesIO(data)) as archive:
        return b"".join(archive.read(name) for name in archive.namelist())


def photo_sha(instance_id: str) -> str:
    submission = db.session.scalars(select(Submission).where(Submission.instance_id == instance_id)).one()
    return next(a.blob_sha256 for v in submission.versions for a in v.attachments)


def test_only_admins_erase_through_the_api_and_a_refused_erasure_changes_nothing(client, served):
    case_id = served["case"]
    first = photo_sha(served["visits"][0])
    url = f"/api/v1/cases/{case_id}/erasure"
    assert client.post(url, json={"reason": "x"}, headers=bearer(client, "wuhua")).status_code == 403
    assert client.post(url, json={"reason": " "}, headers=bearer(client, "city")).status_code == 400
    db.session.expire_all()
    assert db.session.get(Case, case_id).erased_at is None and media_storage().exists(first)
    response = client.post(url, json={"reason": "本人申请"}, headers=bearer(client, "city"))
    assert response.status_code == 200 and response.json["files"] == 1
    db.session.expire_all()
    assert db.session.get(Case, case_id).erased_at is not None and not media_storage().exists(first)
    shown = client.get(f"/api/v1/cases/{case_id}", headers=bearer(client, "city")).json
    assert shown["erased_at"] and shown["label"] == ERASED_LABEL and shown["properties"] == {}


# Everything that answers without signing in. None of it serves a photo; a new entry here must either keep it
# that way or pass its images through ``adapters.images.without_location`` (docs/cases.md).
PUBLIC_ENDPOINTS = {"static", "web.home", "web.login", "web.set_language", "web.feedback_page", "web.certificate_verify",
                    "web.fill_service_worker",
                    "health.healthz", "api.openapi_document"}


def test_no_path_open_without_signing_in_serves_a_photo(app, client):
    public = {}
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods:
            continue
        url = re.sub(r"<[^>]+>", "x", re.sub(r"<int:[^>]+>", "1", rule.rule))  # a value each converter accepts
        response = client.get(url, headers={"X-OpenRosa-Version": "1.0"})
        signed_out = response.status_code in (401, 403) or "/login" in response.headers.get("Location", "")
        if not signed_out:
            public[rule.endpoint] = response.mimetype
    assert set(public) <= PUBLIC_ENDPOINTS and "web.feedback_page" in public
    assert not [endpoint for endpoint, mimetype in public.items() if mimetype.startswith("image/")]
