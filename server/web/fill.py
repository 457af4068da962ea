"""Forms in the browser for workers without an Android phone (and station heads): ODK Web Forms, with the
worker's case list, edits of returned visits, drafts and an offline queue (``static/js/fill.js``), and a
service worker that keeps the forms, their files and the bundle for use with no network (docs/web-forms.md).

Routes (all under /fill/, the service worker's scope):
  GET  /fill/                                   the forms, counts, visits to redo, the queue
  GET  /fill/collect                            the ODK Collect settings QR code
  GET  /fill/sw.js                              the service worker
  GET  /fill/status                             JSON: who is signed in and a fresh CSRF token (before the queue sends)
  GET  /fill/<form>                             fill a form
  GET  /fill/<form>/form.xml, /attachments/<n>  the XForm and its files (the same as Collect's)
  GET  /fill/returned/<instance_id>             edit a visit sent back to redo
  GET  /fill/returned/<instance_id>/instance.xml, /files/<n>   what the edit starts from
  POST /fill/submission                         OpenRosa multipart in, JSON out (CSRF header)
"""
from __future__ import annotations

import hashlib
import json
import secrets
from functools import lru_cache
from pathlib import Path

from flask import current_app, jsonify, make_response, render_template, request, url_for
from flask_babel import gettext as _
from flask_wtf.csrf import generate_csrf

from server.boundary import json_errors, send_media
from server.errors import NotFound
from server.media import media_storage
from server.openrosa import intake
from server.services import fill
from server.services.collect import form_files
from server.services.submissions import IngestOutcome, Origin
from server.web import bp
from server.web.submissions import FLAG_LABELS
from server.web.auth import collect_qr_of, current_user, fill_login_required

STATIC_FILES = ("vendor/webforms/web-forms.js", "vendor/webforms/web-forms.css", "js/fill.js", "css/fill.css",
                "css/app.css")


@lru_cache(maxsize=1)
def _asset_version(static_folder: str) -> str:
    """One hash of every file the service worker keeps: a new release replaces them all."""
    digest = hashlib.sha256()
    for name in STATIC_FILES:
        digest.update((Path(static_folder) / name).read_bytes())
    return digest.hexdigest()[:16]


def asset_url(name: str) -> str:
    return url_for("static", filename=name, v=_asset_version(current_app.static_folder or ""))


def _texts() -> dict[str, str]:
    """The words fill.js shows, in the page's language ({n}, {when} filled in by the script)."""
    return {
        "waiting": _("{n} waiting to be sent"),
        "offline_wait": _(" (no network: they are kept on this device and sent when it returns)"),
        "signed_out": _("Your sign-in has ended: sign in again and they will be sent."),
        "others": _("{n} filled by another account on this device wait for that account to sign in."),
        "refused": _("refused: "),
        "discard": _("Delete"),
        "discard_confirm": _("Delete this filled form from this device? It has not reached the server."),
        "too_large": _("too large for the server; ask your station head"),
        "no_offline": _("This browser cannot open forms without a network; filled forms are still kept on this "
                        "device and sent when the network returns."),
        "offline_ready": _("Ready for use without a network: the forms and your case list are kept on this device."),
        "offline_partial": _("Some forms could not be kept for use without a network; open this page again online."),
        "saved_sending": _("Saved on this device; sending…"),
        "kept": _("Saved on this device. It could not be sent yet; it will be tried again by itself."),
        "sent": _("Sent. The form is blank again for the next visit."),
        "saved_offline": _("Saved on this device. No network now: it will be sent when the network returns."),
        "not_saved": _("This device could not save the form (is its storage full?). It is still on screen: "
                       "do not close the page."),
        "draft_found": _("A draft of this form saved at {when} is kept on this device."),
        "repeat_actions": _("Actions for this entry"),
        "actions": _("Actions"),
        "load_failed": _("The form could not be loaded. Reload the page."),
        "load_failed_offline": _("No network, and this form was not kept on this device. Open it once online."),
    }


@bp.get("/fill/")
@fill_login_required
def fill_home():
    user = current_user()
    forms = fill.forms(user)
    offline = [{"page": url_for("web.fill_form", xml_form_id=form.xml_form_id),
                "xml": url_for("web.fill_form_xml", xml_form_id=form.xml_form_id),
                "files": [url_for("web.fill_attachment", xml_form_id=form.xml_form_id, name=a["name"])
                          for a in version.attachments]}
               for form, version in forms]
    return render_template("fill_home.html", station=fill.station_of(user), forms=forms, flag_labels=FLAG_LABELS,
                           workload=fill.workload(user), returned=fill.returned_visits(user),
                           offline=offline, texts=_texts(), asset_url=asset_url)


