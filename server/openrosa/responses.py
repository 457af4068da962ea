"""Building OpenRosa HTTP responses: the headers Collect checks, and errors as OpenRosaResponse XML."""
from __future__ import annotations


from flask import Response, current_app, g, request
from werkzeug.exceptions import HTTPException
from werkzeug.http import http_date

from server.errors import AuthenticationRequired, InvalidCredentials, LastmeterError
from server.domain import clock, digest
from server.openrosa.formats import render_response

XML_TYPE = "text/xml; charset=utf-8"


def openrosa_response(body: bytes, status: int = 200, content_type: str = XML_TYPE,
                      cache: str = "private, no-cache") -> Response:
    response = Response(body, status=status, content_type=content_type)
    add_openrosa_headers(response, cache)
    return response


def add_openrosa_headers(response: Response, cache: str) -> None:
    response.headers["X-OpenRosa-Version"] = "1.0"
    response.headers["X-OpenRosa-Accept-Content-Length"] = str(current_app.config["MAX_SUBMISSION_BYTES"])
    response.headers["Date"] = http_date(clock.timestamp())
    response.headers["Content-Language"] = "zh-CN"
    response.headers["Cache-Control"] = cache


def message_response(message: str, status: int, nature: str = "") -> Response:
    cache = "no-store" if request.method == "POST" else "private, no-cache"
    return openrosa_response(render_response(message, nature), status=status, cache=cache)


def render_error(error: LastmeterError) -> Response:
    """Errors as Collect shows them: the <message> text, Chinese first, then English."""
    response = message_response(error.bilingual(), error.http_status, nature="error")
    if isinstance(error, (AuthenticationRequired, InvalidCredentials)) and not g.get("collect_token"):
        add_challenges(response, stale=bool(error.details.get("stale")))
    return response


def render_http_exception(exc: HTTPException) -> Response:
    code = exc.code or 500
    messages = {
        404: "找不到请求的资源。(Could not find the resource you were looking for.)",
        405: "不支持此请求方法。(This method is not supported here.)",
        413: "提交内容过大，超过服务器允许的 {limit} 字节。请减少照片数量或降低照片分辨率后重试。"
             "(The submission is larger than the {limit} bytes the server accepts.)",
    }
    template = messages.get(code, f"服务器错误 {code}。({exc.name})")
    return message_response(template.format(limit=current_app.config["MAX_SUBMISSION_BYTES"]), code, "error")


def add_challenges(response: Response, stale: bool = False) -> None:
    """Digest always; Basic too when the request came over HTTPS (Collect never sends Basic over HTTP)."""
    secret = str(current_app.config["SECRET_KEY"])
    response.headers.add("WWW-Authenticate", digest.challenge(secret, clock.timestamp(), stale=stale))
    if request.scheme == "https":
        response.headers.add("WWW-Authenticate", f'Basic realm="{digest.REALM}", charset="UTF-8"')
