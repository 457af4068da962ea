"""Webhooks on both databases, against real HTTP receivers on loopback (``tests/support/receivers.py``): signed,
retried with backoff, timed out, paused on 410 or after failures in a row, resent by hand, in order per object,
scoped and masked as the API is — and delivered after the worker is killed in the middle of a delivery."""
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from server.extensions import db
from server.models.events import Delivery, Subscription
from server.pump import Pump
from tests.support.gunicorn import app_env
from tests.support.receivers import Receiver
from tests.support.visit_form import visit_xml
from tests.support.events import PASSWORD, bearer, outbound_config

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def media_config():
    return outbound_config()


@pytest.fixture
def people(make_user, network):
    for username, role, scope in (("wuhua", "county", "530102"), ("panlong", "county", "530103"),
                                  ("city", "admin", "530100"), ("huashan", "station", "530102001")):
        make_user(username, role, scope, PASSWORD)



def subscribe(client, username: str, url: str, topics=("submission.created",), **extra) -> dict:
    """Subscribe through the API (``extra``: the area…)."""
    response = client.post("/api/v1/subscriptions", headers=bearer(client, username),
                           json={"kind": "webhook", "name": "省平台对接", "url": url, "topics": list(topics), **extra})
    assert response.status_code == 201, response.json
    return response.json


def pump_until(app, done, rounds: int = 20) -> None:
    pump = Pump(app)
    for _ in range(rounds):
        pump.run_once()
        if done():
            return
        time.sleep(0.05)
    raise AssertionError("the pump did not get there")


def deliveries() -> list[Delivery]:
    db.session.expire_all()
    return db.session.scalars(select(Delivery).order_by(Delivery.id)).all()


def test_a_signed_payload_masked_as_the_api_answers_the_subscriber(app, client, collect, people):
    with Receiver(kind="lastmeter") as receiver:
        subscription = subscribe(client, "wuhua", receiver.url)
        receiver.secret = subscription["secret"]
        assert len(subscription["secret"]) >= 40
        assert collect.submit(visit_xml("uuid:w1")).status_code == 201
        pump_until(app, lambda: len(receiver.accepted()) == 1)
        got = receiver.accepted()[0]
        assert got.verified and got.headers["Lastmeter-Event-Type"] == "submission.created"
        payload = got.json
        assert payload["type"] == "submission.created" and payload["object"] == {
            "type": "submission", "id": "uuid:w1", "version": 1}
        assert payload["station"]["name"].endswith("华山街道社会工作服务站")
        # the object exactly as GET /api/v1/submissions/<id> shows it to the subscriber
        api = client.get("/api/v1/submissions/uuid:w1", headers=bearer(client, "wuhua")).json
        assert payload["data"] == json.loads(json.dumps(api))
    [delivery] = deliveries()
    assert (delivery.status, delivery.attempts, delivery.response_code) == ("delivered", 1, 200)
    log = client.get(f"/api/v1/subscriptions/{subscription['id']}/deliveries", headers=bearer(client, "wuhua")).json
    assert log["deliveries"][0]["status"] == "delivered" and log["deliveries"][0]["created_at"].endswith("+08:00")


def test_a_subscription_sees_only_its_area(app, client, collect, people):
    with Receiver(kind="lastmeter") as wuhua, Receiver(kind="lastmeter") as panlong:
        wuhua.secret = subscribe(client, "wuhua", wuhua.url)["secret"]
        panlong.secret = subscribe(client, "panlong", panlong.url)["secret"]
        assert collect.submit(visit_xml("uuid:w2")).status_code == 201
        pump_until(app, lambda: len(wuhua.accepted()) == 1)
        assert panlong.received == []
    # nor can one county see, or choose, the other's
    response = client.post("/api/v1/subscriptions", headers=bearer(client, "panlong"),
                           json={"kind": "webhook", "name": "x", "url": "http://127.0.0.1:9/", "area": "530102",
                                 "topics": ["case.created"]})
    assert response.status_code == 400 and "area" in response.json["message"]
    mine = client.get("/api/v1/subscriptions", headers=bearer(client, "panlong")).json["subscriptions"]
    assert [s["area"]["code"] for s in mine] == ["530103"]
    theirs = client.get("/api/v1/subscriptions", headers=bearer(client, "wuhua")).json["subscriptions"][0]["id"]
    assert client.get(f"/api/v1/subscriptions/{theirs}", headers=bearer(client, "panlong")).status_code == 404
    assert client.get("/api/v1/subscriptions", headers=bearer(client, "huashan")).status_code == 403


