"""The request boundary shared by every blueprint: one commit per request, and the
rendering of LastmeterError as JSON, OpenRosa XML or a page depending on who asked."""
from __future__ import annotations

import logging

from flask import Flask, Response, current_app, jsonify, make_response, render_template, request
from flask.json.provider import DefaultJSONProvider
from sqlalchemy.exc import InterfaceError, OperationalError
from werkzeug.exceptions import HTTPException

from server.adapters.signing import SessionInterface
from server.errors import BadRequest, BodyTooLarge, DatabaseUnavailable, LastmeterError
from server.extensions import db
from server.media import discard_new_blobs, keep_new_blobs
from server.media.storage import StorageFull, is_disk_full
from server.media.uploads import UploadRequest
from server.services import timekeeping

log = logging.getLogger(__name__)
# What the database driver raises when the database is away (a restart, a failover, a lost connection) or, for
# SQLite, still locked after the busy timeout: answered 503 with Retry-After, never a 500.
DATABASE_AWAY = (OperationalError, InterfaceError)

# Blueprints that speak another format (OpenRosa XML to ODK Collect) register their renderers here.
XML_RENDERERS: dict[str, object] = {}
HTTP_ERROR_RENDERERS: dict[str, object] = {}
HTTP_MESSAGES_ZH = {
    400: "请求无效，请返回重试。", 403: "您没有权限访问此页面。", 404: "找不到此页面。", 405: "不支持此操作。",
    413: "上传的文件过大。", 429: "尝试次数过多，请稍后再试。", 500: "服务器出错了，请稍后再试。",
}


# No request of the API nests deeper than 4 levels; a body nested 100 000 deep would exhaust Python's
# recursion while it is parsed or walked. Bounded once here for every JSON body.
MAX_JSON_DEPTH = 32


class BoundedJSONProvider(DefaultJSONProvider):
    """Flask's JSON, refusing (as any malformed JSON) a document nested deeper than MAX_JSON_DEPTH."""

    def loads(self, s: str | bytes, **kwargs):
        try:
            value = super().loads(s, **kwargs)
        except RecursionError:
            raise ValueError(f"nested deeper than {MAX_JSON_DEPTH} levels") from None
        if _depth(value) > MAX_JSON_DEPTH:
            raise ValueError(f"nested deeper than {MAX_JSON_DEPTH} levels")
        return value


def _depth(value: object) -> int:
    """How deeply lists and objects nest in a parsed document, walked without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, (dict, list)):
            deepest = max(deepest, level)
            stack.extend((child, level + 1) for child in (item.values() if isinstance(item, dict) else item))
    return deepest


class LastmeterRequest(UploadRequest):
    """The app's one request class: uploads stream into media storage's spool (``media/uploads.py``), and
    unreadable JSON is the API's 400.1 with its reason."""

    def on_json_loading_failed(self, e: ValueError | None):
        if e is None:  # not a JSON body at all: Flask's own 415
            return super().on_json_loading_failed(e)
        raise BadRequest(reason=f"JSON 无法解析 / unreadable JSON: {e}")


def init_app(app: Flask) -> None:
    app.request_class = LastmeterRequest
    app.session_interface = SessionInterface()  # the session cookie's age by the app's clock
    app.json = BoundedJSONProvider(app)
    timekeeping.restart(float(app.config["CLOCK_OFFSET_SECONDS"]))
    app.before_request(timekeeping.keep_in_step)  # first: every "now" of the request by the database's clock
    app.before_request(_check_json_body)
    app.before_request(_refuse_nul_characters)
    app.after_request(_commit_or_roll_back)
    app.after_request(_cache_policy)
    app.teardown_request(_forget_failed_request)
    app.register_error_handler(LastmeterError, _render_error)
    for away in DATABASE_AWAY:
        app.register_error_handler(away, _database_away)
    app.register_error_handler(OSError, _disk_full)
    app.register_error_handler(HTTPException, _render_http_exception)


def _check_json_body() -> None:
    """Every JSON body, bounded in size and depth and parsed once, before authentication: a bad one is a
    400 or 413 in the asker's format, never a 500 (the parsed body is cached for the view)."""
    if not request.is_json:
        return
    limit = int(current_app.config["API_MAX_JSON_BYTES"])
    if (request.content_length or 0) > limit:
        raise BodyTooLarge(limit=f"{limit:,}")
    request.max_content_length = limit  # a body sent without a length is cut off at the limit too
    if not request.get_data(cache=True):
        return  # a JSON content type on a request without a body (a GET, a DELETE): nothing to read
    request.get_json()


def _refuse_nul_characters() -> None:
    """PostgreSQL text cannot hold U+0000 (SQLite can): a NUL in the path, the query or a JSON body would make
    the first query naming it fail with a 500. Refused here, before any query, in the asker's format.
    Multipart bodies are left to their readers (reading them here would consume streamed uploads; the
    submission XML they carry cannot hold a NUL anyway); a page's url-encoded form is small and read here."""
    texts = [request.path, *(text for pair in request.args.items(multi=True) for text in pair)]
    if request.is_json:
        texts += _strings_in(request.get_json(silent=True))
    elif request.mimetype == "application/x-www-form-urlencoded":
        texts += [text for pair in request.form.items(multi=True) for text in pair]
    if any("\x00" in text for text in texts):
        raise BadRequest(reason="请求含有 NUL 字符 / the request contains a NUL character")


def _strings_in(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for key, item in value.items() for s in (*_strings_in(key), *_strings_in(item))]
    if isinstance(value, list):
        return [s for item in value for s in _strings_in(item)]
    return []


