"""Real HTTP receivers on loopback for the integration tests of outgoing webhooks and chat-robot alerts.

Each :class:`Receiver` is a stdlib ``ThreadingHTTPServer`` on ``127.0.0.1`` (port 0: any free port), served by a
daemon thread. It checks every request the way the real far end would, answers the way that far end answers, and
records everything it saw (:class:`Received`). A ``script`` makes it misbehave on chosen requests (an HTTP 500 or
410, a long wait, a connection closed without an answer) so the tests can watch retries, pauses and timeouts::

    with Receiver(kind="wecom", script=[500, "ok"]) as robot:
        ...point a subscription at robot.url, run the worker...
        robot.wait_for(1)

What each kind checks, and where the platform documents it (the receivers follow the documents; where a document
gives no error code, the code below is the one the platform is seen to answer in public bug reports, and says so):

``lastmeter`` - our own webhooks (docs/events.md). URL ``http://127.0.0.1:PORT/hook``.
    A POST with ``Content-Type: application/json`` (a charset may follow) and the headers ``Lastmeter-Event-Id``
    (a UUID), ``Lastmeter-Event-Type``, ``Lastmeter-Timestamp`` (integer unix seconds, within 300 s of now) and
    ``Lastmeter-Signature: v1=<hex>``, hex = HMAC-SHA256(key=secret UTF-8, msg=f"{timestamp}.".encode() + raw body),
    compared with ``hmac.compare_digest`` (:func:`sign_lastmeter`). The body is a JSON object whose ``id`` is the
    Event-Id header and whose ``type`` is the Event-Type header. Success: HTTP 200 ``ok``; anything wrong: HTTP 401
    with a short text (405 for another method, 404 for another path). With ``secret=None`` the signature header is
    not required.

``wecom`` - 企业微信 group robot, "群机器人配置说明", developer.work.weixin.qq.com/document/path/91770 (also 99110).
    URL ``http://127.0.0.1:PORT/cgi-bin/webhook/send?key=<key>``; any non-empty ``key`` is taken. Body
    ``{"msgtype": "markdown", "markdown": {"content": "..."}}`` - content at most 4096 bytes of UTF-8 - or
    ``{"msgtype": "text", "text": {"content": "..."}}`` - at most 2048 bytes (the document's limits). No signature
    exists for these robots (the key in the URL is the secret). Every answer is HTTP 200 with JSON:
    success ``{"errcode":0,"errmsg":"ok"}``; no or empty key 93000 "invalid webhook url"; content too long 40058
    ("markdown.content exceed max length 4096. invalid Request Parameter"); empty content 44004 "empty content";
    another msgtype 40008 "invalid message type"; a body that is not JSON 40008 "Warning: wrong json format. invalid
    message type" (WeCom has no "bad JSON" code of its own: it reads what it can and reports the missing msgtype).
    Errors end like WeCom's: ", hint: [...], from ip: ..., more info at https://open.work.weixin.qq.com/devtool/
    query?e=<code>".

``dingtalk`` - 钉钉 custom robot with 加签, "自定义机器人安全设置" and "自定义机器人发送群消息", open.dingtalk.com
    (formerly ding-doc.dingtalk.com/doc#/serverapi2/qf2nxq). URL ``http://127.0.0.1:PORT/robot/send?access_token=<t>``
    to which the sender appends ``&timestamp=<ms>&sign=<sign>``: timestamp in milliseconds within one hour of now,
    sign = urlEncode(base64(HMAC-SHA256(key=secret UTF-8, msg=f"{timestamp}\\n{secret}" UTF-8))) - the receiver
    URL-decodes the query and compares with :func:`dingtalk_sign` (so a sign sent without urlEncode, its "+" read
    as a space, fails as it does at DingTalk). Body ``{"msgtype":"markdown","markdown":{"title":"...",
    "text":"..."}}``, both non-empty. Every answer is HTTP 200 with JSON: success ``{"errcode":0,"errmsg":"ok"}``;
    no access_token 300001 "token is not exist"; bad signature (or no timestamp/sign in the URL) 310000 with
    DingTalk's current text "description:机器人发送签名不匹配;solution:...;link:..." (older servers said "sign not
    match, more: [...]"); a timestamp that is not a number or not within the hour 310000 "invalid timestamp, more:
    [https://ding-doc.dingtalk.com/doc#/serverapi2/qf2nxq]"; a body that is not JSON (or another msgtype) 40035
    "缺少参数 json"; no title 400402, no text 400403 ("description:参数 markdown --》 title 缺失，或者参数格式不正确;...").

``feishu`` - 飞书 custom bot with 签名校验, "自定义机器人使用指南", open.feishu.cn/document/client-docs/bot-v3/add-custom-bot
    (formerly /document/ukTMukTMukTM/ucTM5YjL3ETO24yNxkjN). URL ``http://127.0.0.1:PORT/open-apis/bot/v2/hook/<id>``.
    The JSON body carries ``"timestamp"`` (unix seconds, a string in the document's example; an integer is taken
    too) within one hour (3600 s) of now and ``"sign"`` = base64(HMAC-SHA256(key=f"{timestamp}\\n{secret}" UTF-8,
    msg=b"")) - the document's own samples (Python, Go, Java) put the string in the key and sign an empty message
    (:func:`feishu_sign`). Message: ``"msg_type": "interactive"`` with a ``"card"`` object that has a header title,
    or a markdown element (``{"tag": "markdown", "content": "..."}``) in ``elements`` (card JSON 1.0) or in
    ``body.elements`` (card JSON 2.0); or ``"text"`` with ``content.text``; or ``"post"`` with ``content.post``.
    The body may be at most 20 KB (document). Every answer is HTTP 200 with JSON: success ``{"code":0,"msg":"success",
    "data":{}}`` plus the legacy fields the document still shows (``"Extra":null,"StatusCode":0,"StatusMessage":
    "success"``); bad or late signature 19021 "sign match fail or timestamp is not within one hour from current
    time"; a body that is not JSON, too big, or not one of the shapes above 9499 "Bad Request" (document); no hook
    id 19001 "param invalid: incoming webhook access token invalid".

The chat robots take another method than POST with HTTP 405 and another path with HTTP 404 (the platforms' gateways
answer those before the robot is reached). With ``secret=None`` DingTalk and Feishu robots check no signature (a robot
without 加签 / 签名校验).
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json as jsonlib
import socket
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Iterable, Union
from urllib.parse import parse_qsl, urlsplit

KINDS = ("lastmeter", "wecom", "dingtalk", "feishu")
LASTMETER_PATH = "/hook"
WECOM_PATH = "/cgi-bin/webhook/send"
DINGTALK_PATH = "/robot/send"
FEISHU_PREFIX = "/open-apis/bot/v2/hook/"

LASTMETER_TOLERANCE_S = 300
DINGTALK_TOLERANCE_MS = 3_600_000
FEISHU_TOLERANCE_S = 3_600
WECOM_MARKDOWN_MAX_BYTES = 4096
WECOM_TEXT_MAX_BYTES = 2048
FEISHU_MAX_BODY_BYTES = 20 * 1024

DINGTALK_DOC = "https://ding-doc.dingtalk.com/doc#/serverapi2/qf2nxq"
DINGTALK_SIGN_MISMATCH = ("description:机器人发送签名不匹配;solution:请确认签名和生成签名的时间戳必须都放在调用的网址中，"
                          "请确认机器人的密钥加密和填写正确;link:请参考本接口对应文档获得具体要求，"
                          "或者在https://open.dingtalk.com/document/  搜索相关文档;")
DINGTALK_BAD_TIMESTAMP = f"invalid timestamp, more: [{DINGTALK_DOC}]"
FEISHU_SIGN_FAIL = "sign match fail or timestamp is not within one hour from current time"

#: What the receiver does with one request: "ok" (check it and answer as the platform does), an HTTP status such
#: as 500 or 410 (answer just that), ("hang", seconds) (wait, then as "ok"), "close" (close without answering).
Action = Union[str, int, tuple]


def sign_lastmeter(secret: str, timestamp: int | str, body: bytes) -> str:
    """The ``Lastmeter-Signature`` header of a webhook: ``v1=`` and the hex HMAC-SHA256 of ``"{timestamp}." + body``
    keyed with the subscription's secret."""
    digest = hmac.new(secret.encode("utf-8"), f"{timestamp}.".encode("ascii") + body, hashlib.sha256).hexdigest()
    return f"v1={digest}"


