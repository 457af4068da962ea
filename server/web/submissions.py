"""The supervisor's submission list and detail, the review actions, and scoped media."""
from __future__ import annotations

from datetime import timedelta

from flask import Response, flash, redirect, render_template, request, stream_with_context, url_for
from flask_babel import get_locale, gettext as _

from server.adapters.images import THUMBNAIL_SIZES
from server.boundary import send_media
from server.domain.authenticity import explain
from server.domain.clock import CHINA, day_start_utc, parse_day
from server.domain.diff import diff_values
from server.domain.flags import ANY_FLAG, SubmissionFlag
from server.domain.geo import for_tiles
from server.domain.labels import read_labels
from server.domain.paging import BY_TIME, decode_typed, page_of
from server.domain.places import AreaLevel
from server.domain.privacy import masked_data
from server.domain.review import CHOOSABLE_REASONS, ExclusionReason, ReviewAction
from server.errors import LastmeterError, NotFound
from server.media import media_storage
from server.models import ReviewState, Submission
from server.queries import accounts as account_queries
from server.queries import forms as form_queries
from server.queries import places as place_queries
from server.queries import submissions as queries
from server.queries.submissions import SubmissionFilters
from server.services import audit, authenticity, cases, exports, media, review
from server.web import bp
from server.web.auth import current_scope, current_user, login_required
from server.web.labels import N_

PAGE_SIZE = 50
# Each review action as its button says it, and the line under it saying what it does.
REVIEW_BUTTONS = {
    ReviewAction.APPROVE: (N_("Approve"), N_("The record is right; it counts in the indicators.")),
    ReviewAction.FLAG: (N_("Mark as having issues"),
                        N_("To be checked; it still counts, and nothing is sent to the worker's phone.")),
    ReviewAction.REJECT: (N_("Reject"), N_("Not counted in the indicators: service coverage leaves this visit out.")),
}
RETURN_EXPLANATION = N_("Shown on the worker's phone at the next form update, with your reason; the visit is "
                        "marked as having issues.")
EXCLUDE_EXPLANATION = N_("Only for spam, duplicates, tests or feedback not about this station. The satisfaction "
                         "rate leaves it out, and how many were excluded and why is shown beside every rate.")
EXCLUSION_LABELS = {
    ExclusionReason.SPAM: N_("Spam"), ExclusionReason.DUPLICATE: N_("Duplicate"), ExclusionReason.TEST: N_("Test"),
    ExclusionReason.NOT_ABOUT_STATION: N_("Not about this station"),
    ExclusionReason.UNSTATED: N_("No reason recorded (before reasons were required)"),
}
VERDICT_LABELS = {authenticity.GENUINE: N_("Genuine"), authenticity.NOT_GENUINE: N_("Not genuine")}
FILTER_NAMES = ("form", "county", "station", "worker", "case", "from", "to", "review_state", "risk", "flag")
# Why a visit was flagged for review (Submission.flags), as the pages say it.
FLAG_LABELS = {
    SubmissionFlag.CLOCK_SKEW: N_("Phone clock looks wrong"),
    SubmissionFlag.TYPE_MISMATCH: N_("File is not what its name says"),
    SubmissionFlag.IMAGE_TOO_LARGE: N_("Image too large to show"),
    SubmissionFlag.IMAGE_UNREADABLE: N_("Image cannot be read"),
    SubmissionFlag.LONG_TEXT: N_("Very long text"),
    SubmissionFlag.PHOTO_REUSED: N_("Photo also sent with another visit"),
    SubmissionFlag.PHOTO_NEAR_COPY: N_("Photo nearly identical to another visit's"),
    SubmissionFlag.FAR_FROM_HOME: N_("Recorded far from the home"),
    SubmissionFlag.NO_GPS: N_("No position recorded"),
    SubmissionFlag.POOR_GPS: N_("Position too vague"),
    SubmissionFlag.TOO_SHORT: N_("Visit too short"),
    SubmissionFlag.ODD_HOURS: N_("Started at night"),
    SubmissionFlag.IMPOSSIBLE_TRAVEL: N_("Too far from the previous or next visit for the time between"),
    SubmissionFlag.ONE_SPOT: N_("Many visits recorded at one spot"),
}