def test_failures_are_retried_until_delivered_and_a_hung_receiver_times_out(app, client, collect, people):
    with Receiver(kind="lastmeter", script=[500, ("hang", 3), "ok"]) as receiver:
        receiver.secret = subscribe(client, "wuhua", receiver.url)["secret"]
        assert collect.submit(visit_xml("uuid:w3")).status_code == 201
        started = time.monotonic()
        pump_until(app, lambda: len(receiver.accepted()) >= 1 and deliveries()[0].status == "delivered")
        assert time.monotonic() - started < 10
        [delivery] = deliveries()
        assert delivery.attempts == 3
        # three requests, one event: the receiver dedupes by Lastmeter-Event-Id
        assert len(receiver.received) == 3 and len(receiver.unique_event_ids()) == 1
        assert [r.headers["Lastmeter-Attempt"] for r in receiver.received] == ["1", "2", "3"]


def test_spent_attempts_fail_then_resend_by_hand_and_failing_in_a_row_pauses(app, client, collect, people):
    with Receiver(kind="lastmeter", script=[500]) as receiver:
        subscription = subscribe(client, "wuhua", receiver.url)
        receiver.secret = subscription["secret"]
        headers = bearer(client, "wuhua")
        for n in range(3):
            assert collect.submit(visit_xml(f"uuid:f{n}")).status_code == 201
        pump_until(app, lambda: all(d.status == "failed" for d in deliveries()) and len(deliveries()) == 3)
        assert all(d.attempts == 3 and d.response_code == 500 for d in deliveries())
        state = client.get(f"/api/v1/subscriptions/{subscription['id']}", headers=headers).json
        assert state["active"] is False and "连续 3 条推送" in state["paused_reason"]
        # the receiver is fixed; the owner resends one by hand and resumes
        receiver.script = ["ok"]
        first = deliveries()[0].id
        resent = client.post(f"/api/v1/subscriptions/{subscription['id']}/deliveries/{first}/resend", headers=headers)
        assert resent.status_code == 202 and resent.json["status"] == "pending"
        Pump(app).run_once()
        assert receiver.accepted() == []  # paused: nothing goes out
        assert client.post(f"/api/v1/subscriptions/{subscription['id']}/resume", headers=headers).json["active"]
        pump_until(app, lambda: len(receiver.accepted()) == 1)
        assert [d.status for d in deliveries()] == ["delivered", "failed", "failed"]


def test_410_pauses_at_once_and_resume_delivers(app, client, collect, people):
    with Receiver(kind="lastmeter", script=[410, "ok"]) as receiver:
        subscription = subscribe(client, "wuhua", receiver.url)
        receiver.secret = subscription["secret"]
        assert collect.submit(visit_xml("uuid:g1")).status_code == 201
        pump_until(app, lambda: not db.session.get(Subscription, subscription["id"]).active
                   if not db.session.expire_all() else False)
        sub = db.session.get(Subscription, subscription["id"])
        assert "410" in sub.paused_reason and deliveries()[0].status == "pending"
        client.post(f"/api/v1/subscriptions/{subscription['id']}/resume", headers=bearer(client, "wuhua"))
        pump_until(app, lambda: len(receiver.accepted()) == 1)
        assert deliveries()[0].status == "delivered"


def test_events_of_one_object_arrive_in_order_even_when_the_first_is_retried(app, client, collect, people):
    with Receiver(kind="lastmeter", script=[500, "ok"]) as receiver:
        receiver.secret = subscribe(client, "wuhua", receiver.url,
                                    topics=("submission.created", "submission.review_changed"))["secret"]
        assert collect.submit(visit_xml("uuid:o1")).status_code == 201
        response = client.patch("/api/v1/submissions/uuid:o1", headers=bearer(client, "wuhua"),
                                json={"reviewState": "approved"})
        assert response.status_code == 200
        pump_until(app, lambda: len(receiver.accepted()) == 2)
        assert [r.json["type"] for r in receiver.accepted()] == ["submission.created", "submission.review_changed"]
        assert [r.json["object"]["version"] for r in receiver.accepted()] == [1, 2]