def dingtalk_sign(secret: str, timestamp_ms: int | str) -> str:
    """DingTalk's 加签 (自定义机器人安全设置): base64 of HMAC-SHA256 keyed with the secret over
    ``"{timestamp_ms}\\n{secret}"``. Not URL-encoded: the sender URL-encodes it into the ``sign`` query parameter."""
    digest = hmac.new(secret.encode("utf-8"), f"{timestamp_ms}\n{secret}".encode("utf-8"), hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def feishu_sign(secret: str, timestamp_s: int | str) -> str:
    """Feishu's 签名校验 (自定义机器人使用指南): base64 of HMAC-SHA256 keyed with ``"{timestamp_s}\\n{secret}"`` over an
    empty message - the string is the key, as in the document's sample code."""
    digest = hmac.new(f"{timestamp_s}\n{secret}".encode("utf-8"), b"", hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


class Headers(dict):
    """A request's headers; look-ups ignore case (the names are kept in lower case)."""

    def __init__(self, items: Iterable[tuple[str, str]] = ()) -> None:
        super().__init__((name.lower(), value) for name, value in items)

    def __getitem__(self, name: str) -> str:
        return super().__getitem__(name.lower())

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and super().__contains__(name.lower())

    def get(self, name: str, default: Any = None) -> Any:
        return super().get(name.lower(), default)


@dataclass
class Received:
    """One request as the receiver saw it, and what it made of it."""

    method: str
    path: str
    query: dict[str, str]
    headers: Headers
    body: bytes
    json: Any  # the body parsed as JSON, or None
    verified: bool  # signature and format as the far end requires
    problem: str | None  # why not verified
    status: int = 0  # the HTTP status it answered; 0 while unanswered, or when it closed without answering
    arrived_at: float = field(default_factory=time.time)  # unix time the request was read

    @property
    def accepted(self) -> bool:
        """Verified and answered as a success (a platform's error answers are HTTP 200 too, but not verified)."""
        return self.verified and self.status == 200


@dataclass
class _Answer:
    status: int
    body: bytes
    content_type: str
    problem: str | None = None


def _text(status: int, text: str, problem: str | None = None) -> _Answer:
    return _Answer(status, text.encode("utf-8"), "text/plain; charset=utf-8", problem)


def _json(value: dict, problem: str | None = None) -> _Answer:
    return _Answer(200, jsonlib.dumps(value, ensure_ascii=False).encode("utf-8"), "application/json; charset=utf-8",
                   problem)


def _check_action(action: Action) -> Action:
    if action in ("ok", "close") or (isinstance(action, int) and not isinstance(action, bool)
                                     and 100 <= action <= 599):
        return action
    if (isinstance(action, tuple) and len(action) == 2 and action[0] == "hang"
            and isinstance(action[1], (int, float)) and action[1] >= 0):
        return action
    raise ValueError(f"unknown script entry {action!r}: use 'ok', 'close', an HTTP status or ('hang', seconds)")


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    receiver: "Receiver"

    def handle_error(self, request, client_address) -> None:
        # A client that gave up (timeout) while the receiver hung is what a test wants, not an error to print.
        if isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError, socket.timeout)):
            return
        super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    timeout = 15  # seconds a connection may stay silent

    def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
        self.server.receiver._handle(self)

    do_GET = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_POST  # noqa: N815

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass


def _read_body(handler: BaseHTTPRequestHandler) -> bytes:
    if "chunked" in handler.headers.get("Transfer-Encoding", "").lower():
        chunks = []
        while True:
            size = int(handler.rfile.readline().split(b";")[0].strip() or b"0", 16)
            if size == 0:
                while handler.rfile.readline() not in (b"\r\n", b"\n", b""):
                    pass
                return b"".join(chunks)
            chunks.append(handler.rfile.read(size))
            handler.rfile.readline()
    length = int(handler.headers.get("Content-Length") or 0)
    return handler.rfile.read(length) if length > 0 else b""


def _parse_json(body: bytes) -> Any:
    try:
        return jsonlib.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None


def _digits(value: Any) -> int | None:
    """An integer given as digits (a JSON integer or a string of ASCII digits), else None."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.isascii() and value.isdigit():
        return int(value)
    return None


def _non_empty_str(value: Any) -> bool:
    return isinstance(value, str) and value.strip() != ""


class Receiver:
    """A webhook or chat-robot endpoint on loopback that checks, answers and records what it is sent.

    ``kind`` is ``"lastmeter"`` (our own webhooks), ``"wecom"``, ``"dingtalk"`` or ``"feishu"`` (chat group robots);
    ``secret`` is the webhook's HMAC key or the robot's signing secret (None: no signature checked); ``script`` says
    what to do with the 1st, 2nd, ... request, its last entry repeating (default: always ``"ok"``) - see
    :data:`Action`. Use it as a context manager (or call :meth:`start` and :meth:`stop`); ``url`` is the address to
    give the sender: ``/hook`` for webhooks, the platform's robot URL (with its key, token or hook id) for robots.
    """

    def __init__(self, kind: str, secret: str | None = None, script: list | None = None) -> None:
        if kind not in KINDS:
            raise ValueError(f"unknown receiver kind {kind!r}: one of {', '.join(KINDS)}")
        self.kind = kind
        self.secret = secret
        self.script: list[Action] = [_check_action(action) for action in (script or ["ok"])]
        if not self.script:
            raise ValueError("an empty script: give at least one entry")
        self.received: list[Received] = []
        self.url = ""
        self.base_url = ""
        self.token = uuid.uuid4().hex  # the robot's key / access_token / hook id in its URL
        self._changed = threading.Condition()
        self._stopping = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # -- life cycle --------------------------------------------------------------------------------------------

    def start(self) -> "Receiver":
        """Listen on a free loopback port and serve from a daemon thread."""
        if self._server is not None:
            raise RuntimeError("receiver already started")
        server = _Server(("127.0.0.1", 0), _Handler)
        server.receiver = self
        self._server = server
        host, port = server.server_address[:2]
        self.base_url = f"http://{host}:{port}"
        self.url = self.base_url + {
            "lastmeter": LASTMETER_PATH,
            "wecom": f"{WECOM_PATH}?key={self.token}",
            "dingtalk": f"{DINGTALK_PATH}?access_token={self.token}",
            "feishu": FEISHU_PREFIX + self.token,
        }[self.kind]
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name=f"receiver-{self.kind}-{port}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop listening; a request still hanging is dropped without an answer."""
        self._stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> "Receiver":
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- what arrived ------------------------------------------------------------------------------------------

    def accepted(self) -> list[Received]:
        """The requests that were verified and answered as a success, in arrival order."""
        with self._changed:
            return [item for item in self.received if item.accepted]

    def unique_event_ids(self) -> set[str]:
        """The distinct ``Lastmeter-Event-Id`` of the accepted webhooks: what a receiver deduping by event id keeps."""
        if self.kind != "lastmeter":
            raise ValueError("event ids exist for kind 'lastmeter' only")
        return {item.headers["Lastmeter-Event-Id"] for item in self.accepted()}

    def wait_for(self, count: int, timeout: float = 30) -> None:
        """Wait until at least ``count`` requests were accepted; else AssertionError listing what arrived."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while sum(item.accepted for item in self.received) < count:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"{self.kind} receiver: wanted {count} accepted request(s) within "
                                         f"{timeout} s; it got:\n{self.describe()}")
                self._changed.wait(remaining)

    def describe(self) -> str:
        """One line per request received: method, path, status answered, and why it was refused."""
        with self._changed:
            if not self.received:
                return "  (nothing)"
            return "\n".join(
                f"  {number}. {item.method} {item.path} -> {item.status or 'no answer'}"
                f"{' verified' if item.verified else ' refused: ' + str(item.problem)}"
                for number, item in enumerate(self.received, 1))

    # -- serving -----------------------------------------------------------------------------------------------

    def _handle(self, handler: _Handler) -> None:
        parts = urlsplit(handler.path)
        body = _read_body(handler)
        headers = Headers(handler.headers.items())
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        parsed = _parse_json(body)
        try:
            answer = self._verify(handler.command, parts.path, query, headers, body, parsed)
        except Exception as error:  # a bug in the receiver: show it in what arrived rather than in a thread
            answer = _text(500, "receiver error", f"receiver error: {error!r}")
        record = Received(handler.command, parts.path, query, headers, body, parsed,
                          verified=answer.problem is None, problem=answer.problem)
        with self._changed:
            self.received.append(record)
            action = self.script[min(len(self.received) - 1, len(self.script) - 1)]
            self._changed.notify_all()
        if isinstance(action, tuple):  # ("hang", seconds)
            if self._stopping.wait(float(action[1])):
                handler.close_connection = True
                return
        elif action == "close":
            handler.close_connection = True  # the connection is shut without a byte of answer
            return
        elif isinstance(action, int):
            answer = _text(action, {500: "Internal Server Error", 410: "Gone"}.get(action, "scripted answer"),
                           answer.problem)
        with self._changed:
            record.status = answer.status
            self._changed.notify_all()
        handler.send_response(answer.status)
        handler.send_header("Content-Type", answer.content_type)
        handler.send_header("Content-Length", str(len(answer.body)))
        handler.send_header("Connection", "close")
        handler.end_headers()
        if handler.command != "HEAD":
            handler.wfile.write(answer.body)
        handler.close_connection = True

    def _verify(self, method: str, path: str, query: dict[str, str], headers: Headers, body: bytes,
                parsed: Any) -> _Answer:
        expected = {"lastmeter": LASTMETER_PATH, "wecom": WECOM_PATH, "dingtalk": DINGTALK_PATH}.get(self.kind)
        if expected is not None and path != expected or self.kind == "feishu" and not path.startswith(FEISHU_PREFIX):
            return _text(404, "not found", f"unknown path {path}")
        if method != "POST":
            return _text(405, "method not allowed", f"method {method}, not POST")
        return getattr(self, f"_verify_{self.kind}")(path, query, headers, body, parsed)

    def _verify_lastmeter(self, path: str, query: dict[str, str], headers: Headers, body: bytes,
                          parsed: Any) -> _Answer:
        def refuse(problem: str) -> _Answer:
            return _text(401, f"refused: {problem}", problem)

        media = Message()
        media["Content-Type"] = headers.get("Content-Type", "")
        if media.get_content_type() != "application/json" or not headers.get("Content-Type"):
            return refuse(f"Content-Type {headers.get('Content-Type')!r}, not application/json")
        event_id = headers.get("Lastmeter-Event-Id")
        event_type = headers.get("Lastmeter-Event-Type")
        timestamp = headers.get("Lastmeter-Timestamp")
        signature = headers.get("Lastmeter-Signature")
        for name, value in (("Lastmeter-Event-Id", event_id), ("Lastmeter-Event-Type", event_type),
                            ("Lastmeter-Timestamp", timestamp)):
            if not value:
                return refuse(f"no {name} header")
        try:
            uuid.UUID(event_id)
        except ValueError:
            return refuse(f"Lastmeter-Event-Id {event_id!r} is not a UUID")
        seconds = _digits(timestamp)
        if seconds is None:
            return refuse(f"Lastmeter-Timestamp {timestamp!r} is not integer seconds")
        if abs(time.time() - seconds) > LASTMETER_TOLERANCE_S:
            return refuse(f"Lastmeter-Timestamp {timestamp} is more than {LASTMETER_TOLERANCE_S} s from now")
        if self.secret is not None:
            if not signature or not signature.startswith("v1="):
                return refuse(f"Lastmeter-Signature {signature!r} is not v1=<hex>")
            if not hmac.compare_digest(signature.encode(), sign_lastmeter(self.secret, timestamp, body).encode()):
                return refuse("signature does not match")
        if not isinstance(parsed, dict):
            return refuse("body is not a JSON object")
        if parsed.get("id") != event_id:
            return refuse(f"body id {parsed.get('id')!r} is not the Lastmeter-Event-Id {event_id!r}")
        if parsed.get("type") != event_type:
            return refuse(f"body type {parsed.get('type')!r} is not the Lastmeter-Event-Type {event_type!r}")
        return _text(200, "ok")

    def _verify_wecom(self, path: str, query: dict[str, str], headers: Headers, body: bytes,
                      parsed: Any) -> _Answer:
        def error(code: int, message: str) -> _Answer:
            hint = f"{int(time.time() * 1000)}{uuid.uuid4().int % 10**9:09d}"
            more = f"more info at https://open.work.weixin.qq.com/devtool/query?e={code}"
            return _json({"errcode": code, "errmsg": f"{message}, hint: [{hint}], from ip: 127.0.0.1, {more}"},
                         f"errcode {code}: {message}")

        if not query.get("key"):
            return error(93000, "invalid webhook url")
        if not isinstance(parsed, dict):
            return error(40008, "Warning: wrong json format. invalid message type")
        msgtype = parsed.get("msgtype")
        if msgtype not in ("markdown", "text"):
            return error(40008, "invalid message type")
        message = parsed.get(msgtype)
        content = message.get("content") if isinstance(message, dict) else None
        if not _non_empty_str(content):
            return error(44004, "empty content")
        limit = WECOM_MARKDOWN_MAX_BYTES if msgtype == "markdown" else WECOM_TEXT_MAX_BYTES
        if len(content.encode("utf-8")) > limit:
            return error(40058, f"{msgtype}.content exceed max length {limit}. invalid Request Parameter")
        return _json({"errcode": 0, "errmsg": "ok"})

    def _verify_dingtalk(self, path: str, query: dict[str, str], headers: Headers, body: bytes,
                         parsed: Any) -> _Answer:
        def error(code: int, message: str) -> _Answer:
            return _json({"errcode": code, "errmsg": message}, f"errcode {code}: {message}")

        if not query.get("access_token"):
            return error(300001, "token is not exist")
        if self.secret is not None:
            timestamp, sign = query.get("timestamp"), query.get("sign")
            if not timestamp or not sign:
                return error(310000, DINGTALK_SIGN_MISMATCH)
            millis = _digits(timestamp)
            if millis is None or abs(time.time() * 1000 - millis) > DINGTALK_TOLERANCE_MS:
                return error(310000, DINGTALK_BAD_TIMESTAMP)
            if not hmac.compare_digest(sign.encode(), dingtalk_sign(self.secret, timestamp).encode()):
                return error(310000, DINGTALK_SIGN_MISMATCH)
        if not isinstance(parsed, dict) or parsed.get("msgtype") != "markdown":
            return error(40035, "缺少参数 json")
        markdown = parsed.get("markdown") if isinstance(parsed.get("markdown"), dict) else {}
        for code, name in ((400402, "title"), (400403, "text")):
            if not _non_empty_str(markdown.get(name)):
                return error(code, f"description:参数 markdown --》 {name} 缺失，或者参数格式不正确; "
                                   "solution:请填充上对应参数;link:请参考本接口对应文档查看参数获取方式，"
                                   "或者在https://open.dingtalk.com/document/  搜索对应文档;")
        return _json({"errcode": 0, "errmsg": "ok"})

    def _verify_feishu(self, path: str, query: dict[str, str], headers: Headers, body: bytes,
                       parsed: Any) -> _Answer:
        def error(code: int, message: str, why: str | None = None) -> _Answer:
            return _json({"code": code, "msg": message, "data": {}}, f"code {code}: {why or message}")

        if not path[len(FEISHU_PREFIX):] or "/" in path[len(FEISHU_PREFIX):]:
            return error(19001, "param invalid: incoming webhook access token invalid")
        if len(body) > FEISHU_MAX_BODY_BYTES:
            return error(9499, "Bad Request", f"body of {len(body)} bytes, over {FEISHU_MAX_BODY_BYTES}")
        if not isinstance(parsed, dict):
            return error(9499, "Bad Request", "body is not a JSON object")
        if self.secret is not None:
            timestamp, sign = parsed.get("timestamp"), parsed.get("sign")
            seconds = _digits(timestamp)
            if seconds is None or not isinstance(sign, str):
                return error(19021, FEISHU_SIGN_FAIL, "no timestamp or sign in the body")
            if abs(time.time() - seconds) > FEISHU_TOLERANCE_S:
                return error(19021, FEISHU_SIGN_FAIL, f"timestamp {timestamp} is not within one hour")
            if not hmac.compare_digest(sign.encode(), feishu_sign(self.secret, timestamp).encode()):
                return error(19021, FEISHU_SIGN_FAIL, "sign does not match")
        shape = _feishu_shape_problem(parsed)
        if shape:
            return error(9499, "Bad Request", shape)
        return _json({"code": 0, "msg": "success", "data": {}, "Extra": None, "StatusCode": 0,
                      "StatusMessage": "success"})


def _feishu_shape_problem(message: dict) -> str | None:
    """Why a Feishu bot message is not one the receiver takes, or None."""
    msg_type = message.get("msg_type")
    content = message.get("content") if isinstance(message.get("content"), dict) else {}
    if msg_type == "text":
        return None if _non_empty_str(content.get("text")) else "text message without content.text"
    if msg_type == "post":
        post = content.get("post")
        if isinstance(post, dict) and any(isinstance(lang, dict) and isinstance(lang.get("content"), list)
                                          and lang["content"] for lang in post.values()):
            return None
        return "post message without content.post.<language>.content"
    if msg_type == "interactive":
        card = message.get("card")
        if not isinstance(card, dict):
            return "interactive message without a card object"
        header = card.get("header") if isinstance(card.get("header"), dict) else {}
        title = header.get("title") if isinstance(header.get("title"), dict) else {}
        card_body = card.get("body") if isinstance(card.get("body"), dict) else {}
        elements = [*(card.get("elements") or []), *(card_body.get("elements") or [])]
        if _non_empty_str(title.get("content")) or any(
                isinstance(element, dict) and element.get("tag") == "markdown"
                and _non_empty_str(element.get("content")) for element in elements):
            return None
        return "card with neither a header title nor a markdown element"
    return f"msg_type {msg_type!r} is not interactive, text or post"
