"""Auth hygiene (issue #10): password policy and hashing, throttled sign-in failures on every way in, session
cookie flags and sign-out, security headers on every page, revocation at once in every process, no secrets in logs."""
import base64
import logging
import re
import runpy
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from sqlalchemy import text

from server import create_app
from server.errors import InvalidValue
from server.extensions import db
from server.services import accounts
from tests.conftest import WORKER_PASSWORD, RequestIsolatingClient, _test_config
from tests.support.collect import HEADERS, CollectClient
from tests.support.web import csrf_token, post_form, sign_in

ROOT = Path(__file__).parents[2]
COUNTY_PASSWORD = "Wuhua-pass-1"
NAT = {"REMOTE_ADDR": "10.20.0.1"}


def at(address: str) -> dict:
    return {"environ_base": {"REMOTE_ADDR": address}}


def api_sign_in(client, username: str, password: str, address: str = "10.20.0.1"):
    return client.post("/api/v1/sessions", json={"username": username, "password": password}, **at(address))


@pytest.fixture
def county(make_user):
    return make_user("wuhua", "county", "530102", COUNTY_PASSWORD)


# --- passwords --------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("password,rule", [
    ("Sh0rt", "at least 8 characters"), ("87654321", "letters and digits"), ("qwerty123", "common password"),
    ("lisi2026", "must not be the username"),
])
def test_weak_passwords_are_refused_with_a_clear_message(network, password, rule):
    with pytest.raises(InvalidValue) as refused:
        accounts.create_user("lisi2026", "county", "530102", password)
    body = refused.value.to_dict()
    assert body["code"] == "400.4" and rule in body["message_en"] and "密码" in body["message"]
    assert password not in body["message"] + body["message_en"]


def test_passwords_are_stored_only_as_scrypt_hashes(make_user, county):
    worker = make_user("lisi", "worker", "530102001", "Kunming-2026")
    for user, password in ((worker, "Kunming-2026"), (county, COUNTY_PASSWORD)):
        stored = db.session.execute(text("SELECT * FROM user_account WHERE id = :id"), {"id": user.id}).mappings()
        row = " ".join(str(value) for value in stored.one().values())
        assert password not in row and password.lower() not in row
        assert user.password_hash.startswith("scrypt:")
    with pytest.raises(InvalidValue):
        accounts.set_password(worker, "lisi1234")  # the same policy when a password is changed


# --- throttling failed sign-ins ---------------------------------------------------------------------------------

def test_digest_failures_from_one_address_get_openrosa_429_with_retry_after(client, app, worker, make_user):
    app.config["SIGN_IN_FAILURE_LIMIT_CLIENT"] = "3 per minute"
    make_user("worker2", "worker", "530102001", "Worker-pass-2")
    statuses = [CollectClient(client, "", username=name, password="wrong-guess-1").get("/formList",
                                                                                        environ_base=NAT).status_code
                for name in ("worker1", "worker2", "nobody")]  # each one's challenge round trip is no failure
    assert statuses == [401, 401, 401]
    blocked = CollectClient(client, "", username="worker1", password=WORKER_PASSWORD).get("/formList",
                                                                                          environ_base=NAT)
    assert blocked.status_code == 429 and int(blocked.headers["Retry-After"]) > 0
    assert blocked.headers["X-OpenRosa-Version"] == "1.0" and b"OpenRosaResponse" in blocked.data
    text = blocked.get_data(as_text=True)
    assert "登录失败次数过多" in text and "Too many failed sign-in attempts" in text
    elsewhere = CollectClient(client, "", username="worker1", password=WORKER_PASSWORD)
    assert elsewhere.get("/formList", environ_base={"REMOTE_ADDR": "10.30.0.1"}).status_code == 200


def test_workers_signing_in_behind_one_nat_are_never_slowed(client, app, worker):
    app.config["SIGN_IN_FAILURE_LIMIT_CLIENT"] = "3 per minute"
    app.config["SIGN_IN_FAILURE_LIMIT_USER"] = "3 per minute"
    phone = CollectClient(client, "", username="worker1", password=WORKER_PASSWORD)
    assert {phone.get("/formList", environ_base=NAT).status_code for _ in range(8)} == {200}
    basic = "Basic " + base64.b64encode(f"worker1:{WORKER_PASSWORD}".encode()).decode()
    https = {"base_url": "https://lastmeter.example.cn", "environ_base": NAT}
    assert {client.get("/formList", headers={**HEADERS, "Authorization": basic}, **https).status_code
            for _ in range(4)} == {200}
    assert {api_sign_in(client, "worker1", WORKER_PASSWORD).status_code for _ in range(4)} == {201}


