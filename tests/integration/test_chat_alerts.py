"""Alerts to chat groups on both databases: the rules (mandatory report, high risk, a resident's 1–2, a case just
overdue, the 08:00 digest), each message sent to fixture robots that verify it as WeCom, DingTalk and Feishu do,
and what a message may not carry (PIPL)."""
import re
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from server.domain.clock import CHINA, today_in_china
from server.extensions import db
from server.models import AuditEvent, Case, Station
from server.models.events import Alert, Delivery, Subscription
from server.pump import Pump
from server.services import alerts
from server.services.feedback import issue_station_link
from server.services.forms import publish_form
from tests.integration.test_cases_from_visits import FORMS, field_forms, phone, register  # noqa: F401
from tests.integration.test_feedback import send
from tests.support.instances import fill_instance
from tests.support.receivers import Receiver
from tests.support.events import PASSWORD, bearer, outbound_config

TODAY = today_in_china()
CHILD = "李小明"
ID_NUMBER = "530102201505021234"


@pytest.fixture
def media_config():
    return outbound_config(timeout=2, attempts=2)


@pytest.fixture
def county(make_user, network):
    make_user("wuhua", "county", "530102", PASSWORD)
    make_user("huashan", "station", "530102001", PASSWORD)


@pytest.fixture
def robots(client, county):
    """One robot of each platform for 华山街道's group, with every rule but the digest (its own test's: the pump
    raises it by the clock)."""
    with Receiver(kind="wecom") as wecom, Receiver(kind="dingtalk", secret="SECdingtalk0123") as ding, \
            Receiver(kind="feishu", secret="feishu-secret-456") as feishu:
        headers = bearer(client, "wuhua")
        for kind, receiver in (("wecom", wecom), ("dingtalk", ding), ("feishu", feishu)):
            response = client.post("/api/v1/subscriptions", headers=headers, json={
                "kind": kind, "name": f"华山街道工作群（{kind}）", "url": receiver.url, "secret": receiver.secret,
                "area": "530102001", "topics": ["mandatory_report", "high_risk", "dissatisfied", "overdue"]})
            assert response.status_code == 201, response.json
            assert response.json["secret"] is None  # a robot's signing secret is not handed back
        yield {"wecom": wecom, "dingtalk": ding, "feishu": feishu}



def text_of(kind: str, received) -> str:
    body = received.json
    if kind == "wecom":
        return body["markdown"]["content"]
    if kind == "dingtalk":
        return body["markdown"]["title"] + "\n" + body["markdown"]["text"]
    card = body["card"]
    return card["header"]["title"]["content"] + "\n" + card["elements"][0]["content"]


def pump(app, robots, count: int) -> dict[str, list[str]]:
    runner = Pump(app)
    for _ in range(30):
        runner.run_once()
        if all(len(r.accepted()) >= count for r in robots.values()):
            break
    return {kind: [text_of(kind, r) for r in receiver.accepted()] for kind, receiver in robots.items()}


def child_followup(device, safety: str) -> str:
    case_id = str(uuid.uuid4())
    values = {"case_mode": "new", "visit_date": TODAY.isoformat(), "location": "25.04 102.71 1890 5",
              "registration/reg_name": CHILD, "registration/reg_gender": "male",
              "registration/reg_birth_date": "2015-05-02", "registration/reg_category": "left_behind_child",
              "registration/reg_village": "530102001001", "registration/reg_id_number": ID_NUMBER,
              "safety/safety_signs": safety, "mandatory_report_required": "yes" if safety != "none" else "no",
              "risk_level": "high" if safety != "none" else "low"}
    instance_id = f"uuid:{uuid.uuid4()}"
    xml = fill_instance(device.xform["child_followup"], values, instance_id, drop=("case",),
                        entity={"id": case_id, "create": "1", "update": "0", "label": f"{CHILD} · 团结社区"})
    response = device.submit(xml, [])
    assert response.status_code == 201, response.data
    return instance_id


@pytest.fixture
def worker_phone(phone):
    publish_form((FORMS / "child_followup.xlsx").read_bytes(), "child_followup.xlsx")
    db.session.commit()
    worker = phone("worker_a", "530102001")
    worker.xform["child_followup"] = worker.get("/forms/child_followup.xml").data
    return worker