@bp.get("/submissions")
@login_required
def submission_list():
    args = {name: request.args.get(name, "").strip() for name in FILTER_NAMES}
    scope = current_scope()
    filters = _filters(args, scope)
    cursor = request.args.get("cursor")
    after = decode_typed(cursor, *BY_TIME) if cursor else None
    found = queries.list_submissions(scope, filters, PAGE_SIZE + 1, after)
    page, next_cursor = page_of(found, PAGE_SIZE, lambda s: (s.created_at.isoformat(), s.id))
    counts = queries.count_by_review_state(scope, SubmissionFilters(**{**filters.__dict__, "review_state": None}))
    return render_template(
        "submissions.html", submissions=page, next_cursor=next_cursor, args=args, counts=counts,
        thumbnails={s.id: _thumbnail(s) for s in page}, paged=bool(cursor),
        export_args={name: value for name, value in args.items() if value}, **filter_choices(scope))


# A fixed path: Werkzeug matches it before the <instance_id> rule below, whatever the order.
@bp.get("/submissions/export")
@login_required
def submission_export():
    """The list's filters and scope, as CSV (zip), XLSX, GeoJSON or a zip of the media (?format=)."""
    args = {name: request.args.get(name, "").strip() for name in FILTER_NAMES}
    scope = current_scope()
    export = exports.start_export(request.args.get("format", ""), scope, _filters(args, scope), media_storage())
    audit.record("export", "export", request.args.get("format", ""), {"filters": {k: v for k, v in args.items() if v}})
    return Response(stream_with_context(export.chunks), mimetype=export.mimetype, headers=export.headers())


@bp.get("/submissions/<instance_id>")
@login_required
def submission_detail(instance_id: str):
    submission = _in_scope(instance_id)
    audit.record("submission.view", "submission", submission.instance_id)
    return _detail_page(submission)


def _detail_page(submission: Submission, refused: tuple[str, str] | None = None, status: int = 200):
    """The submission's page; after a refused review action, ``refused`` = (the form's id, why), shown next to
    that form with what was typed kept."""
    version = queries.current_version_of(submission)
    labels = read_labels(version.form_version.xml, "English" if _english() else "中文")
    role = current_user().role
    rows = _answer_rows(masked_data(version.data, role), labels, submission.case.label if submission.case else None)
    _show_photos(rows, submission, version)
    versions = submission.versions
    diffs = [(later, diff_values(masked_data(earlier.data, role), masked_data(later.data, role)))
             for earlier, later in zip(versions, versions[1:])]
    actions = review.actions_for(submission, current_user())
    return render_template(
        "submission.html", submission=submission, version=version, rows=rows, diffs=diffs, labels=labels,
        map_point=_map_point(version), photos=[a for a in version.attachments if a.blob_sha256],
        missing=[a.name for a in version.attachments if not a.blob_sha256], flag_labels=FLAG_LABELS,
        checks=_checks(submission), verdict=_verdict_line(submission),
        verdict_labels=VERDICT_LABELS,
        actions=actions, buttons=[(a, *REVIEW_BUTTONS[a]) for a in REVIEW_BUTTONS if a in actions],
        return_explanation=RETURN_EXPLANATION, exclude_explanation=EXCLUDE_EXPLANATION,
        exclusion_labels=EXCLUSION_LABELS, reasons=CHOOSABLE_REASONS, feedback=review.is_feedback(submission),
        history=[_history_line(event) for event in submission.events],
        refused=refused, typed=request.form if refused else {}), status


def _acted(instance_id: str, form_id: str, act, done: str | None = None):
    """Run a review action from the page; a refusal re-renders the page with the reason beside the form and
    what was typed kept (nothing was written)."""
    submission = _in_scope(instance_id)
    try:
        act(submission)
    except LastmeterError as error:
        if error.http_status not in (400, 409):
            raise  # not allowed, not there: the usual error page
        return _detail_page(submission, (form_id, error.message(str(get_locale()))), error.http_status)
    if done:
        flash(done, "ok")
    return redirect(url_for("web.submission_detail", instance_id=instance_id))


@bp.app_template_global()
def exclusion_label(reason: str) -> str:
    """An exclusion's reason as the pages say it (dashboard, reports, a submission's history)."""
    return _(EXCLUSION_LABELS[reason]) if reason in EXCLUSION_LABELS else reason


