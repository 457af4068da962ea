"""Form list, download and manifest, as ODK Collect fetches them."""
import hashlib
import re
from xml.etree import ElementTree as ET

from server.extensions import db
from server.models import Case, CaseCategoryLink, Form, FormState
from server.services.accounts import active_collect_token, issue_collect_token, revoke_collect_tokens

LIST_NS = "{http://openrosa.org/xforms/xformsList}"
MANIFEST_NS = "{http://openrosa.org/xforms/xformsManifest}"


def assert_openrosa_headers(response):
    assert response.headers["X-OpenRosa-Version"] == "1.0"
    assert response.headers["X-OpenRosa-Accept-Content-Length"] == "100000000"
    assert "Date" in response.headers


def test_form_list_names_each_form_with_the_md5_of_the_bytes_served(collect):
    response = collect.get("/formList")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/xml; charset=utf-8"
    assert "no-cache" in response.headers["Cache-Control"]
    assert_openrosa_headers(response)
    root = ET.fromstring(response.data)
    assert root.tag == f"{LIST_NS}xforms"
    (xform,) = root
    assert all(child.tag.startswith(LIST_NS) for child in xform)  # Collect skips children in other namespaces
    assert xform.find(f"{LIST_NS}formID").text == "visit"
    assert xform.find(f"{LIST_NS}name").text == "入户访视（测试）"
    download = xform.find(f"{LIST_NS}downloadUrl").text
    assert download == f"https://lastmeter.example.cn{collect.base}/forms/visit.xml"
    assert xform.find(f"{LIST_NS}manifestUrl").text.endswith(f"{collect.base}/forms/visit/manifest")
    served = collect.get(download.removeprefix("https://lastmeter.example.cn" + collect.base))
    assert served.status_code == 200 and served.data.startswith(b"<?xml")
    assert xform.find(f"{LIST_NS}hash").text == "md5:" + hashlib.md5(served.data).hexdigest()


def test_form_list_honours_form_id(collect):
    assert b"<formID>visit</formID>" in collect.get("/formList?formID=visit").data
    assert b"<xform>" not in collect.get("/formList?formID=other").data


def test_closed_and_closing_forms_are_not_listed(collect):
    db.session.query(Form).update({Form.state: FormState.CLOSING})
    db.session.commit()
    assert b"<xform>" not in collect.get("/formList").data


def test_form_list_without_openrosa_header_is_400_xml(collect, client):
    response = client.get(f"{collect.base}/formList")
    assert response.status_code == 400
    assert b"X-OpenRosa-Version" in response.data and b"OpenRosaResponse" in response.data


def test_unknown_form_download_is_404(collect):
    response = collect.get("/forms/nosuchform.xml")
    assert response.status_code == 404 and b"OpenRosaResponse" in response.data


def add_case(case_id: str, station: str, label: str, status: str = "open") -> None:
    case = Case(id=case_id, label=label, station_code=station, village_code=None, status=status)
    case.categories = [CaseCategoryLink(category="destitute")]
    db.session.add(case)
    db.session.commit()


def manifest_files(collect) -> dict[str, ET.Element]:
    response = collect.get("/forms/visit/manifest")
    assert response.status_code == 200 and response.headers["Content-Type"] == "text/xml; charset=utf-8"
    assert_openrosa_headers(response)
    root = ET.fromstring(response.data)
    assert root.tag == f"{MANIFEST_NS}manifest"
    return {m.find(f"{MANIFEST_NS}filename").text: m for m in root}


def test_manifest_lists_the_workers_case_list_as_an_entity_list(collect):
    files = manifest_files(collect)
    cases = files["cases.csv"]
    assert cases.get("type") == "entityList"
    url = cases.find(f"{MANIFEST_NS}downloadUrl").text
    assert url == f"https://lastmeter.example.cn{collect.base}/forms/visit/attachments/cases.csv"
    body = collect.get(url.removeprefix("https://lastmeter.example.cn" + collect.base))
    assert body.status_code == 200 and body.headers["Content-Type"].startswith("text/csv")
    assert body.data.decode().splitlines()[0].startswith("name,label,__version,")
    assert cases.find(f"{MANIFEST_NS}hash").text == "md5:" + hashlib.md5(body.data).hexdigest()