def test_one_account_guessed_from_many_addresses_is_throttled(client, app, worker, county):
    app.config["SIGN_IN_FAILURE_LIMIT_USER"] = "3 per minute"
    basic = "Basic " + base64.b64encode(b"worker1:wrong-guess-2").decode()
    failures = [api_sign_in(client, "worker1", "wrong-guess-1", "10.0.0.1").status_code,
                CollectClient(client, "", username="worker1", password="wrong-guess-3").get(
                    "/formList", environ_base={"REMOTE_ADDR": "10.0.0.2"}).status_code,
                client.get("/formList", headers={**HEADERS, "Authorization": basic},
                           base_url="https://lastmeter.example.cn", **at("10.0.0.3")).status_code]
    assert failures == [401, 401, 401]
    blocked = api_sign_in(client, " Worker1", WORKER_PASSWORD, "10.0.0.4")  # even the right password, elsewhere
    assert blocked.status_code == 429 and blocked.json["code"] == "429.1"
    assert blocked.json["message"].startswith("登录失败次数过多") and "Try again" in blocked.json["message_en"]
    assert int(blocked.headers["Retry-After"]) == blocked.json["details"]["retry_after"] > 0
    assert api_sign_in(client, "wuhua", COUNTY_PASSWORD, "10.0.0.4").status_code == 201  # other accounts unaffected


def test_web_sign_in_failures_count_per_username_too(client, app, county):
    app.config["SIGN_IN_FAILURE_LIMIT_USER"] = "2 per minute"
    assert [api_sign_in(client, "wuhua", "wrong-guess-1", a).status_code for a in ("10.1.0.1", "10.1.0.2")] \
        == [401, 401]
    page = client.post("/login", data={"username": "wuhua", "password": COUNTY_PASSWORD,
                                       "csrf_token": csrf_token(client.get("/login").get_data(as_text=True))})
    assert page.status_code == 429 and "Retry-After" in page.headers
    assert "登录失败次数过多" in page.get_data(as_text=True)
    assert client.get("/submissions").status_code == 302  # not signed in


def test_guessed_collect_tokens_are_throttled_per_address(client, app, worker):
    app.config["COLLECT_TOKEN_FAILURE_LIMIT"] = "3 per minute"
    token = accounts.active_collect_token(worker).token
    guesses = [CollectClient(client, f"/key/{guess}").get("/formList", environ_base=NAT).status_code
               for guess in ("A" * 43, "B" * 43, "short")]
    assert guesses == [403, 403, 403]
    blocked = CollectClient(client, f"/key/{token}").get("/formList", environ_base=NAT)
    assert blocked.status_code == 429 and "Retry-After" in blocked.headers and b"OpenRosaResponse" in blocked.data
    assert "WWW-Authenticate" not in blocked.headers  # never a password prompt on a token URL
    assert CollectClient(client, f"/key/{token}").get("/formList", environ_base={"REMOTE_ADDR": "10.9.9.9"}) \
        .status_code == 200
    assert {CollectClient(client, f"/key/{token}").get("/formList", **at("10.9.9.8")).status_code
            for _ in range(5)} == {200}  # a live token is never counted


# --- the session cookie -----------------------------------------------------------------------------------------

def test_session_cookie_is_secure_httponly_samesite_and_dies_on_sign_out(app, client, county):
    assert app.config["PUBLIC_URL"].startswith("https://")
    before = client.get("/login")
    anonymous = client.get_cookie("lastmeter_session").value
    response = sign_in(client, "wuhua", COUNTY_PASSWORD)
    assert response.status_code == 302
    flags = {part.strip().split("=")[0].lower() for part in response.headers["Set-Cookie"].split(";")}
    assert {"secure", "httponly", "samesite"} <= flags and "SameSite=Lax" in response.headers["Set-Cookie"]
    assert "Secure" in before.headers["Set-Cookie"]
    signed_in = client.get_cookie("lastmeter_session").value
    assert signed_in != anonymous  # a new cookie at sign-in: nothing planted before it survives
    assert client.get("/submissions").status_code == 200
    out = post_form(client, "/submissions", "/logout", {})
    assert out.status_code == 302 and "lastmeter_session=;" in out.headers["Set-Cookie"]  # cleared
    assert client.get_cookie("lastmeter_session") is None
    assert client.get("/submissions").status_code == 302
    thief = app.test_client()
    thief.set_cookie("lastmeter_session", signed_in)  # a copy taken before sign-out
    stolen = thief.get("/submissions")
    assert stolen.status_code == 302 and "/login" in stolen.headers["Location"]


# --- security headers on every page -----------------------------------------------------------------------------

INLINE_CODE = re.compile(r"<script\b(?![^>]*\bsrc\s*=)|<[^>]*\s(?:on[a-z]+|style)\s*=|<style\b", re.I)
SLOW_OR_BINARY = ("plaque", "export", "report.xlsx", "collect-qr")


