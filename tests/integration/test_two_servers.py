"""Several app servers behave as one (docs/deploy.md, "Several app servers"): two gunicorns, standing for two
machines behind one address, share PostgreSQL, the media storage and a real Redis for the rate-limit counters.
The test is the load balancer: it sends each request to one server or the other.

- failed sign-ins are counted once across both (the 11th failure for one account is refused on either server);
- a plaque's feedback limit is counted once across both;
- a web session opened on one server is valid on the other and dies on both at sign-out;
- a Collect retry that lands on the other server is recognised as the same submission (stored once);
- Redis away: never a 500; each server counts alone (a limit still holds, per process), sign-ins and visits go on,
  ``/healthz`` says ``ratelimit``; Redis back: shared counting again, ``/healthz`` clear.

The hourly job that must run once across machines is tested in ``test_jobs.py`` (``once_per_period``).
"""
from __future__ import annotations

import os
import time
import uuid
from pathlib import Path

import pytest
import requests
from sqlalchemy import func, select

from server.extensions import db
from server.models import Station, Submission
from server.services.accounts import active_collect_token
from server.services.feedback import issue_station_link
from server.services.forms import publish_form
from server.throttle import SHARED_RETRY_SECONDS
from tests.support.collect import post_submission
from tests.support.gunicorn import Gunicorn, app_env
from tests.support.instances import fill_instance
from tests.support.redis import start_redis
from tests.support.web import csrf_token

ROOT = Path(__file__).parents[2]
USER_LIMIT = 10  # SIGN_IN_FAILURE_LIMIT_USER's default, "10 per 10 minutes"
FEEDBACK_LIMIT = 4


@pytest.fixture
def redis(tmp_path):
    server = start_redis(tmp_path)
    yield server
    server.stop()


@pytest.fixture
def two_servers(app, redis, tmp_path):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("several machines share a PostgreSQL database (SQLite is one machine's file)")
    env = {**os.environ, **app_env(app), "LASTMETER_RATELIMIT_STORAGE_URL": redis.url,
           "LASTMETER_FEEDBACK_RATE_LIMIT_CLIENT": f"{FEEDBACK_LIMIT} per 10 minutes",
           "LASTMETER_JOBS_URL": f"sqlite:///{tmp_path / 'jobs.sqlite3'}",
           "LASTMETER_PUBLIC_URL": "http://lastmeter.test"}  # plain HTTP here: cookies not marked Secure
    servers = [Gunicorn(env, tmp_path / f"gunicorn-{name}.log", workers=1) for name in "ab"]
    for server in servers:
        server.start()
    yield servers
    for server in servers:
        server.stop()


@pytest.fixture
def world(app, make_user):
    for name in ("home_visit", "resident_feedback"):
        publish_form((ROOT / "forms" / f"{name}.xlsx").read_bytes(), f"{name}.xlsx")
    county = make_user("wuhua", "county", "530102", "Wuhua-pass-1")
    worker = make_user("worker1", "worker", "530102001", "Worker-pass-1")
    link = issue_station_link(db.session.get(Station, "530102001"))
    db.session.commit()
    return {"county": county, "token": active_collect_token(worker).token, "plaque": link.token}


def sign_in_api(server, password: str) -> int:
    return requests.post(f"{server.url}/api/v1/sessions", json={"username": "wuhua", "password": password},
                         timeout=10).status_code


def feedback(server, token: str, satisfaction: int) -> int:
    browser = requests.Session()
    page = browser.get(f"{server.url}/f/{token}", timeout=10)
    data = {"satisfaction": str(satisfaction), "service_received": "elderly", "improvement": "", "contact": "",
            "csrf_token": csrf_token(page.text)}
    return browser.post(f"{server.url}/f/{token}", data=data, timeout=10).status_code


def health(server) -> dict:
    return requests.get(f"{server.url}/healthz", timeout=10).json()


def submissions() -> int:
    db.session.rollback()  # a fresh snapshot: the servers wrote meanwhile
    return db.session.scalar(select(func.count()).select_from(Submission))


def feedback_xml(server, token: str, instance: str) -> bytes:
    """A resident's answers entered on a worker's phone, on the form as the server gives it to Collect."""
    xform = requests.get(f"{server.url}/key/{token}/forms/resident_feedback.xml", timeout=10,
                         headers={"X-OpenRosa-Version": "1.0"}).content
    return fill_instance(xform, {"station_code": "530102001", "channel": "collect", "service_received": "elderly",
                                 "satisfaction": "5"}, instance_id=instance)