@bp.get("/fill/collect")
@fill_login_required
def fill_collect():
    return render_template("worker_collect.html", worker=current_user(), qr=collect_qr_of(current_user()))


@bp.get("/fill/sw.js")
def fill_service_worker():
    assets = [asset_url(name) for name in STATIC_FILES]
    body = render_template("fill_sw.js", version=_asset_version(current_app.static_folder or ""),
                           assets=assets, scope=url_for("web.fill_home"),
                           status=url_for("web.fill_status"))
    response = make_response(body)
    response.mimetype = "text/javascript"
    return response


@bp.get("/fill/status")
@json_errors
@fill_login_required
def fill_status():
    user = current_user()
    return jsonify({"user": user.id, "name": user.display_name, "csrf_token": generate_csrf()})


@bp.get("/fill/<xml_form_id>")
@fill_login_required
def fill_form(xml_form_id: str):
    form, version = fill.form(current_user(), xml_form_id)
    return _form_page(form, version, edit=None)


@bp.get("/fill/returned/<instance_id>")
@fill_login_required
def fill_edit(instance_id: str):
    visit = fill.returned_visit(current_user(), instance_id)
    form, version = fill.form(current_user(), visit.form.xml_form_id)
    return _form_page(form, version, edit=visit)


def _form_page(form, version, edit: fill.ReturnedVisit | None):
    nonce = secrets.token_urlsafe(16)
    files = [a.name for a in edit.version.attachments if a.blob_sha256] if edit else []
    response = make_response(render_template(
        "fill_form.html", form=form, version=version, edit=edit, nonce=nonce, instance_files=json.dumps(files),
        texts=_texts(), asset_url=asset_url))
    # ODK Web Forms needs WebAssembly (its XPath parser), inserts <style> elements (given the nonce), makes
    # blob: and data: images and workers to downscale photos.
    response.headers["Content-Security-Policy"] = (
        "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; "
        f"style-src 'self' 'nonce-{nonce}'; img-src 'self' data: blob:; media-src 'self' blob: data:; "
        "font-src 'self' data:; worker-src 'self' blob: data:; connect-src 'self' blob: data:; "
        "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
    return response


@bp.get("/fill/<xml_form_id>/form.xml")
@fill_login_required
def fill_form_xml(xml_form_id: str):
    _form, version = fill.form(current_user(), xml_form_id)
    response = make_response(version.xml)
    response.mimetype = "application/xml"
    response.set_etag(version.md5)
    return response.make_conditional(request)


@bp.get("/fill/<xml_form_id>/attachments/<name>")
@fill_login_required
def fill_attachment(xml_form_id: str, name: str):
    _form, version = fill.form(current_user(), xml_form_id)
    file = next((f for f in form_files(current_user(), version) if f.name == name), None)
    if file is None:
        raise NotFound(what="附件", key=name)
    response = make_response(file.content)
    response.headers["Content-Type"] = file.content_type
    response.set_etag(file.md5)
    return response.make_conditional(request)


@bp.get("/fill/returned/<instance_id>/instance.xml")
@fill_login_required
def fill_instance_xml(instance_id: str):
    response = make_response(fill.returned_visit(current_user(), instance_id).version.xml)
    response.mimetype = "application/xml"
    return response


@bp.get("/fill/returned/<instance_id>/files/<name>")
@fill_login_required
def fill_instance_file(instance_id: str, name: str):
    return send_media(fill.returned_file(current_user(), instance_id, name, media_storage()))


@bp.post("/fill/submission")
@json_errors
@fill_login_required
def fill_submit():
    origin = Origin(submitter=current_user(), device_id=None, user_agent=request.headers.get("User-Agent"))
    result = intake.receive(origin, check=fill.refuse_resident_feedback)
    messages = {IngestOutcome.CREATED: "已提交。", IngestOutcome.ATTACHED: "已补传文件。",
                IngestOutcome.EDITED: "修改已提交。"}
    return jsonify({"outcome": result.outcome.value, "instance_id": result.version.instance_id,
                    "missing": list(result.missing), "message": messages[result.outcome]}), 201
