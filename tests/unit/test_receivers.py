"""The loopback receivers of tests/support/receivers.py, hit with urllib: they take what the far end takes, refuse
what it refuses (with its answer), follow their script, and record what arrived."""
from __future__ import annotations

import http.client
import json
import time
import urllib.error
import urllib.request
import uuid
from urllib.parse import quote_plus

import pytest

from tests.support.receivers import Receiver, dingtalk_sign, feishu_sign, sign_lastmeter

SECRET = "s3cret"
OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback: never through a proxy


def post(url: str, body: bytes | dict, headers: dict[str, str] | None = None, timeout: float = 5) -> tuple[int, bytes]:
    """POST and return (status, body), 4xx and 5xx included."""
    data = json.dumps(body, ensure_ascii=False).encode() if isinstance(body, dict) else body
    request = urllib.request.Request(url, data=data, method="POST",
                                     headers={"Content-Type": "application/json", **(headers or {})})
    try:
        with OPENER.open(request, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.read()


def webhook(url: str, secret: str = SECRET, *, event_id: str | None = None, event_type: str = "case.closed",
            timestamp: int | None = None, body: dict | None = None, signature: str | None = None) -> tuple[int, bytes]:
    """Send one of our webhooks the way the app signs it; keyword arguments spoil one part of it."""
    event_id = event_id or str(uuid.uuid4())
    timestamp = int(time.time()) if timestamp is None else timestamp
    raw = json.dumps(body if body is not None else {"id": event_id, "type": event_type, "data": {}}).encode()
    return post(url, raw, {"Lastmeter-Event-Id": event_id, "Lastmeter-Event-Type": event_type,
                           "Lastmeter-Timestamp": str(timestamp),
                           "Lastmeter-Signature": signature or sign_lastmeter(secret, timestamp, raw)})


# -- signatures, against vectors computed independently with `openssl dgst -sha256 -hmac` ---------------------------

def test_signatures_match_independently_computed_vectors():
    assert sign_lastmeter("s3cret", 1700000000, b'{"id":"x"}') == (
        "v1=2382c1d0968a5e57238c68de957f44d87e83d3049a5588ec251442ca372b8aec")
    assert dingtalk_sign("SECabc", 1700000000000) == "jcUpW0QmtKduN03n4JqQ0PBosVjqnM8gU7fIIvsDmCM="
    assert feishu_sign("secret", 1599360473) == "q4jswNiMy51J5JuQV566yJat0/lQ/c+22kINzUgKsGU="


# -- our own webhooks --------------------------------------------------------------------------------------------

def test_a_signed_webhook_is_verified_and_deduped_by_event_id():
    with Receiver(kind="lastmeter", secret=SECRET) as receiver:
        assert receiver.url.startswith("http://127.0.0.1:") and receiver.url.endswith("/hook")
        event_id = str(uuid.uuid4())
        assert webhook(receiver.url, event_id=event_id)[0] == 200
        assert webhook(receiver.url, event_id=event_id)[0] == 200  # delivered twice (at least once)
        receiver.wait_for(2, timeout=1)
        first = receiver.received[0]
        assert first.verified and first.problem is None and first.status == 200
        assert first.method == "POST" and first.path == "/hook" and first.json["id"] == event_id
        assert first.headers["lastmeter-event-type"] == first.headers["Lastmeter-Event-Type"] == "case.closed"
        assert len(receiver.accepted()) == 2 and receiver.unique_event_ids() == {event_id}


@pytest.mark.parametrize("spoil, why", [
    ({"signature": "v1=" + "0" * 64}, "signature"),
    ({"secret": "another secret"}, "signature"),
    ({"timestamp": int(time.time()) - 301}, "300 s"),
    ({"body": {"id": str(uuid.uuid4()), "type": "case.closed"}}, "body id"),
    ({"event_type": "case.opened", "body": {"id": "x", "type": "case.closed"}}, "body id"),
    ({"event_id": "not-a-uuid"}, "UUID"),
])
def test_a_webhook_spoilt_anywhere_is_refused_with_401(spoil, why):
    with Receiver(kind="lastmeter", secret=SECRET) as receiver:
        status, text = webhook(receiver.url, **spoil)
        assert status == 401 and text.startswith(b"refused")
        refused = receiver.received[0]
        assert not refused.verified and why in refused.problem and refused.status == 401
        assert receiver.accepted() == [] and receiver.unique_event_ids() == set()


def test_a_webhook_must_be_json_posted_to_the_hook():
    with Receiver(kind="lastmeter", secret=SECRET) as receiver:
        timestamp, raw = int(time.time()), b'{"id": "x"}'
        signed = {"Lastmeter-Event-Id": str(uuid.uuid4()), "Lastmeter-Event-Type": "t",
                  "Lastmeter-Timestamp": str(timestamp), "Lastmeter-Signature": sign_lastmeter(SECRET, timestamp, raw)}
        assert post(receiver.url, raw, {**signed, "Content-Type": "text/plain"})[0] == 401
        assert post(receiver.base_url + "/elsewhere", raw, signed)[0] == 404
        assert "Content-Type" in receiver.received[0].problem and receiver.accepted() == []


def test_the_script_answers_500_then_410_then_ok_and_repeats_the_last():
    with Receiver(kind="lastmeter", secret=SECRET, script=[500, 410, "ok"]) as receiver:
        assert [webhook(receiver.url)[0] for _ in range(4)] == [500, 410, 200, 200]
        assert [item.status for item in receiver.received] == [500, 410, 200, 200]
        assert all(item.verified for item in receiver.received) and len(receiver.accepted()) == 2


def test_a_hang_answers_only_after_its_time():
    with Receiver(kind="lastmeter", secret=SECRET, script=[("hang", 1.5)]) as receiver:
        started = time.monotonic()
        assert webhook(receiver.url)[0] == 200
        assert time.monotonic() - started >= 1.4


def test_close_drops_the_connection_without_an_answer():
    with Receiver(kind="lastmeter", secret=SECRET, script=["close", "ok"]) as receiver:
        with pytest.raises((http.client.RemoteDisconnected, ConnectionError, urllib.error.URLError)) as caught:
            webhook(receiver.url)
        assert not isinstance(caught.value, urllib.error.HTTPError)
        assert webhook(receiver.url)[0] == 200
        assert [item.status for item in receiver.received] == [0, 200]
        assert receiver.received[0].verified and len(receiver.accepted()) == 1


def test_wait_for_says_what_arrived_when_too_little_did():
    with Receiver(kind="lastmeter", secret=SECRET) as receiver:
        webhook(receiver.url, signature="v1=bad")
        with pytest.raises(AssertionError, match=r"wanted 1 accepted.*\n  1\. POST /hook -> 401 refused: "):
            receiver.wait_for(1, timeout=0.2)


# -- 企业微信 group robot ---------------------------------------------------------------------------------------

def test_wecom_takes_markdown_and_text_up_to_their_byte_limits():
    with Receiver(kind="wecom") as robot:
        assert "/cgi-bin/webhook/send?key=" in robot.url
        for message in ({"msgtype": "markdown", "markdown": {"content": "汉" * 1365 + "x"}},  # 4096 bytes
                        {"msgtype": "text", "text": {"content": "hello"}}):
            status, answer = post(robot.url, message)
            assert status == 200 and json.loads(answer) == {"errcode": 0, "errmsg": "ok"}
        assert len(robot.accepted()) == 2 and robot.received[0].query["key"] == robot.token


@pytest.mark.parametrize("where, message, errcode", [
    ("no key", {"msgtype": "markdown", "markdown": {"content": "hi"}}, 93000),
    ("", {"msgtype": "markdown", "markdown": {"content": "汉" * 1366}}, 40058),  # 4098 bytes
    ("", {"msgtype": "text", "text": {"content": "x" * 2049}}, 40058),
    ("", {"msgtype": "markdown", "markdown": {"content": ""}}, 44004),
    ("", {"msgtype": "card", "card": {}}, 40008),
    ("", b"{not json", 40008),
])
def test_wecom_refuses_with_its_errcode_in_a_200(where, message, errcode):
    with Receiver(kind="wecom") as robot:
        url = robot.url.split("?")[0] if where == "no key" else robot.url
        status, answer = post(url, message)
        assert status == 200 and json.loads(answer)["errcode"] == errcode
        assert f"query?e={errcode}" in json.loads(answer)["errmsg"]
        assert not robot.received[0].verified and robot.accepted() == []


# -- 钉钉 custom robot (加签) --------------------------------------------------------------------------------------

def dingtalk_url(robot: Receiver, secret: str = SECRET, timestamp_ms: int | None = None) -> str:
    timestamp_ms = int(time.time() * 1000) if timestamp_ms is None else timestamp_ms
    return f"{robot.url}&timestamp={timestamp_ms}&sign={quote_plus(dingtalk_sign(secret, timestamp_ms))}"


MARKDOWN = {"msgtype": "markdown", "markdown": {"title": "告警", "text": "### 站点 A\n超期未访"}}


def test_dingtalk_takes_a_signed_markdown_message():
    with Receiver(kind="dingtalk", secret=SECRET) as robot:
        status, answer = post(dingtalk_url(robot), MARKDOWN)
        assert status == 200 and json.loads(answer) == {"errcode": 0, "errmsg": "ok"}
        assert robot.received[0].verified and len(robot.accepted()) == 1


@pytest.mark.parametrize("spoil, errcode, says", [
    ({"secret": "SECwrong"}, 310000, "签名不匹配"),
    ({"timestamp_ms": int(time.time() * 1000) - 3_700_000}, 310000, "invalid timestamp"),
    ({"unsigned": True}, 310000, "签名不匹配"),
    ({"message": {"msgtype": "markdown", "markdown": {"text": "no title"}}}, 400402, "title"),
    ({"message": {"msgtype": "markdown", "markdown": {"title": "t", "text": ""}}}, 400403, "text"),
    ({"message": b"not json"}, 40035, "json"),
])
def test_dingtalk_refuses_with_its_errcode_in_a_200(spoil, errcode, says):
    with Receiver(kind="dingtalk", secret=SECRET) as robot:
        url = robot.url if spoil.get("unsigned") else dingtalk_url(
            robot, spoil.get("secret", SECRET), spoil.get("timestamp_ms"))
        status, answer = post(url, spoil.get("message", MARKDOWN))
        assert status == 200 and json.loads(answer)["errcode"] == errcode and says in json.loads(answer)["errmsg"]
        assert not robot.received[0].verified and robot.accepted() == []


def test_dingtalk_sign_must_be_url_encoded():
    with Receiver(kind="dingtalk", secret=SECRET) as robot:
        for timestamp_ms in range(int(time.time() * 1000), int(time.time() * 1000) + 100):
            if "+" in dingtalk_sign(SECRET, timestamp_ms):
                break
        raw_sign = f"{robot.url}&timestamp={timestamp_ms}&sign={dingtalk_sign(SECRET, timestamp_ms)}"
        assert json.loads(post(raw_sign, MARKDOWN)[1])["errcode"] == 310000  # its "+" reads as a space


# -- 飞书 custom bot (签名校验) ------------------------------------------------------------------------------------

def feishu_message(secret: str = SECRET, timestamp: int | None = None, **message) -> dict:
    timestamp = int(time.time()) if timestamp is None else timestamp
    card = {"header": {"title": {"tag": "plain_text", "content": "告警"}},
            "elements": [{"tag": "markdown", "content": "**站点 A** 超期未访"}]}
    return {"timestamp": str(timestamp), "sign": feishu_sign(secret, timestamp),
            **(message or {"msg_type": "interactive", "card": card})}


def test_feishu_takes_signed_cards_text_and_posts():
    with Receiver(kind="feishu", secret=SECRET) as robot:
        assert "/open-apis/bot/v2/hook/" in robot.url
        for message in (feishu_message(),
                        feishu_message(msg_type="interactive",
                                       card={"schema": "2.0", "body": {"elements": [{"tag": "markdown",
                                                                                     "content": "2.0"}]}}),
                        feishu_message(msg_type="text", content={"text": "hello"}),
                        feishu_message(msg_type="post", content={"post": {"zh_cn": {
                            "title": "告警", "content": [[{"tag": "text", "text": "hi"}]]}}})):
            status, answer = post(robot.url, message)
            assert status == 200 and json.loads(answer)["code"] == 0 and json.loads(answer)["msg"] == "success"
        assert len(robot.accepted()) == 4


@pytest.mark.parametrize("message, code", [
    (feishu_message(secret="wrong"), 19021),
    (feishu_message(timestamp=int(time.time()) - 3700), 19021),
    ({"msg_type": "text", "content": {"text": "unsigned"}}, 19021),
    (feishu_message(msg_type="interactive", card={"elements": [{"tag": "div"}]}), 9499),
    (feishu_message(msg_type="interactive", content={"text": "a card needs a card"}), 9499),
    (b"{broken", 9499),
])
def test_feishu_refuses_with_its_code_in_a_200(message, code):
    with Receiver(kind="feishu", secret=SECRET) as robot:
        status, answer = post(robot.url, message)
        assert status == 200 and json.loads(answer)["code"] == code
        if code == 19021:
            assert json.loads(answer)["msg"] == "sign match fail or timestamp is not within one hour from current time"
        assert not robot.received[0].verified and robot.accepted() == []