@pytest.fixture
def every_page(client, collect, make_user):
    """An admin signed in, a case with a visit with a photo, a plaque link: every page has something to show."""
    from tests.integration.test_cases_api import add_case
    from tests.support.visit_form import visit_xml

    add_case("a-case", "530102001", "530102001001", label="张桂英")
    assert collect.submit(visit_xml("uuid:a1", case="a-case", photo="a.jpg"),
                          [("a.jpg", b"\xff\xd8\xff" + b"x" * 100)]).status_code == 201
    make_user("admin", "admin", "530100", "City-pass-1")
    assert sign_in(client, "admin", "City-pass-1").status_code == 302
    return {"instance_id": "uuid:a1", "name": "a.jpg", "case_id": "a-case", "code": "530102001", "lang": "en",
            "u": "worker1", "token": "no-such-plaque-link"}


def test_every_page_forbids_inline_code_and_framing(app, client, every_page):
    urls = ["/no-such-page", "/login"]
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("web.") and "GET" in rule.methods \
                and not any(slow in rule.rule for slow in SLOW_OR_BINARY):
            urls.append(re.sub(r"<(?:\w+:)?(\w+)>", lambda m: every_page.get(m.group(1), "x"), rule.rule))
    assert len(urls) >= 12
    for url in urls:
        response = client.get(url)
        response.close()  # photos are streamed from their file
        csp = response.headers.get("Content-Security-Policy", "")
        assert "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp and "script-src 'self'" in csp, url
        assert response.headers["X-Frame-Options"] == "DENY" and response.headers["X-Content-Type-Options"] \
            == "nosniff", url
        if response.mimetype == "text/html":
            assert not INLINE_CODE.search(response.get_data(as_text=True)), url
    assert client.get("/submissions").status_code == 200  # still signed in: the pages were really seen


# --- revocation, in this process and in another sharing the database -------------------------------------------

@pytest.fixture
def other_process(database_url, tmp_path):
    """A second app instance on the same database, as another gunicorn worker would be."""
    other = create_app(_test_config(database_url, tmp_path / "other-media"))
    other.test_client_class = RequestIsolatingClient
    yield other
    with other.app_context():
        db.engine.dispose()


def test_api_token_revoked_in_one_process_is_refused_by_the_other_at_once(client, other_process, county):
    token = api_sign_in(client, "wuhua", COUNTY_PASSWORD).json["token"]
    bearer = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/forms", headers=bearer).status_code == 200
    assert other_process.test_client().get("/api/v1/forms", headers=bearer).status_code == 200
    assert other_process.test_client().delete("/api/v1/sessions/current", headers=bearer).status_code == 204
    refused = client.get("/api/v1/forms", headers=bearer)
    assert refused.status_code == 401 and refused.json["code"] == "401.1"


def test_collect_token_revoked_in_one_process_is_refused_by_the_other_at_once(client, other_process, worker,
                                                                                make_user):
    make_user("huashan", "station", "530102001", "Head-pass-1")
    phone = CollectClient(client, f"/key/{accounts.active_collect_token(worker).token}")
    assert phone.get("/formList").status_code == 200
    head = other_process.test_client()
    bearer = {"Authorization": "Bearer " + head.post("/api/v1/sessions", json={
        "username": "huashan", "password": "Head-pass-1"}).json["token"]}
    assert head.delete("/api/v1/users/worker1/collect-token", headers=bearer).status_code in (200, 204)
    assert phone.get("/formList").status_code == 403
    assert phone.head_submission().status_code == 403


def test_web_sign_out_in_one_process_ends_the_session_in_the_other(client, other_process, county):
    sign_in(client, "wuhua", COUNTY_PASSWORD)
    cookie = client.get_cookie("lastmeter_session").value
    elsewhere = other_process.test_client()
    elsewhere.set_cookie("lastmeter_session", cookie)
    assert elsewhere.get("/submissions").status_code == 200
    post_form(client, "/submissions", "/logout", {})
    assert elsewhere.get("/submissions").status_code == 302


def test_a_new_password_ends_every_open_session(client, app, county):
    bearer = {"Authorization": "Bearer " + api_sign_in(client, "wuhua", COUNTY_PASSWORD).json["token"]}
    page = app.test_client()
    sign_in(page, "wuhua", COUNTY_PASSWORD)
    assert client.get("/api/v1/forms", headers=bearer).status_code == page.get("/submissions").status_code == 200
    accounts.set_password(county, "Wuhua-new-pass-2")
    db.session.commit()
    assert client.get("/api/v1/forms", headers=bearer).status_code == 401
    assert page.get("/submissions").status_code == 302
    assert api_sign_in(client, "wuhua", "Wuhua-new-pass-2").status_code == 201


