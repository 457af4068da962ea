"""Putting a phone on the server: settings JSON, the settings QR code, token reissue and revocation."""
import json

from server.domain.collect_settings import read_qr_payload
from server.extensions import db
from server.services.accounts import active_collect_token
from tests.support.qr import decode_qr


def test_collect_settings_command_prints_json_and_writes_a_scannable_qr(runner, worker, tmp_path, client):
    qr = tmp_path / "worker1.png"
    result = runner.invoke(args=["collect-settings", "worker1", "--qr", str(qr)])
    assert result.exit_code == 0, result.output
    settings = json.loads(result.output.splitlines()[0])
    token = active_collect_token(worker).token
    assert settings["general"]["server_url"] == f"https://lastmeter.example.cn/key/{token}"
    assert settings["general"]["form_update_mode"] == "match_exactly"
    assert settings["general"]["autosend"] == "wifi_and_cellular"
    assert settings["project"]["name"] == "昆明市五华区华山街道社会工作服务站"
    assert settings["admin"] == {}
    decoded = read_qr_payload(decode_qr(qr.read_bytes()).encode())
    assert decoded == settings
    path = decoded["general"]["server_url"].removeprefix("https://lastmeter.example.cn")
    assert client.get(f"{path}/formList", headers={"X-OpenRosa-Version": "1.0"}).status_code == 200


def test_revoke_and_reissue_commands(runner, worker, client):
    old = active_collect_token(worker).token
    assert runner.invoke(args=["revoke-token", "worker1"]).exit_code == 0
    assert client.get(f"/key/{old}/formList", headers={"X-OpenRosa-Version": "1.0"}).status_code == 403
    assert runner.invoke(args=["collect-settings", "worker1"]).exit_code == 1  # nothing to show until reissued
    result = runner.invoke(args=["reissue-token", "worker1"])
    assert result.exit_code == 0
    new = active_collect_token(worker).token
    assert new != old and new in result.output
    assert client.get(f"/key/{new}/formList", headers={"X-OpenRosa-Version": "1.0"}).status_code == 200


def test_collect_settings_for_an_office_user_is_refused(runner, make_user, visit_form):
    make_user("wuhua", "county", "530102", "Wuhua-2026-x")
    result = runner.invoke(args=["collect-settings", "wuhua"])
    assert result.exit_code == 1


def login(client, make_user, username, role, scope):
    make_user(username, role, scope, "Secret-pass-1")
    token = client.post("/api/v1/sessions", json={"username": username, "password": "Secret-pass-1"}).json["token"]
    return {"Authorization": f"Bearer {token}"}


def test_admin_reissues_and_revokes_through_the_api(client, make_user, worker):
    headers = login(client, make_user, "city", "admin", "530100")
    old = active_collect_token(worker).token
    response = client.post("/api/v1/users/worker1/collect-token", headers=headers)
    assert response.status_code == 201
    assert response.json["server_url"].endswith(active_collect_token(worker).token)
    assert read_qr_payload(response.json["qr_payload"].encode()) == response.json["settings"]
    assert client.get(f"/key/{old}/formList", headers={"X-OpenRosa-Version": "1.0"}).status_code == 403
    assert client.delete("/api/v1/users/worker1/collect-token", headers=headers).status_code == 204
    db.session.expire_all()
    assert active_collect_token(worker) is None


def test_county_user_of_another_county_cannot_touch_the_worker(client, make_user, worker):
    headers = login(client, make_user, "panlong", "county", "530103")
    assert client.post("/api/v1/users/worker1/collect-token", headers=headers).status_code == 404
    assert client.get("/api/v1/users/worker1/collect-settings", headers=headers).status_code == 404
    own = login(client, make_user, "wuhua", "county", "530102")
    assert client.get("/api/v1/users/worker1/collect-settings", headers=own).status_code == 200


def test_workers_cannot_manage_tokens(client, make_user, worker):
    headers = login(client, make_user, "worker2", "worker", "530102001")
    assert client.post("/api/v1/users/worker1/collect-token", headers=headers).status_code == 403