def test_a_test_event_and_refused_targets(app, client, people):
    with Receiver(kind="lastmeter") as receiver:
        subscription = subscribe(client, "city", receiver.url)
        receiver.secret = subscription["secret"]
        queued = client.post(f"/api/v1/subscriptions/{subscription['id']}/test", headers=bearer(client, "city"))
        assert queued.status_code == 202
        pump_until(app, lambda: len(receiver.accepted()) == 1)
        assert receiver.accepted()[0].json["type"] == "webhook.test"
    headers = bearer(client, "city")
    for url in ("ftp://example.cn/x", "not a url", "http://"):
        response = client.post("/api/v1/subscriptions", headers=headers,
                               json={"kind": "webhook", "name": "x", "url": url, "topics": ["case.created"]})
        assert response.status_code == 400, url
    response = client.post("/api/v1/subscriptions", headers=headers,
                           json={"kind": "webhook", "name": "x", "url": "http://127.0.0.1/", "topics": ["nope"]})
    assert response.status_code == 400 and "nope" in response.json["message"]


def test_internal_addresses_are_refused_unless_allowed(app, client, people):
    app.config["WEBHOOK_ALLOW_PRIVATE_TARGETS"] = False
    for url in ("http://127.0.0.1:8080/hook", "http://10.1.2.3/", "http://169.254.169.254/latest/meta-data",
                "http://[::1]/", "http://localhost/"):
        response = client.post("/api/v1/subscriptions", headers=bearer(client, "city"),
                               json={"kind": "webhook", "name": "x", "url": url, "topics": ["case.created"]})
        assert response.status_code == 400 and "url" in response.json["message"], url


# The province-scale case, so on PostgreSQL (SQLite's locking runs through the other webhook tests).
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_burst_of_1000_visits_is_delivered_whole(app, client, collect, people):
    from server.media import media_storage
    from server.models import User
    from server.services.submissions import Origin, ingest_submission

    with Receiver(kind="lastmeter") as receiver:
        receiver.secret = subscribe(client, "wuhua", receiver.url)["secret"]
        worker = db.session.scalar(select(User).where(User.username == "worker1"))
        origin = Origin(submitter=worker, device_id="collect:burst", user_agent="test")
        for n in range(1000):
            ingest_submission(visit_xml(f"uuid:burst-{n:04d}", photo=None), [], origin, media_storage())
            if n % 100 == 99:
                db.session.commit()
        db.session.commit()
        pump_until(app, lambda: len(receiver.accepted()) >= 1000, rounds=400)
        ids = [r.json["object"]["id"] for r in receiver.accepted()]
        assert sorted(ids) == sorted(f"uuid:burst-{n:04d}" for n in range(1000))
        assert all(r.verified for r in receiver.received) and len(receiver.unique_event_ids()) == 1000
    assert db.session.scalar(select(func.count()).select_from(Delivery).where(Delivery.status == "delivered")) == 1000


def test_a_worker_killed_mid_delivery_delivers_after_restart(app, client, collect, people, tmp_path):
    """SIGKILL while the receiver holds the request: the lease runs out and the restarted worker delivers it
    again; the receiver, deduping by event id, has it once."""
    env = {**os.environ, **app_env(app), "LASTMETER_ENV": "testing", "LASTMETER_JOBS_URL": "memory://",
           "LASTMETER_WEBHOOK_ALLOW_PRIVATE_TARGETS": "true", "LASTMETER_WEBHOOK_TIMEOUT_SECONDS": "1",
           "LASTMETER_WEBHOOK_RETRY_BASE_SECONDS": "0", "LASTMETER_OUTBOX_POLL_SECONDS": "1",
           "PYTHONWARNINGS": "ignore"}

    def start() -> subprocess.Popen:
        with open(tmp_path / "pump.log", "ab") as log:
            return subprocess.Popen([sys.executable, "-m", "flask", "--app", "server", "outbox-pump"], cwd=ROOT,
                                    env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)

    with Receiver(kind="lastmeter", script=[("hang", 20), "ok"]) as receiver:
        receiver.secret = subscribe(client, "wuhua", receiver.url)["secret"]
        assert collect.submit(visit_xml("uuid:k1")).status_code == 201
        worker = start()
        try:
            deadline = time.monotonic() + 30
            while not receiver.received and time.monotonic() < deadline:
                time.sleep(0.02)
            assert receiver.received, (tmp_path / "pump.log").read_text()
            os.killpg(worker.pid, signal.SIGKILL)  # in the middle of the delivery
            worker.wait(10)
            [delivery] = deliveries()
            assert delivery.status == "pending" and delivery.leased_until is not None and delivery.attempts == 1
            worker = start()
            receiver.wait_for(1, timeout=40)
            deadline = time.monotonic() + 10
            while deliveries()[0].status != "delivered" and time.monotonic() < deadline:
                time.sleep(0.1)
        finally:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait(10)
        assert len(receiver.received) == 2 and receiver.unique_event_ids() == {delivery.event_id}
        [delivery] = deliveries()
        assert delivery.status == "delivered" and delivery.attempts == 2


