"""The request boundary shared by every blueprint: one commit per request, and the
rendering of LastmeterError as JSON, OpenRosa XML or a page depending on who asked."""
from __future__ import annotations

from flask import Flask, Response, jsonify, make_response, render_template, request
from werkzeug.exceptions import HTTPException

from server.errors import BadRequest, LastmeterError
from server.extensions import db
from server.media import discard_new_blobs, keep_new_blobs

# Blueprints that speak another format (OpenRosa XML to ODK Collect) register their renderers here.
XML_RENDERERS: dict[str, object] = {}
HTTP_ERROR_RENDERERS: dict[str, object] = {}
HTTP_MESSAGES_ZH = {
    400: "请求无效，请返回重试。", 403: "您没有权限访问此页面。", 404: "找不到此页面。", 405: "不支持此操作。",
    413: "上传的文件过大。", 429: "尝试次数过多，请稍后再试。", 500: "服务器出错了，请稍后再试。",
}


def init_app(app: Flask) -> None:
    app.before_request(_refuse_nul_characters)
    app.after_request(_commit_or_roll_back)
    app.teardown_request(_forget_failed_request)
    app.register_error_handler(LastmeterError, _render_error)
    app.register_error_handler(HTTPException, _render_http_exception)


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


def _commit_or_roll_back(response: Response) -> Response:
    """The single commit of a request: only when the response says it succeeded.

    The response has not left yet, so a 201 is only ever sent for what was committed;
    if the commit itself fails, the error handler answers instead.
    """
    if response.status_code < 400:
        db.session.commit()
        keep_new_blobs()
    else:
        db.session.rollback()
        discard_new_blobs()
    return response


def _forget_failed_request(exc: BaseException | None) -> None:
    if exc is not None:
        db.session.rollback()
        discard_new_blobs()


def wants_json() -> bool:
    return request.path.startswith("/api/") or request.path == "/healthz"


def _blueprint_renderer(renderers: dict[str, object]):
    """A failed request: undo its writes, then find who renders errors for its blueprint."""
    db.session.rollback()
    discard_new_blobs()
    return renderers.get(request.blueprint or "")


def _render_error(error: LastmeterError) -> Response:
    response = make_response(_rendered_error(error))
    response.headers.update(error.http_headers())
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

    A file with a signed URL is not streamed: the client is redirected there, and the redirect is never
    cached, since the URL expires.
    """
    from flask import redirect, send_file

    if file.url is not None:
        response = redirect(file.url, 302)
        response.headers["Cache-Control"] = "no-store"
        return response
    response = send_file(file.stream, mimetype=file.content_type, etag=file.etag, conditional=True,
                         download_name=file.download_name, as_attachment=not file.inline, max_age=0)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-cache"
    return response