def cacheable(policy: str):
    """Mark a view whose answers to GET carry no personal data (the public resident page, an XForm) with its
    own Cache-Control, used unless the response sets one; every other response of the app is ``no-store``
    (a POST to the same view included: the resident's answers shown back are theirs alone)."""

    def mark(view):
        view.cache_policy = policy
        return view

    return mark


def _cache_policy(response: Response) -> Response:
    """The one place Cache-Control is decided. Lists, cases, submissions, photos, exports and reports carry
    personal data: no shared computer's browser and no proxy may keep a copy (``no-store``, nothing weaker,
    whatever the view set). Static assets keep Flask's revalidated caching; a view marked ``cacheable``
    gets its own policy."""
    if request.endpoint == "static":
        return response
    policy = getattr(current_app.view_functions.get(request.endpoint or ""), "cache_policy", None)
    if policy is None or request.method not in ("GET", "HEAD"):
        response.headers["Cache-Control"] = "no-store"
    else:
        response.headers.setdefault("Cache-Control", policy)
    return response


def _commit_or_roll_back(response: Response) -> Response:
    """The single commit of a request: only when the response says it succeeded.

    The response has not left yet, so a 201 is only ever sent for what was committed;
    if the commit itself fails, the error handler answers instead.
    """
    if response.status_code < 400:
        try:
            db.session.commit()
        except DATABASE_AWAY as exc:  # the answer was not sent: it becomes the 503, and nothing is kept
            return _database_away(exc)
        keep_new_blobs()
    else:
        db.session.rollback()
        discard_new_blobs()
    return response


def _forget_failed_request(exc: BaseException | None) -> None:
    if exc is not None:
        db.session.rollback()
        discard_new_blobs()


def json_errors(view):
    """Mark a page-blueprint view that answers scripts, not people (the browser forms' submission and status):
    its errors are JSON, as the REST API's are."""
    view.json_errors = True
    return view


def wants_json() -> bool:
    if request.path.startswith("/api/") or request.path == "/healthz":
        return True
    return bool(getattr(current_app.view_functions.get(request.endpoint or ""), "json_errors", False))


def _blueprint_renderer(renderers: dict[str, object]):
    """A failed request: undo its writes, then find who renders errors for its blueprint."""
    db.session.rollback()
    discard_new_blobs()
    return renderers.get(request.blueprint or "")


def _disk_full(exc: OSError) -> Response:
    """A write found the disk full (the upload spool, the media folder): 507 in the asker's format; any other
    OSError stays the 500 it is."""
    if not is_disk_full(exc):
        raise exc
    log.warning("disk full during %s %s: %s", request.method, request.path, exc)
    return _render_error(StorageFull())


def _database_away(exc: Exception) -> Response:
    """The database went away under a request: roll back what it wrote and say when to come back."""
    log.warning("database unavailable during %s %s: %s", request.method, request.path, exc.__class__.__name__)
    try:
        db.session.rollback()
    except DATABASE_AWAY:
        db.session.close()  # the connection is gone: the pool replaces it (pre-ping) on the next checkout
    return _render_error(DatabaseUnavailable())


def _render_error(error: LastmeterError) -> Response:
    response = make_response(_rendered_error(error))
    response.headers.update(error.http_headers())
    if response.status_code == 401 and wants_json():  # RFC 6750: how to authenticate (OpenRosa sends Digest)
        challenge = 'Bearer realm="Lastmeter API"'
        if request.headers.get("Authorization", "").lower().startswith("bearer "):  # a token was sent: it is dead
            challenge += ', error="invalid_token"'
        response.headers.setdefault("WWW-Authenticate", challenge)
    return response


def _rendered_error(error: LastmeterError) -> Response | tuple:
    renderer = _blueprint_renderer(XML_RENDERERS)
    if renderer is not None:
        return renderer(error)  # type: ignore[operator]
    if wants_json():
        return jsonify(error.to_dict()), error.http_status
    return render_template("error.html", code=error.code, message_zh=error.message("zh"),
                           message_en=error.message("en")), error.http_status


def _render_http_exception(exc: HTTPException) -> Response | HTTPException:
    renderer = _blueprint_renderer(HTTP_ERROR_RENDERERS)
    if exc.response is not None:
        return exc.response  # a page made for this refusal (the resident page, past a rate limit, keeps the answers)
    if renderer is not None:
        return renderer(exc)  # type: ignore[operator]
    if wants_json():
        body = {"code": f"{exc.code}.0", "message": exc.name, "message_en": exc.name,
                "details": {"description": exc.description}}
        return jsonify(body), exc.code or 500  # type: ignore[return-value]
    zh = HTTP_MESSAGES_ZH.get(exc.code or 500, exc.name)
    return render_template("error.html", code=f"{exc.code}", message_zh=zh, message_en=exc.description or exc.name), \
        exc.code or 500


def send_media(file) -> Response:
    """A stored file as a response: typed by its content, revalidated on every use (scope may change).

    A file with a signed URL is not streamed: the client is redirected there (the redirect is never cached,
    as no response with personal data is: ``_cache_policy``).
    """
    from flask import redirect, send_file

    if file.url is not None:
        return redirect(file.url, 302)
    response = send_file(file.stream, mimetype=file.content_type, etag=file.etag, conditional=True,
                         download_name=file.download_name, as_attachment=not file.inline, max_age=0)
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response  # Cache-Control: no-store, as every response with personal data (_cache_policy)