@pytest.mark.slow
def test_two_servers_count_sessions_limits_and_submissions_once(two_servers, world):
    a, b = two_servers
    assert health(a)["problems"] == [] and health(b)["problems"] == []

    # Failed sign-ins for one account, alternating servers: counted together, refused on both past the limit.
    statuses = [sign_in_api((a, b)[n % 2], "wrong-guess") for n in range(USER_LIMIT)]
    assert statuses == [401] * USER_LIMIT
    assert sign_in_api(a, "wrong-guess") == 429 and sign_in_api(b, "Wuhua-pass-1") == 429

    # A plaque's feedback limit per address, alternating servers.
    statuses = [feedback((a, b)[n % 2], world["plaque"], 1 + n % 5) for n in range(FEEDBACK_LIMIT + 1)]
    assert statuses == [201] * FEEDBACK_LIMIT + [429]

    # A web session opened on A is valid on B; signed out on B, it is dead on A (a kept copy of the cookie too).
    browser = requests.Session()
    login = browser.get(f"{a.url}/login", timeout=10)
    signed_in = browser.post(f"{a.url}/login", data={"username": "worker1", "password": "Worker-pass-1",
                                                     "csrf_token": csrf_token(login.text)},
                             timeout=10, allow_redirects=False)
    assert signed_in.status_code in (302, 303), (signed_in.status_code, signed_in.text[-800:])
    landing = signed_in.headers["Location"].removeprefix(a.url)  # the worker's own page
    copy = browser.cookies.get("lastmeter_session")
    on_b = browser.get(f"{b.url}{landing}", timeout=10, allow_redirects=False)
    assert on_b.status_code == 200, on_b.status_code
    logout = browser.post(f"{b.url}/logout", data={"csrf_token": csrf_token(on_b.text)}, timeout=10,
                          allow_redirects=False)
    assert logout.status_code in (302, 303)
    for server in (a, b):
        again = requests.get(f"{server.url}{landing}", cookies={"lastmeter_session": copy}, timeout=10,
                             allow_redirects=False)
        assert again.status_code in (302, 303) and "/login" in again.headers["Location"]

    # Collect's retry of a submission whose 201 it never heard, landing on the other server: stored once.
    before = submissions()
    instance = f"uuid:{uuid.uuid4()}"
    xml = feedback_xml(a, world["token"], instance)
    first = post_submission(f"{a.url}/key/{world['token']}", xml, [], timeout=30)
    retry = post_submission(f"{b.url}/key/{world['token']}", xml, [], timeout=30)
    assert first[0] == 201 and retry[0] in (201, 202), retry
    assert submissions() == before + 1


@pytest.mark.slow
def test_redis_away_each_server_counts_alone_and_nothing_fails(two_servers, world, redis):
    a, b = two_servers
    redis.stop()
    try:
        # Visits and correct sign-ins go on; /healthz says the counters are not shared.
        instance = f"uuid:{uuid.uuid4()}"
        xml = feedback_xml(a, world["token"], instance)
        status, _, body = post_submission(f"{a.url}/key/{world['token']}", xml, [], timeout=30)
        assert status == 201, body[:300]
        assert sign_in_api(b, "Wuhua-pass-1") == 201
        assert "ratelimit" in health(a)["problems"] and "ratelimit" in health(b)["problems"]
        # A limit still holds in each process: the account is refused on A after A's own ten failures…
        assert [sign_in_api(a, "wrong-guess") for _ in range(USER_LIMIT)] == [401] * USER_LIMIT
        assert sign_in_api(a, "wrong-guess") == 429
        # …and B, counting alone, has not seen them (the price of failing to per-process counting).
        assert sign_in_api(b, "wrong-guess") == 401
        # The feedback limit (Flask-Limiter's own fallback) holds per process too, and never a 500.
        statuses = [feedback(a, world["plaque"], 1 + n % 5) for n in range(FEEDBACK_LIMIT + 1)]
        assert statuses == [201] * FEEDBACK_LIMIT + [429]
    finally:
        redis.start()
    # Redis back (empty, as after a real restart): /healthz clear at once; each process tries the shared counters
    # again after SHARED_RETRY_SECONDS and counts together from then on.
    assert health(a)["problems"] == [] and health(b)["problems"] == []
    time.sleep(SHARED_RETRY_SECONDS + 0.5)
    statuses = [sign_in_api((a, b)[n % 2], "another-guess") for n in range(USER_LIMIT)]
    assert statuses == [401] * USER_LIMIT
    assert sign_in_api(b, "another-guess") == 429 and sign_in_api(a, "Wuhua-pass-1") == 429