# --- no secrets in logs -----------------------------------------------------------------------------------------

def gunicorn_access_lines(responses, tmp_path: Path) -> str:
    """The real access-log formatter of deploy/gunicorn.conf.py, fed the requests the app just answered."""
    from gunicorn.config import Config

    from server.adapters.gunicorn_log import RedactingLogger

    conf = runpy.run_path(str(ROOT / "deploy" / "gunicorn.conf.py"))
    config = Config()
    config.set("accesslog", str(tmp_path / "access.log"))
    config.set("access_log_format", conf["access_log_format"])
    logger = RedactingLogger(config)
    for response in responses:
        environ = dict(response.request.environ)
        query = environ.get("QUERY_STRING", "")
        environ["RAW_URI"] = environ["PATH_INFO"] + (f"?{query}" if query else "")
        request = SimpleNamespace(headers=[(k[5:].replace("_", "-"), v) for k, v in environ.items()
                                           if k.startswith("HTTP_")])
        reply = SimpleNamespace(status=response.status, sent=len(response.data), headers=list(response.headers))
        logger.access(reply, request, environ, timedelta(milliseconds=12))
    for handler in list(logger.access_log.handlers):
        handler.close()
        logger.access_log.removeHandler(handler)
    return (tmp_path / "access.log").read_text(encoding="utf-8")


def test_no_password_token_or_key_reaches_the_logs(app, client, worker, county, caplog, tmp_path):
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.INFO, logger="sqlalchemy.engine")  # as an operator would, to see the SQL
    token = accounts.active_collect_token(worker).token
    responses = [sign_in(client, "wuhua", "Wrong-guess-17"), sign_in(client, "wuhua", COUNTY_PASSWORD)]
    cookie = client.get_cookie("lastmeter_session").value
    responses += [CollectClient(client, "", username="worker1", password=WORKER_PASSWORD).get("/formList"),
                  CollectClient(client, "", username="worker1", password="Wrong-guess-18").get("/formList"),
                  CollectClient(client, f"/key/{token}").get("/formList"),
                  CollectClient(client, f"/key/{token}").get("/forms/visit.xml"),
                  CollectClient(client, f"/key/%{ord(token[0]):02X}{token[1:]}").get("/formList"),  # still the token
                  api_sign_in(client, "wuhua", "Wrong-guess-19")]
    session = api_sign_in(client, "wuhua", COUNTY_PASSWORD)
    bearer = session.json["token"]
    responses += [session, client.get("/api/v1/forms", headers={"Authorization": f"Bearer {bearer}"})]
    app.logger.error("Exception on /key/%s/formList [GET]", token)  # how Flask reports a crash on a token URL
    basic = base64.b64encode(f"worker1:{WORKER_PASSWORD}".encode()).decode()
    secrets = {"password": COUNTY_PASSWORD, "worker password": WORKER_PASSWORD, "wrong password": "Wrong-guess-1",
               "collect token": token, "token body": token[4:], "bearer token": bearer, "session cookie": cookie,
               "basic credentials": basic, "secret key": str(app.config["SECRET_KEY"])}
    logged = "\n".join(record.getMessage() + (record.exc_text or "") for record in caplog.records)
    access = gunicorn_access_lines(responses, tmp_path)
    assert "/key/" in access and "formList" in access and access.count("\n") == len(responses)
    assert responses[6].status_code == 200 and any(r.name.startswith("sqlalchemy") for r in caplog.records)
    assert {name for name, value in secrets.items() if value in logged or value in access} == set()


@pytest.fixture
def media_config(request):
    """Media on the moto bucket when a test asks for ``s3``; the local folder for the others."""
    if getattr(request, "param", None) != "s3":
        return {}
    s3_server = request.getfixturevalue("s3_server")
    return s3_server.app_config(s3_server.create_bucket())


@pytest.mark.parametrize("media_config", ["s3"], indirect=True)
def test_s3_secret_never_reaches_the_logs(app, collect, caplog):
    from tests.support.s3 import SECRET_ACCESS_KEY
    from tests.support.visit_form import visit_xml

    caplog.set_level(logging.DEBUG)
    try:
        sent = collect.submit(visit_xml("uuid:s3-1", photo="a.jpg"), [("a.jpg", b"\xff\xd8\xff" + b"z" * 64)])
        assert sent.status_code == 201
    finally:
        app.extensions["media"].close()
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert any(record.name.startswith("botocore") for record in caplog.records)  # the S3 client really logged
    assert SECRET_ACCESS_KEY not in logged and app.config["S3_SECRET_ACCESS_KEY"] == SECRET_ACCESS_KEY
