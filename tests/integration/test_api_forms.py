from io import BytesIO

import pytest

from tests.support.xlsforms import simple_form


@pytest.fixture
def api_token(client, make_user):
    def login(username: str, role: str, scope: str) -> str:
        make_user(username, role, scope, "Secret-pass-1")
        response = client.post("/api/v1/sessions", json={"username": username, "password": "Secret-pass-1"})
        assert response.status_code == 201, response.json
        return response.json["token"]

    return login


def auth(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def test_session_wrong_password_is_401_json(client, make_user):
    make_user("lisi", "admin", "530100", "Secret-pass-1")
    response = client.post("/api/v1/sessions", json={"username": "lisi", "password": "nope"})
    assert response.status_code == 401 and response.json["code"] == "401.2"


def test_session_body_is_validated(client, network):
    response = client.post("/api/v1/sessions", json={"username": "x"})
    assert response.status_code == 400 and "password" in response.json["details"]["fields"]
    response = client.post("/api/v1/sessions", data="not json")
    assert response.status_code == 400


def test_admin_publishes_a_form_through_the_api(client, api_token):
    token = api_token("city", "admin", "530100")
    data = {"file": (BytesIO(simple_form()), "simple.xlsx")}
    response = client.post("/api/v1/forms", data=data, headers=auth(token), content_type="multipart/form-data")
    assert response.status_code == 201, response.json
    assert response.json["outcome"] == "created" and response.json["version"] == "2026010101"
    again = client.post("/api/v1/forms", data={"file": (BytesIO(simple_form()), "simple.xlsx")},
                        headers=auth(token), content_type="multipart/form-data")
    assert again.status_code == 200 and again.json["outcome"] == "unchanged"
    listed = client.get("/api/v1/forms", headers=auth(token)).json["forms"]
    assert listed[0]["xml_form_id"] == "simple" and listed[0]["current_version"]["title"] == "简单表单"


def test_same_version_changed_content_is_409_through_the_api(client, api_token):
    token = api_token("city", "admin", "530100")
    client.post("/api/v1/forms", data={"file": (BytesIO(simple_form()), "simple.xlsx")}, headers=auth(token),
                content_type="multipart/form-data")
    response = client.post("/api/v1/forms", data={"file": (BytesIO(simple_form(label="全名")), "simple.xlsx")},
                           headers=auth(token), content_type="multipart/form-data")
    assert response.status_code == 409 and response.json["code"] == "409.3"


def test_broken_form_is_400_with_the_designers_message(client, api_token):
    token = api_token("city", "admin", "530100")
    response = client.post("/api/v1/forms", data={"file": (BytesIO(b"junk"), "junk.xlsx")}, headers=auth(token),
                           content_type="multipart/form-data")
    assert response.status_code == 400 and response.json["code"] == "400.3"
    missing = client.post("/api/v1/forms", data={}, headers=auth(token), content_type="multipart/form-data")
    assert missing.status_code == 400 and missing.json["code"] == "400.1"


def test_only_admins_publish(client, api_token):
    token = api_token("wuhua", "county", "530102")
    response = client.post("/api/v1/forms", data={"file": (BytesIO(simple_form()), "simple.xlsx")},
                           headers=auth(token), content_type="multipart/form-data")
    assert response.status_code == 403 and response.json["code"] == "403.1"


def test_no_or_revoked_token_is_401(client, api_token):
    assert client.get("/api/v1/forms").status_code == 401
    assert client.get("/api/v1/forms", headers=auth("made-up")).status_code == 401
    token = api_token("city", "admin", "530100")
    assert client.get("/api/v1/forms", headers=auth(token)).status_code == 200
    assert client.delete("/api/v1/sessions/current", headers=auth(token)).status_code == 204
    assert client.get("/api/v1/forms", headers=auth(token)).status_code == 401
