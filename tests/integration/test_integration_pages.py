"""The pages of events out on both databases: adding a robot or a webhook (a refusal keeps what was typed),
its delivery log in Beijing time with "send a test event", pause, resume, resend and delete; the alerts page;
and who may see which (station heads: alerts only)."""
import re

import pytest
from sqlalchemy import select

from server.extensions import db
from server.models.events import Delivery, Subscription
from server.pump import Pump
from tests.support.receivers import Receiver
from tests.support.web import csrf_token, sign_in
from tests.support.events import PASSWORD, outbound_config



@pytest.fixture
def media_config():
    return outbound_config(timeout=2, attempts=2)


@pytest.fixture
def county(client, make_user, network):
    make_user("wuhua", "county", "530102", PASSWORD)
    make_user("huashan", "station", "530102001", PASSWORD)
    assert sign_in(client, "wuhua", PASSWORD).status_code == 302
    return client


def add(client, **fields):
    page = client.get("/integrations")
    assert page.status_code == 200
    data = {"csrf_token": csrf_token(page.get_data(as_text=True)), **fields}
    return client.post("/integrations", data=data)


def test_a_refused_robot_comes_back_with_the_reason_and_what_was_typed(county):
    response = add(county, kind="dingtalk", name="华山工作群", url="http://127.0.0.1:9/robot/send?access_token=x",
                   area="530102001", topics=["mandatory_report", "overdue"])
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "加签" in re.search(r'id="integration-error"[^>]*>([^<]*)', html).group(1)
    assert 'value="华山工作群"' in html and "access_token=x" in html
    assert re.search(r'value="overdue" checked', html) and not re.search(r'value="high_risk" checked', html)
    assert db.session.scalars(select(Subscription)).all() == []


def test_a_robot_added_tested_paused_resumed_and_deleted(app, county):
    with Receiver(kind="feishu", secret="fs-secret") as feishu:
        response = add(county, kind="feishu", name="华山工作群", url=feishu.url, secret="fs-secret", area="530102001",
                       topics=["mandatory_report", "dissatisfied"])  # not the digest: the pump raises it by the clock
        assert response.status_code == 302
        detail = response.headers["Location"]
        page = county.get(detail).get_data(as_text=True)
        assert "飞书群机器人" in page and "强制报告" in page and "居民不满意" in page and "fs-secret" not in page
        token = csrf_token(page)
        assert county.post(f"{detail}/test", data={"csrf_token": token}).status_code == 302
        assert "待发送" in county.get(detail).get_data(as_text=True)
        Pump(app).run_once()
        feishu.wait_for(1)
        assert "Lastmeter 推送测试" in feishu.accepted()[0].json["card"]["header"]["title"]["content"]
        page = county.get(detail).get_data(as_text=True)
        row = re.search(r'<tbody>\s*<tr>(.*?)</tr>', page, re.S).group(1)
        assert "已送达" in row and "测试事件" in row and "HTTP 200" in row
        assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", row)  # Beijing time, to the second
        assert county.post(f"{detail}/pause", data={"csrf_token": token}).status_code == 302
        assert "已暂停" in county.get(detail).get_data(as_text=True) or "Paused" in county.get(detail).get_data(as_text=True)
        delivery = db.session.scalars(select(Delivery)).one()
        assert county.post(f"{detail}/deliveries/{delivery.id}/resend", data={"csrf_token": token}).status_code == 302
        Pump(app).run_once()
        assert len(feishu.received) == 1  # paused: the resend waits
        assert county.post(f"{detail}/resume", data={"csrf_token": token}).status_code == 302
        Pump(app).run_once()
        feishu.wait_for(2)
        assert county.post(f"{detail}/delete", data={"csrf_token": token}).status_code == 302
        assert county.get(detail).status_code == 404
        assert db.session.scalars(select(Delivery)).all() == []


def test_a_webhook_shows_its_secret_and_the_alerts_page(app, county, client):
    response = add(county, kind="webhook", name="省平台", url="http://127.0.0.1:9/hook", area="530102",
                   topics=["submission.created", "alert.raised"])
    assert response.status_code == 302
    page = county.get(response.headers["Location"]).get_data(as_text=True)
    secret = db.session.scalars(select(Subscription)).one().secret
    assert secret in page and "新提交" in page and "预警" in page
    listing = county.get("/integrations").get_data(as_text=True)
    assert "省平台" in listing and "五华区" in listing
    # a digest for 华山 (only webhooks here: a robot asks for digests; raise one by hand)
    from server.models.events import Alert
    from server.models.types import utcnow

    db.session.add(Alert(rule="digest", station_code="530102001", area_path="/530100/530102/530102001/",
                         object_type="station", object_id="530102001", day=utcnow().date(),
                         facts={"overdue": 3, "waiting_review": 2, "returned": 1}, dedupe_key="digest:test"))
    db.session.commit()
    alerts_page = county.get("/alerts").get_data(as_text=True)
    assert "每日摘要" in alerts_page and "华山街道社会工作服务站" in alerts_page and "3" in alerts_page
    table = re.search(r'<table class="list" id="alerts">(.*?)</table>', alerts_page, re.S).group(1)
    assert "逾期未访 3" in table and "digest" not in table and "530102001" not in re.sub(r'href="[^"]*"', "", table)


def test_station_heads_see_alerts_but_not_subscriptions(client, make_user, network):
    make_user("huashan", "station", "530102001", PASSWORD)
    sign_in(client, "huashan", PASSWORD)
    assert client.get("/alerts").status_code == 200
    assert client.get("/integrations").status_code == 404
    assert "推送设置" not in client.get("/alerts").get_data(as_text=True)