def _history_line(event) -> dict:
    """Who did what and when, in Beijing time."""
    return {"who": event.user.display_name or event.user.username if event.user else "—",
            "when": event.created_at.astimezone(CHINA).strftime("%Y-%m-%d %H:%M"), "kind": event.kind.value,
            "state": event.review_state.value if event.review_state else None,
            "reason": EXCLUSION_LABELS.get(event.reason) if event.reason else None,
            "verdict": VERDICT_LABELS.get(event.reason) if event.reason else None, "body": event.body}


def _checks(submission: Submission) -> list[dict]:
    """The visit's authenticity flags, each with what it rests on in words and the other visits it names (those
    inside the viewer's area)."""
    english = _english()
    lines = []
    for shown in authenticity.flags_of(submission, current_scope()):
        zh, en = explain(shown.code, shown.detail)
        lines.append({"code": shown.code, "text": en if english else zh, "others": shown.others})
    return lines


def _verdict_line(submission: Submission) -> dict | None:
    event = authenticity.verdict_of(submission)
    return _history_line(event) if event is not None else None


@bp.post("/submissions/<instance_id>/verdict")
@login_required
def submission_verdict(instance_id: str):
    return _acted(instance_id, "verdict-form", lambda submission: authenticity.record_verdict(
        submission, current_user(), request.form.get("verdict", ""), request.form.get("note", "")),
        _("Verdict saved."))


@bp.post("/submissions/<instance_id>/review")
@login_required
def submission_review(instance_id: str):
    return _acted(instance_id, "review-form", lambda submission: review.set_review_state(
        submission, request.form.get("review_state", ""), current_user(), request.form.get("note", "")),
        _("Review saved."))


@bp.post("/submissions/<instance_id>/exclusion")
@login_required
def submission_exclusion(instance_id: str):
    return _acted(instance_id, "exclusion-form", lambda submission: review.exclude_feedback(
        submission, current_user(), request.form.get("reason", ""), request.form.get("note", "")),
        _("Excluded from the indicators; the reason is shown beside the satisfaction rate."))


@bp.post("/submissions/<instance_id>/comment")
@login_required
def submission_comment(instance_id: str):
    return _acted(instance_id, "comment-form",
                  lambda submission: review.add_comment(submission, current_user(), request.form.get("body", "")))


@bp.post("/submissions/<instance_id>/return")
@login_required
def submission_return(instance_id: str):
    return _acted(instance_id, "return-form", lambda submission: review.return_to_worker(
        submission, current_user(), request.form.get("reason", "")),
        _("Returned to the worker: the case shows 'to redo' on their phone at the next form update."))


@bp.get("/media/<instance_id>/<name>")
@login_required
def submission_media(instance_id: str, name: str):
    size = request.args.get("size", type=int)
    attachment = media.attachment_in_scope(current_scope(), instance_id, name)
    storage = media_storage()
    if not size:  # thumbnails are shown on pages whose own views are recorded
        audit.record("media.view", "media", f"{instance_id}/{name}")
    file = media.thumbnail(attachment, size, storage) if size else media.original(attachment, storage)
    return send_media(file)


def _in_scope(instance_id: str) -> Submission:
    submission = queries.get_submission_in_scope(current_scope(), instance_id)
    if submission is None:
        raise NotFound(what="提交", key=instance_id)
    return submission


def _filters(args: dict[str, str], scope) -> SubmissionFilters:
    start, end = parse_day(args["from"], "from"), parse_day(args["to"], "to")
    county = place_queries.get_area_by_code(args["county"]) if args["county"] else None
    area_path = county.path if county is not None and scope.contains_path(county.path) else None
    state = args["review_state"] if args["review_state"] in ReviewState._value2member_map_ else None
    return SubmissionFilters(
        xml_form_id=args["form"] or None, station=args["station"] or None, case_id=args["case"] or None,
        submitter_id=cases.worker_id(args["worker"]), review_state=state,
        received_from=day_start_utc(start) if start else None,
        received_before=day_start_utc(end + timedelta(days=1)) if end else None,
        risk_level=args["risk"] if args["risk"] in ("low", "medium", "high") else None, area_path=area_path,
        flag=args["flag"] if args["flag"] == ANY_FLAG or args["flag"] in FLAG_LABELS else None)


def _thumbnail(submission: Submission) -> str | None:
    version = queries.current_version_of(submission)
    photo = next((a for a in version.attachments if a.blob_sha256 and _shows_as_image(a)), None)
    if photo is None:
        return None
    return url_for("web.submission_media", instance_id=submission.instance_id, name=photo.name,
                   size=THUMBNAIL_SIZES[0])


