"""Events out, the pure parts: the retry schedule, how an answer is judged, the webhook signature, which events
raise which alerts, masked names, and each chat platform's request checked against the fixture robots' own
reading of the platforms' rules (``tests/support/receivers.py``)."""
import json
import random
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qs, unquote, urlsplit

import pytest

from server.domain.chat import WECOM_MAX_BYTES, ChatMessage, robot_error, robot_request
from server.domain.events import (AlertRule, RetryPolicy, TargetKind, judge_response, masked_name, next_attempt,
                                  rules_raised, verify_webhook_signature, webhook_signature)
from tests.support import receivers

NOW = datetime(2026, 12, 6, 1, 0, tzinfo=timezone.utc)
MESSAGE = ChatMessage(title="【强制报告】昆明市五华区华山街道社会工作服务站", lines=("- 服务对象：李**",),
                      link_text="查看提交（需登录）", link_url="https://lastmeter.example.cn/submissions/uuid:1")


def test_retries_start_near_a_minute_double_and_stop_at_a_day():
    policy = RetryPolicy()
    rng = random.Random(7)
    waits = [policy.delay(n, rng).total_seconds() for n in range(1, 13)]
    assert 60 <= waits[0] <= 90 and 120 <= waits[1] <= 180
    assert all(later >= earlier * 1.3 or later == 86_400 for earlier, later in zip(waits, waits[1:]) if earlier < 43_200)
    assert max(waits) == 86_400 and waits[-1] == 86_400
    assert 1.5 * 86_400 < sum(waits) < 4 * 86_400  # twelve attempts span about two days
    assert next_attempt(NOW, 11, policy, rng) > NOW and next_attempt(NOW, 12, policy, rng) is None
    assert policy.lease(10) == timedelta(seconds=25)


def test_jitter_spreads_the_retries_of_many_deliveries():
    policy = RetryPolicy()
    waits = {policy.delay(3, random.Random(seed)).total_seconds() for seed in range(50)}
    assert len(waits) > 40 and min(waits) >= 240 and max(waits) <= 360


@pytest.mark.parametrize(("status", "error", "robot", "delivered", "gone"), [
    (200, None, None, True, False), (204, None, None, True, False),
    (200, None, "310000: sign not match", False, False), (500, None, None, False, False),
    (410, None, None, False, True), (None, "超时未响应 / timed out", None, False, False),
    (301, None, None, False, False)])
def test_an_answer_is_judged(status, error, robot, delivered, gone):
    outcome = judge_response(status, error, robot)
    assert (outcome.delivered, outcome.gone) == (delivered, gone)
    assert outcome.error is None if delivered else outcome.error


def test_the_webhook_signature_is_what_a_receiver_computes():
    body = json.dumps({"id": "x", "type": "case.created"}).encode()
    signature = webhook_signature("s3cret", 1_780_000_000, body)
    assert signature == receivers.sign_lastmeter("s3cret", 1_780_000_000, body)
    assert verify_webhook_signature("s3cret", 1_780_000_000, body, signature, now=1_780_000_100)
    assert not verify_webhook_signature("s3cret", 1_780_000_000, body + b" ", signature, now=1_780_000_100)
    assert not verify_webhook_signature("other", 1_780_000_000, body, signature, now=1_780_000_100)
    assert not verify_webhook_signature("s3cret", 1_780_000_000, body, signature, now=1_780_000_400)  # stale


@pytest.mark.parametrize(("event_type", "facts", "rules"), [
    ("submission.created", {"form": "child_followup", "mandatory_report": True, "risk_level": "high"},
     [AlertRule.MANDATORY_REPORT]),
    ("submission.edited", {"form": "home_visit", "risk_level": "high"}, [AlertRule.HIGH_RISK]),
    ("submission.created", {"form": "home_visit", "risk_level": "medium"}, []),
    ("submission.review_changed", {"form": "home_visit", "risk_level": "high"}, []),
    ("feedback.received", {"satisfaction": 2}, [AlertRule.DISSATISFIED]),
    ("feedback.received", {"satisfaction": 3}, []),
    ("case.updated", {"risk_level": "high"}, []),
])
def test_which_events_raise_alerts(event_type, facts, rules):
    assert rules_raised(event_type, facts) == rules


def test_names_in_chat_are_masked():
    assert masked_name("李小明") == "李**" and masked_name("王芳") == "王*" and masked_name("欧阳小明明") == "欧**"
    assert masked_name("") == "（无姓名）"


def test_dingtalk_request_signed_as_dingtalk_checks_it():
    url, body = robot_request(TargetKind.DINGTALK, "https://oapi.dingtalk.com/robot/send?access_token=t", "SECabc",
                              MESSAGE, 1_780_000_000.5)
    query = parse_qs(urlsplit(url).query)
    assert query["access_token"] == ["t"] and query["timestamp"] == ["1780000000500"]
    assert query["sign"] == [receivers.dingtalk_sign("SECabc", 1_780_000_000_500)]  # parse_qs URL-decodes
    assert "%2B" in url or "+" not in unquote(url.split("sign=")[1])  # base64's + and / are URL-encoded
    payload = json.loads(body)
    assert payload["msgtype"] == "markdown" and payload["markdown"]["title"] == MESSAGE.title
    assert "[查看提交（需登录）](https://lastmeter.example.cn/submissions/uuid:1)" in payload["markdown"]["text"]


def test_feishu_request_signed_as_feishu_checks_it():
    url, body = robot_request(TargetKind.FEISHU, "https://open.feishu.cn/open-apis/bot/v2/hook/abc", "fs", MESSAGE,
                              1_780_000_000.9)
    payload = json.loads(body)
    assert url.endswith("/hook/abc") and payload["timestamp"] == "1780000000"
    assert payload["sign"] == receivers.feishu_sign("fs", 1_780_000_000)
    assert payload["msg_type"] == "interactive" and payload["card"]["header"]["title"]["content"] == MESSAGE.title
    assert payload["card"]["elements"][0]["tag"] == "markdown"


def test_wecom_markdown_is_cut_to_its_byte_limit_on_a_character_boundary():
    long = ChatMessage(title="【每日摘要】", lines=tuple("- 服务对象很多很多" for _ in range(400)), link_text="查看",
                       link_url="https://x.cn/")
    _url, body = robot_request(TargetKind.WECOM, "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k", None,
                               long, 0)
    content = json.loads(body)["markdown"]["content"]
    assert len(content.encode("utf-8")) <= WECOM_MAX_BYTES and content.endswith("…\n\n[查看](https://x.cn/)")


@pytest.mark.parametrize(("kind", "answer", "error"), [
    (TargetKind.WECOM, {"errcode": 0, "errmsg": "ok"}, None),
    (TargetKind.WECOM, {"errcode": 93000, "errmsg": "invalid webhook url"}, "93000"),
    (TargetKind.DINGTALK, {"errcode": 310000, "errmsg": "sign not match"}, "310000"),
    (TargetKind.FEISHU, {"code": 0, "msg": "success", "data": {}}, None),
    (TargetKind.FEISHU, {"StatusCode": 0, "StatusMessage": "success"}, None),
    (TargetKind.FEISHU, {"code": 19021, "msg": "sign match fail"}, "19021"),
])
def test_a_robots_error_in_a_200_is_read(kind, answer, error):
    found = robot_error(kind, json.dumps(answer).encode())
    assert found is None if error is None else error in found
    assert robot_error(kind, b"<html>") is not None