def test_two_workers_at_once_deliver_each_event_once(app, client, collect, people):
    """Two pumps claim from one queue at the same time (slow answers, short leases): each delivery is leased by
    one of them for its one attempt, and nothing is sent twice."""
    import threading

    from server.media import media_storage
    from server.models import User
    from server.services.submissions import Origin, ingest_submission

    with Receiver(kind="lastmeter", script=[("hang", 0.3)]) as receiver:
        receiver.secret = subscribe(client, "wuhua", receiver.url)["secret"]
        worker = db.session.scalar(select(User).where(User.username == "worker1"))
        origin = Origin(submitter=worker, device_id="collect:two", user_agent="test")
        for n in range(24):
            ingest_submission(visit_xml(f"uuid:two-{n:02d}", photo=None), [], origin, media_storage())
        db.session.commit()
        Pump(app).run_once()  # number and fan out; deliveries are sent below by both at once
        db.session.remove()
        def deliver():
            with app.app_context():
                Pump(app).deliver_due()

        pumps = [threading.Thread(target=deliver) for _ in range(2)]
        for pump in pumps:
            pump.start()
        for pump in pumps:
            pump.join(60)
        pump_until(app, lambda: len(receiver.accepted()) >= 24 and all(d.status == "delivered" for d in deliveries()))
        assert len(receiver.received) == 24 and len(receiver.unique_event_ids()) == 24
        assert all(d.attempts == 1 for d in deliveries())


def test_the_city_keeps_its_secret_from_a_county_and_a_moved_owner_pauses(app, client, collect, people):
    with Receiver(kind="lastmeter") as receiver:
        mine = subscribe(client, "city", receiver.url, area="530102")
        receiver.secret = mine["secret"]
        seen = client.get(f"/api/v1/subscriptions/{mine['id']}", headers=bearer(client, "wuhua")).json
        assert seen["secret"] is None and seen["manageable"] is False
        for action in ("pause", "resume", "test"):
            url = f"/api/v1/subscriptions/{mine['id']}/{action}"
            assert client.post(url, headers=bearer(client, "wuhua"), json={}).status_code == 403, action
        assert client.delete(f"/api/v1/subscriptions/{mine['id']}", headers=bearer(client, "wuhua")).status_code == 403
        # the owner is made a county supervisor of 盘龙区: the subscription no longer sends 五华区's events
        from server.models import User

        owner = db.session.scalar(select(User).where(User.username == "city"))
        owner.role, owner.scope_code = "county", "530103"
        db.session.commit()
        assert collect.submit(visit_xml("uuid:moved")).status_code == 201
        pump_until(app, lambda: not db.session.get(Subscription, mine["id"]).active
                   if not db.session.expire_all() else False)
        assert receiver.received == []
        assert "管辖范围" in db.session.get(Subscription, mine["id"]).paused_reason


def test_malformed_urls_and_a_pending_resend_are_refused(app, client, collect, people):
    headers = bearer(client, "city")
    for url in ("http://example.com:abc/", "http://example.com:99999/", "http://[::1", "http://[::1]:x/"):
        response = client.post("/api/v1/subscriptions", headers=headers,
                               json={"kind": "webhook", "name": "x", "url": url, "topics": ["case.created"]})
        assert response.status_code == 400, url
    with Receiver(kind="lastmeter") as receiver:
        subscription = subscribe(client, "wuhua", receiver.url)
        queued = client.post(f"/api/v1/subscriptions/{subscription['id']}/test", headers=bearer(client, "wuhua"))
        resend = client.post(f"/api/v1/subscriptions/{subscription['id']}/deliveries/{queued.json['id']}/resend",
                             headers=bearer(client, "wuhua"))
        assert resend.status_code == 409 and resend.json["code"] == "409.1"
