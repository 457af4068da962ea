"""Outgoing HTTP: the one module that POSTs to webhook receivers and chat robots (the standard library's
``http.client``, with what a server calling out to addresses its users type needs around it).

- **A deadline, not a per-read timeout**: a watchdog shuts the socket when the attempt's time is up, so a receiver
  that drips its headers or body a byte at a time cannot hold a worker longer than the timeout.
- **The address that was checked is the one connected to**: the host name is resolved once; unless private targets
  are allowed, a loopback, private, link-local or otherwise non-global address is refused before anything is sent,
  and the connection goes to that same address (TLS still verifies the host name), so a name that resolves
  differently a moment later (DNS rebinding) cannot lead into the server's own network (docs/security.md).
- No redirects are followed; at most 64 KiB of the answer is read.
"""
from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
import threading
from dataclasses import dataclass
from urllib.parse import urlsplit

MAX_ANSWER_BYTES = 65_536
USER_AGENT = "Lastmeter-Webhooks/1"


@dataclass(frozen=True)
class Answer:
    status: int | None   # None: no answer (refused, timed out, cut off)
    body: bytes
    error: str | None


class TargetRefused(ValueError):
    """The URL may not be called (bad URL or scheme, a name that does not resolve, an internal address)."""


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    path: str      # path and query, as sent in the request line
    address: str   # the checked IP address to connect to


def check_target(url: str, allow_private: bool) -> Target:
    """Parse and resolve ``url``; refuse what may not be called. Returns where to connect."""
    try:
        parts = urlsplit(url)
        port = parts.port
        host = parts.hostname
    except ValueError:
        raise TargetRefused("网址格式不正确 / the URL is malformed") from None
    if parts.scheme not in ("http", "https") or not host:
        raise TargetRefused("须为 http(s) 网址 / must be an http(s) URL")
    port = port or (443 if parts.scheme == "https" else 80)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError, ValueError):
        raise TargetRefused("无法解析该网址的主机名 / the host name does not resolve") from None
    addresses = [info[4][0].split("%", 1)[0] for info in infos]
    if not allow_private and any(not ipaddress.ip_address(a).is_global for a in addresses):
        raise TargetRefused("不能推送到内网或本机地址 / internal and loopback addresses are not allowed")
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Target(parts.scheme, host, port, path, addresses[0])


class _Plain(http.client.HTTPConnection):
    def __init__(self, target: Target, timeout: float):
        super().__init__(target.host, target.port, timeout=timeout)
        self._address = target.address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _Tls(http.client.HTTPSConnection):
    def __init__(self, target: Target, timeout: float):
        super().__init__(target.host, target.port, timeout=timeout, context=ssl.create_default_context())
        self._address = target.address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


def post_json(url: str, body: bytes, headers: dict[str, str], timeout: float, allow_private: bool) -> Answer:
    """POST ``body`` within ``timeout`` seconds in all; never raises for what the receiver does."""
    try:
        target = check_target(url, allow_private)
    except TargetRefused as refused:
        return Answer(None, b"", str(refused))
    connection = (_Tls if target.scheme == "https" else _Plain)(target, timeout)
    expired = threading.Event()

    def expire() -> None:
        expired.set()
        sock = connection.sock
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    watchdog = threading.Timer(timeout, expire)
    watchdog.daemon = True
    watchdog.start()
    try:
        connection.request("POST", target.path, body=body,
                           headers={"Content-Type": "application/json; charset=utf-8", "User-Agent": USER_AGENT,
                                    **headers})
        response = connection.getresponse()
        answer = response.read(MAX_ANSWER_BYTES)
        if expired.is_set():
            raise TimeoutError
        return Answer(response.status, answer, None)
    except (OSError, http.client.HTTPException) as failure:
        return Answer(None, b"", _describe(failure, expired.is_set()))
    finally:
        watchdog.cancel()
        connection.close()


def _describe(failure: Exception, expired: bool) -> str:
    if expired or isinstance(failure, (TimeoutError, socket.timeout)):
        return "超时未响应 / timed out"
    if isinstance(failure, ConnectionRefusedError):
        return "无法连接 / connection refused"
    if isinstance(failure, (http.client.RemoteDisconnected, ConnectionResetError, http.client.IncompleteRead)):
        return "连接中断 / connection closed without an answer"
    if isinstance(failure, ssl.SSLError):
        return f"TLS 错误 / TLS error: {failure.reason or failure}"[:300]
    return f"{type(failure).__name__}: {failure}"[:300]
