"""Chat-group robot messages, pure: the Chinese markdown of an alert and each platform's request (docs/events.md).

- 企业微信 (WeCom) group robot: POST the robot URL (``…/cgi-bin/webhook/send?key=…``) with
  ``{"msgtype": "markdown", "markdown": {"content": …}}``; content at most 4 096 bytes; no signature.
- 钉钉 (DingTalk) custom robot, 加签: the URL gets ``&timestamp=<ms>&sign=<sign>`` where sign is the URL-encoded
  base64 of HMAC-SHA256 under the secret of ``"{timestamp}\\n{secret}"``; body
  ``{"msgtype": "markdown", "markdown": {"title": …, "text": …}}``.
- 飞书 (Feishu) custom bot, 签名校验: the body carries ``timestamp`` (seconds, a string) and ``sign``, the base64
  of HMAC-SHA256 keyed by ``"{timestamp}\\n{secret}"`` over an empty message; an interactive card whose one
  element is markdown.
Each platform answers HTTP 200 also on errors, with ``errcode`` (WeCom, DingTalk) or ``code`` (Feishu) non-zero:
``robot_error`` reads that.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass
from urllib.parse import quote_plus

from server.domain.events import TargetKind

WECOM_MAX_BYTES = 4096


@dataclass(frozen=True)
class ChatMessage:
    title: str          # one line: 【强制报告】五华区华山街道社工站
    lines: tuple[str, ...]  # markdown lines under it
    link_text: str
    link_url: str

    def markdown(self, heading: str = "### ", limit: int | None = None) -> str:
        """The message in markdown; within ``limit`` UTF-8 bytes, the lines are cut and the link kept."""
        link = f"\n\n[{self.link_text}]({self.link_url})"
        text = f"{heading}{self.title}\n" + "\n".join(self.lines)
        if limit is not None:
            text = _fit_bytes(text, limit - len(link.encode("utf-8")))
        return text + link


def _fit_bytes(text: str, limit: int) -> str:
    """Cut ``text`` to at most ``limit`` UTF-8 bytes without splitting a character."""
    raw = text.encode("utf-8")
    return text if len(raw) <= limit else raw[:limit - 3].decode("utf-8", "ignore") + "…"


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    digest = hmac.new(secret.encode("utf-8"), f"{timestamp_ms}\n{secret}".encode("utf-8"), hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def feishu_sign(secret: str, timestamp_s: int) -> str:
    digest = hmac.new(f"{timestamp_s}\n{secret}".encode("utf-8"), b"", hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def robot_request(kind: TargetKind, url: str, secret: str | None, message: ChatMessage,
                  now_seconds: float) -> tuple[str, bytes]:
    """The URL to POST and the JSON body, as the platform documents them."""
    if kind == TargetKind.WECOM:
        body: dict = {"msgtype": "markdown", "markdown": {"content": message.markdown(limit=WECOM_MAX_BYTES)}}
    elif kind == TargetKind.DINGTALK:
        body = {"msgtype": "markdown", "markdown": {"title": message.title, "text": message.markdown()}}
        if secret:
            timestamp_ms = int(now_seconds * 1000)
            separator = "&" if "?" in url else "?"
            url = f"{url}{separator}timestamp={timestamp_ms}&sign={quote_plus(dingtalk_sign(secret, timestamp_ms))}"
    elif kind == TargetKind.FEISHU:
        card = {"header": {"title": {"tag": "plain_text", "content": message.title}, "template": "red"},
                "elements": [{"tag": "markdown", "content": message.markdown(heading="").split("\n", 1)[1]}]}
        body = {"msg_type": "interactive", "card": card}
        if secret:
            timestamp_s = int(now_seconds)
            body = {"timestamp": str(timestamp_s), "sign": feishu_sign(secret, timestamp_s), **body}
    else:
        raise ValueError(kind)
    return url, json.dumps(body, ensure_ascii=False).encode("utf-8")


def robot_error(kind: TargetKind, body: bytes) -> str | None:
    """The platform's error in a 200 answer (``errcode``/``code`` not 0), or None when it accepted the message."""
    try:
        answer = json.loads(body or b"{}")
    except ValueError:
        return "机器人返回的不是 JSON / the robot's answer is not JSON"
    if not isinstance(answer, dict):
        return "机器人返回的不是 JSON 对象 / the robot's answer is not a JSON object"
    code = answer.get("code", answer.get("StatusCode")) if kind == TargetKind.FEISHU else answer.get("errcode")
    if code in (0, None):
        return None
    text = answer.get("msg") if kind == TargetKind.FEISHU else answer.get("errmsg")
    return f"{code}: {text}"[:300]