def test_case_list_holds_only_the_open_cases_of_the_workers_station(collect):
    add_case("11111111-1111-4111-8111-111111111111", "530102001", "张桂英 · 团结社区")
    add_case("22222222-2222-4222-8222-222222222222", "530103001", "外站对象")
    add_case("33333333-3333-4333-8333-333333333333", "530102001", "已结案对象", status="closed")
    text = collect.get("/forms/visit/attachments/cases.csv").data.decode()
    assert "张桂英 · 团结社区" in text and "11111111-1111-4111-8111-111111111111,张桂英 · 团结社区,1,destitute" in text
    assert "外站对象" not in text and "已结案对象" not in text


def test_case_list_hash_changes_exactly_when_its_content_changes(collect):
    first = manifest_files(collect)["cases.csv"].find(f"{MANIFEST_NS}hash").text
    assert manifest_files(collect)["cases.csv"].find(f"{MANIFEST_NS}hash").text == first
    add_case("22222222-2222-4222-8222-222222222222", "530103001", "外站对象")
    assert manifest_files(collect)["cases.csv"].find(f"{MANIFEST_NS}hash").text == first
    add_case("11111111-1111-4111-8111-111111111111", "530102001", "本站对象")
    assert manifest_files(collect)["cases.csv"].find(f"{MANIFEST_NS}hash").text != first


def test_integrity_reports_closed_cases_and_leaves_out_unknown_ones(collect):
    add_case("11111111-1111-4111-8111-111111111111", "530102001", "在册")
    add_case("33333333-3333-4333-8333-333333333333", "530102001", "结案", status="closed")
    response = collect.get("/datasets/cases/integrity?id=11111111-1111-4111-8111-111111111111,"
                           "33333333-3333-4333-8333-333333333333,44444444-4444-4444-8444-444444444444")
    assert response.status_code == 200 and response.headers["Content-Type"] == "text/xml; charset=utf-8"
    states = {e.get("id"): e.find("deleted").text for e in ET.fromstring(response.data).iter("entity")}
    assert states == {"11111111-1111-4111-8111-111111111111": "false",
                      "33333333-3333-4333-8333-333333333333": "true"}


def test_attachment_not_in_the_form_is_404(collect):
    assert collect.get("/forms/visit/attachments/secret.csv").status_code == 404


def test_unknown_and_revoked_tokens_get_403_never_401(client, collect, worker):
    response = client.get("/key/ThisTokenDoesNotExist0123456789/formList", headers={"X-OpenRosa-Version": "1.0"})
    assert response.status_code == 403 and "WWW-Authenticate" not in response.headers
    assert client.get("/key/bad!token/formList", headers={"X-OpenRosa-Version": "1.0"}).status_code in (403, 404)
    revoke_collect_tokens(worker)
    db.session.commit()
    response = collect.get("/formList")
    assert response.status_code == 403 and b"OpenRosaResponse" in response.data
    new = issue_collect_token(worker)
    db.session.commit()
    assert collect.client.get(f"/key/{new.token}/formList", headers={"X-OpenRosa-Version": "1.0"}).status_code == 200
    assert active_collect_token(worker).token == new.token


def test_token_urls_stay_under_the_token_prefix(collect):
    text = collect.get("/formList").data.decode()
    urls = re.findall(r"<(?:downloadUrl|manifestUrl)>([^<]+)<", text)
    assert urls and all(u.startswith(f"https://lastmeter.example.cn{collect.base}/") for u in urls)


def test_password_urls_have_no_token(collect_password):
    text = collect_password.get("/formList").data.decode()
    assert "<downloadUrl>https://lastmeter.example.cn/forms/visit.xml</downloadUrl>" in text