def test_a_mandatory_report_reaches_every_group_verified_and_without_personal_details(app, client, robots,
                                                                                        worker_phone):
    instance_id = child_followup(worker_phone, "physical_abuse")
    texts = pump(app, robots, 1)
    for kind, messages in texts.items():
        assert len(messages) == 1, (kind, robots[kind].describe())
        message = messages[0]
        assert "强制报告" in message and "华山街道社会工作服务站" in message
        assert f"/submissions/{instance_id}" in message and "需登录" in message
        assert CHILD not in message and "李**" in message  # a minor's name masked
        assert ID_NUMBER not in message and ID_NUMBER[-4:] not in message
        assert "physical_abuse" not in message and "身体虐待" not in message  # no health or safety detail
    assert all(r.verified for robot in robots.values() for r in robot.received)
    [alert] = db.session.scalars(select(Alert)).all()
    assert alert.rule == "mandatory_report"  # one alert, not also a "high risk" one
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "alert.raised")) is not None
    listed = client.get("/api/v1/alerts", headers=bearer(client, "huashan")).json["alerts"]
    assert [a["rule_name"] for a in listed] == ["强制报告"]


def test_a_child_follow_up_without_signs_raises_nothing(app, client, robots, worker_phone):
    child_followup(worker_phone, "none")
    Pump(app).run_once()
    assert db.session.scalars(select(Alert)).all() == []
    assert all(r.received == [] for r in robots.values())


def test_a_high_risk_visit_and_a_dissatisfied_resident(app, client, robots, worker_phone):
    _case, response = register(worker_phone, risk="high")
    assert response.status_code == 201
    publish_form((FORMS / "resident_feedback.xlsx").read_bytes(), "resident_feedback.xlsx")
    link = issue_station_link(db.session.get(Station, "530102001"))
    db.session.commit()
    assert send(client, link.token, satisfaction="1").status_code == 201
    assert send(client, link.token, satisfaction="4", improvement="很好").status_code == 201
    texts = pump(app, robots, 2)
    for kind, messages in texts.items():
        assert len(messages) == 2, kind
        assert any("高风险" in m and "张**" in m for m in messages), messages
        assert any("居民不满意" in m and "1 分" in m for m in messages), messages


def test_a_case_just_overdue_is_alerted_once(app, client, robots, worker_phone):
    case_id, _ = register(worker_phone)
    case = db.session.get(Case, case_id)
    case.next_due = TODAY - timedelta(days=1)
    db.session.commit()
    assert alerts.raise_overdue() == 1
    assert alerts.raise_overdue() == 0  # once per case and due day
    db.session.commit()
    texts = pump(app, robots, 1)
    assert all("逾期未访" in m[0] and f"/cases/{case_id}" in m[0] for m in texts.values())
    # a case overdue for weeks was alerted when it became overdue, not again every day
    case.next_due = TODAY - timedelta(days=30)
    db.session.commit()
    assert alerts.raise_overdue() == 0


def test_the_daily_digest_from_eight_oclock_once_a_day(app, client, robots, worker_phone):
    register(worker_phone)
    assert alerts.raise_digests() == 0  # no robot asked for it
    for robot in db.session.scalars(select(Subscription)):
        robot.topics = [*robot.topics, "digest"]
    db.session.commit()
    day = datetime.combine(TODAY, datetime.min.time(), CHINA)
    assert alerts.raise_digests(day.replace(hour=7, minute=59).astimezone(timezone.utc)) == 0
    assert alerts.raise_digests(day.replace(hour=8, minute=1).astimezone(timezone.utc)) == 1  # one station
    assert alerts.raise_digests(day.replace(hour=9).astimezone(timezone.utc)) == 0
    db.session.commit()
    texts = pump(app, robots, 1)
    for messages in texts.values():
        assert "每日摘要" in messages[0] and "待审核的走访：1 条" in messages[0]


def test_a_robot_that_refuses_the_signature_is_not_counted_delivered(app, client, county, worker_phone):
    with Receiver(kind="dingtalk", secret="the-real-secret") as ding:
        response = client.post("/api/v1/subscriptions", headers=bearer(client, "wuhua"), json={
            "kind": "dingtalk", "name": "钉钉群", "url": ding.url, "secret": "a-wrong-secret",
            "topics": ["mandatory_report"]})
        assert response.status_code == 201
        child_followup(worker_phone, "neglect")
        runner = Pump(app)
        for _ in range(5):
            runner.run_once()
        assert ding.received and not ding.accepted()
        db.session.expire_all()
        [delivery] = db.session.scalars(select(Delivery)).all()
        assert delivery.status == "failed" and delivery.response_code == 200 and "310000" in delivery.error


def test_robots_need_their_signing_secret(client, county):
    for kind in ("dingtalk", "feishu"):
        response = client.post("/api/v1/subscriptions", headers=bearer(client, "wuhua"), json={
            "kind": kind, "name": "群", "url": "http://127.0.0.1:9/hook", "topics": ["digest"]})
        assert response.status_code == 400 and "secret" in response.json["message"], kind
    response = client.post("/api/v1/subscriptions", headers=bearer(client, "wuhua"), json={
        "kind": "wecom", "name": "群", "url": "http://127.0.0.1:9/hook", "topics": ["submission.created"]})
    assert response.status_code == 400 and re.search("submission.created", response.json["message"])
