"""Outgoing HTTP (urllib3): the one module that POSTs to webhook receivers and chat robots.

A request has one overall deadline (connect + answer), follows no redirects (a receiver that moved says so, and
its owner updates the URL), and reads at most 64 KiB of the answer. Unless private targets are allowed, a URL
whose host resolves to a loopback, private, link-local or otherwise internal address is refused before anything
is sent — a county user's subscription must not become a way into the server's own network (docs/security.md).
"""
from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

import urllib3

MAX_ANSWER_BYTES = 65_536
_pool = urllib3.PoolManager(num_pools=50, maxsize=4, retries=False)


@dataclass(frozen=True)
class Answer:
    status: int | None   # None: no answer (refused, timed out, cut off)
    body: bytes
    error: str | None


class TargetRefused(ValueError):
    """The URL may not be called (bad scheme, or an internal address)."""


def check_target(url: str, allow_private: bool) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise TargetRefused("须为 http(s) 网址 / must be an http(s) URL")
    if allow_private:
        return
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or (443 if parts.scheme == "https" else 80),
                                   type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise TargetRefused("无法解析该网址的主机名 / the host name does not resolve") from None
    for info in infos:
        address = ipaddress.ip_address(info[4][0].split("%", 1)[0])
        if not address.is_global:
            raise TargetRefused("不能推送到内网或本机地址 / internal and loopback addresses are not allowed")


def post_json(url: str, body: bytes, headers: dict[str, str], timeout: float, allow_private: bool) -> Answer:
    """POST ``body``; never raises for what the receiver does (no answer is an ``Answer`` with an error)."""
    try:
        check_target(url, allow_private)
    except TargetRefused as refused:
        return Answer(None, b"", str(refused))
    try:
        response = _pool.request("POST", url, body=body, redirect=False, preload_content=False,
                                 headers={"Content-Type": "application/json; charset=utf-8",
                                          "User-Agent": "Lastmeter-Webhooks/1", **headers},
                                 timeout=urllib3.Timeout(total=timeout))
        try:
            answer = response.read(MAX_ANSWER_BYTES, decode_content=True)
        finally:
            response.release_conn()
        return Answer(response.status, answer, None)
    except urllib3.exceptions.HTTPError as failure:
        return Answer(None, b"", _describe(failure))


def _describe(failure: Exception) -> str:
    if isinstance(failure, (urllib3.exceptions.TimeoutError, urllib3.exceptions.ReadTimeoutError)):
        return "超时未响应 / timed out"
    if isinstance(failure, urllib3.exceptions.NewConnectionError):
        return "无法连接 / connection refused"
    if isinstance(failure, urllib3.exceptions.ProtocolError):
        return "连接中断 / connection closed without an answer"
    return f"{type(failure).__name__}: {failure}"[:300]
