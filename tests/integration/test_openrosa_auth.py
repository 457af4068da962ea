"""Password access as ODK Collect does it: a 401 challenge, then Digest (Basic only over HTTPS)."""
from server.extensions import db
from server.domain import digest
from tests.support.collect import CollectClient, HEADERS, _digest_params


def test_unauthenticated_request_gets_a_digest_challenge(client, worker):
    response = client.get("/formList?deviceID=collect%3Aabc", headers=HEADERS)
    assert response.status_code == 401
    challenges = response.headers.getlist("WWW-Authenticate")
    assert len(challenges) == 1  # plain HTTP: no Basic, Collect would not send it anyway
    params = _digest_params(challenges[0])
    assert challenges[0].startswith("Digest ")
    assert params["qop"] == "auth" and params["algorithm"] == "MD5" and params["realm"] == digest.REALM
    assert params["nonce"] and params["opaque"]
    assert b"OpenRosaResponse" in response.data


def test_https_request_is_offered_basic_too(client, worker):
    response = client.get("/formList", headers=HEADERS, base_url="https://lastmeter.example.cn")
    schemes = [c.split(" ", 1)[0] for c in response.headers.getlist("WWW-Authenticate")]
    assert schemes == ["Digest", "Basic"]


def test_digest_handshake_with_query_string_in_the_uri(collect_password):
    response = collect_password.get("/formList")
    assert response.status_code == 200, response.data
    assert b"<formID>visit</formID>" in response.data
    assert collect_password.challenges  # it really went through a challenge


def test_digest_works_for_head_and_post(collect_password):
    from tests.support.visit_form import visit_xml

    assert collect_password.head_submission().status_code == 204
    response = collect_password.submit(visit_xml("uuid:aaaaaaaa-0000-4000-8000-000000000001"), [])
    assert response.status_code == 201, response.data


def test_wrong_password_is_401_with_a_fresh_challenge(client, worker):
    collect = CollectClient(client, "", username="worker1", password="wrong-password-1")
    response = collect.get("/formList")
    assert response.status_code == 401
    assert response.headers.getlist("WWW-Authenticate")[0].startswith("Digest ")


def test_unknown_user_is_401(client, worker):
    response = CollectClient(client, "", username="nobody", password="whatever-1").get("/formList")
    assert response.status_code == 401


def test_digest_uri_must_name_this_request(client, worker):
    challenge = client.get("/formList", headers=HEADERS).headers["WWW-Authenticate"]
    collect = CollectClient(client, "", username="worker1", password="Huashan-2026")
    authorization = collect.digest_authorization("GET", "/formList?deviceID=other", challenge)
    response = client.get("/formList?deviceID=mine", headers={**HEADERS, "Authorization": authorization})
    assert response.status_code == 400


def test_forged_nonce_is_refused(client, worker):
    collect = CollectClient(client, "", username="worker1", password="Huashan-2026")
    fake = 'Digest realm="lastmeter", qop="auth", nonce="1700000000-0000", opaque="x", algorithm=MD5'
    authorization = collect.digest_authorization("GET", "/formList", fake)
    response = client.get("/formList", headers={**HEADERS, "Authorization": authorization})
    assert response.status_code == 401


def test_stale_nonce_asks_collect_to_retry_silently(client, app, worker):
    old = digest.make_nonce(str(app.config["SECRET_KEY"]), 1_000_000_000)
    collect = CollectClient(client, "", username="worker1", password="Huashan-2026")
    challenge = f'Digest realm="lastmeter", qop="auth", nonce="{old}", opaque="x", algorithm=MD5'
    authorization = collect.digest_authorization("GET", "/formList", challenge)
    response = client.get("/formList", headers={**HEADERS, "Authorization": authorization})
    assert response.status_code == 401 and "stale=true" in response.headers["WWW-Authenticate"]


def test_basic_is_refused_over_http_and_accepted_over_https(client, worker):
    import base64

    basic = "Basic " + base64.b64encode(b"worker1:Huashan-2026").decode()
    assert client.get("/formList", headers={**HEADERS, "Authorization": basic}).status_code == 401
    response = client.get("/formList", headers={**HEADERS, "Authorization": basic},
                          base_url="https://lastmeter.example.cn")
    assert response.status_code == 200


def test_basic_honours_x_forwarded_proto_from_a_trusted_proxy(database_url, tmp_path, worker):
    import base64

    from server import create_app
    from tests.conftest import _test_config

    basic = "Basic " + base64.b64encode(b"worker1:Huashan-2026").decode()
    headers = {**HEADERS, "Authorization": basic, "X-Forwarded-Proto": "https"}
    statuses = []
    for proxies in (1, 0):
        proxied = create_app({**_test_config(database_url, tmp_path), "TRUSTED_PROXIES": proxies})
        statuses.append(proxied.test_client().get("/formList", headers=headers).status_code)
        with proxied.app_context():
            db.engine.dispose()
    assert statuses == [200, 401]  # the header counts only when a proxy is trusted


def test_county_users_cannot_use_collect(client, make_user, visit_form):
    make_user("wuhua", "county", "530102", "Wuhua-2026-x")
    collect = CollectClient(client, "", username="wuhua", password="Wuhua-2026-x")
    assert collect.get("/formList").status_code == 401  # no Digest credential exists for office roles


def test_inactive_worker_is_refused_by_token_and_password(collect, collect_password, worker):
    worker.active = False
    db.session.commit()
    assert collect.get("/formList").status_code == 403
    assert collect_password.get("/formList").status_code == 401
