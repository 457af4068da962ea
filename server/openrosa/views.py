"""OpenRosa views: load → authenticate → call one service → render (route table in __init__)."""
from __future__ import annotations

from flask import current_app, g, request

from server.boundary import cacheable
from server.errors import LastmeterError
from server.openrosa import bp, intake
from server.openrosa.auth import authenticate_request
from server.openrosa.formats import FormListEntry, ManifestFile, render_form_list, render_integrity, render_manifest
from server.openrosa.responses import message_response, openrosa_response
from server.services import collect
from server.services.submissions import IngestOutcome, Origin

# Endpoints Central treats as OpenRosa ones: they need the X-OpenRosa-Version header.
OPENROSA_ENDPOINTS = {"form_list", "manifest", "integrity", "submission_head", "submission_post"}


class MissingOpenRosaVersion(LastmeterError):
    code = "400.6"
    zh = "请求缺少 X-OpenRosa-Version: 1.0 头。"
    en = "An expected header field (X-OpenRosa-Version) did not match the expected format."


@bp.url_value_preprocessor
def _pull_token(_endpoint, values) -> None:
    g.collect_token_value = (values or {}).pop("token", None)


@bp.url_defaults
def _keep_token(_endpoint, values) -> None:
    if g.get("collect_token_value") is not None:
        values.setdefault("token", g.collect_token_value)


@bp.before_request
def _authenticate() -> None:
    endpoint = (request.endpoint or "").rsplit(".", 1)[-1]
    if endpoint in OPENROSA_ENDPOINTS and request.headers.get("X-OpenRosa-Version", "").strip() != "1.0":
        raise MissingOpenRosaVersion()
    g.collect_user = authenticate_request(g.get("collect_token_value"))


def base_url() -> str:
    """Where this worker's URLs start: the public URL, plus the token prefix if they used one."""
    token = g.get("collect_token_value")
    public = current_app.config["PUBLIC_URL"]
    return f"{public}/key/{token}" if token else public


def _quote(value: str) -> str:
    from urllib.parse import quote

    return quote(value, safe="")


@bp.get("/formList", endpoint="form_list")
@cacheable("private, no-cache")  # no personal data: as ODK Central answers
def form_list():
    wanted = request.args.get("formID")
    entries = [
        FormListEntry(xml_form_id=form.xml_form_id, name=version.title, version=version.version, md5=version.md5,
                      download_url=f"{base_url()}/forms/{_quote(form.xml_form_id)}.xml",
                      manifest_url=f"{base_url()}/forms/{_quote(form.xml_form_id)}/manifest"
                      if version.attachments else None)
        for form, version in collect.listed_forms() if wanted is None or form.xml_form_id == wanted]
    return openrosa_response(render_form_list(entries))


@bp.get("/forms/<xml_form_id>.xml", endpoint="form_xml")
@cacheable("private, no-cache")  # no personal data: as ODK Central answers
def form_xml(xml_form_id: str):
    _form, version = collect.downloadable_form(xml_form_id)
    response = openrosa_response(version.xml, content_type="application/xml; charset=utf-8")
    response.set_etag(version.md5)
    return response.make_conditional(request)


@bp.get("/forms/<xml_form_id>/manifest", endpoint="manifest")
@cacheable("private, no-cache")  # no personal data: as ODK Central answers
def manifest(xml_form_id: str):
    form, version = collect.downloadable_form(xml_form_id)
    prefix = f"{base_url()}/forms/{_quote(form.xml_form_id)}/attachments"
    files = [ManifestFile(filename=f.name, md5=f.md5, download_url=f"{prefix}/{_quote(f.name)}",
                          entity_list=f.entity_list,
                          integrity_url=f"{base_url()}/datasets/cases/integrity" if f.entity_list else None)
             for f in collect.form_files(g.collect_user, version)]
    return openrosa_response(render_manifest(files))


@bp.get("/forms/<xml_form_id>/attachments/<name>", endpoint="attachment")
def attachment(xml_form_id: str, name: str):
    _form, version = collect.downloadable_form(xml_form_id)
    file = collect.form_file(g.collect_user, version, name)
    response = openrosa_response(file.content, content_type=file.content_type)
    response.set_etag(file.md5)
    return response.make_conditional(request)


@bp.get("/datasets/cases/integrity", endpoint="integrity")
def integrity():
    ids = [i.strip().removeprefix("uuid:") for i in request.args.get("id", "").split(",") if i.strip()]
    return openrosa_response(render_integrity(collect.case_integrity(g.collect_user, ids[:10_000])))


@bp.route("/submission", methods=["GET", "HEAD"], endpoint="submission_head")
@cacheable("private, no-cache")  # no personal data: as ODK Central answers
def submission_head():
    collect.station_of(g.collect_user)
    return openrosa_response(b"", status=204)


@bp.post("/submission", endpoint="submission_post")
def submission_post():
    origin = Origin(submitter=g.collect_user, device_id=request.args.get("deviceID"),
                    user_agent=request.headers.get("User-Agent"))
    result = intake.receive(origin)
    return message_response(_success_message(result.outcome, result.missing), 201)


def _success_message(outcome: IngestOutcome, missing: tuple[str, ...]) -> str:
    if missing:
        return f"已收到表单，还有 {len(missing)} 个文件待上传。(Received; {len(missing)} file(s) still to come.)"
    if outcome == IngestOutcome.EDITED:
        return "修改已提交成功。(Edit submitted successfully.)"
    return "提交成功。(Submission received.)"