def _shows_as_image(attachment) -> bool:
    """Only what the bytes say is an image gets an <img> (files stored before sniffing: by their name)."""
    if attachment.detected_type is not None:
        return attachment.detected_type.startswith("image/")
    return attachment.name.lower().endswith((".jpg", ".jpeg", ".png"))


def _english() -> bool:
    from flask_babel import get_locale

    return str(get_locale()).startswith("en")


# The form's bookkeeping, never a person's answer: phone metadata, and calculations that only route the
# submission (the plaque page's station and channel).
HIDDEN_FIELDS = ("start", "end", "today", "deviceid", "new_case_id", "station_code", "channel")


def _show_photos(rows: list[dict], submission: Submission, version) -> None:
    """An answer naming a stored image shows as its thumbnail, linking to the photo (not its file name)."""
    images = {a.name for a in version.attachments if a.blob_sha256 and _shows_as_image(a)}
    for row in rows:
        if row["kind"] == "answer" and row.get("value") in images:
            name = row["value"]
            row.update(kind="photo", href=url_for("web.submission_media", instance_id=submission.instance_id, name=name),
                       src=url_for("web.submission_media", instance_id=submission.instance_id, name=name,
                                   size=THUMBNAIL_SIZES[0]))


def _answer_rows(data: dict, labels, case_label: str | None = None) -> list[dict]:
    """The answers in form order with the form's labels; groups as headings, repeats as tables,
    then the form's own calculations (which have no label) under one heading."""
    rows: list[dict] = []
    computed: list[dict] = []
    _collect(data, labels, "", rows, computed, case_label)
    if computed:
        rows.append({"kind": "group", "label": _("Worked out by the form")})
        rows += computed
    return rows


def _collect(data: dict, labels, prefix: str, rows: list, computed: list, case_label: str | None) -> None:
    for key, value in data.items():
        path = f"{prefix}{key}"
        if key == "meta" or path in HIDDEN_FIELDS or value is None or key.endswith(("_zh", "_en")):
            continue
        labelled = path in labels.questions
        if isinstance(value, dict) and "latitude" in value and "longitude" in value:
            accuracy = f" ±{value['accuracy']:.0f} m" if value.get("accuracy") is not None else ""
            rows.append({"kind": "answer", "label": labels.question(path),
                         "value": f"{value['latitude']:.6f}, {value['longitude']:.6f}{accuracy}"})
        elif isinstance(value, dict):
            if labelled:
                rows.append({"kind": "group", "label": labels.question(path)})
            _collect(value, labels, path + "/", rows, computed, case_label)
        elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            columns = list(dict.fromkeys(k for item in value for k in item))
            rows.append({"kind": "repeat", "label": labels.question(path),
                         "columns": [labels.question(f"{path}/{c}") for c in columns],
                         "items": [[labels.answer(f"{path}/{c}", item.get(c)) for c in columns] for item in value]})
        else:
            answer = case_label if path == "case" and case_label else labels.answer(path, value)
            row = {"kind": "answer", "label": labels.question(path),
                   "value": "、".join(map(str, answer)) if isinstance(answer, list) else answer}
            (rows if labelled else computed).append(row)


def _map_point(version) -> dict | None:
    from server.web.maps import tile_settings

    if version.latitude is None:
        return None
    tiles = tile_settings()
    lat, lon = for_tiles(version.latitude, version.longitude, str(tiles["datum"]))
    return {"latitude": version.latitude, "longitude": version.longitude, "accuracy": version.accuracy,
            "tile_latitude": lat, "tile_longitude": lon, "tiles": tiles}


def list_filters(args: dict[str, str], scope) -> SubmissionFilters:
    """The submission list's filters from its query arguments (the visit map takes the same ones)."""
    return _filters(args, scope)


def filter_choices(scope) -> dict[str, object]:
    """What the list's filter menus offer in this scope."""
    return {"stations": place_queries.list_stations_in_scope(scope), "forms": form_queries.list_forms(),
            "counties": place_queries.list_areas_in_scope(scope, AreaLevel.COUNTY),
            "workers": account_queries.list_station_users_in_scope(scope.area_path), "states": list(ReviewState),
            "flag_labels": FLAG_LABELS}
