"""Events out, on pages (docs/events.md): the subscriptions of an admin's or county supervisor's area — webhooks
to other systems and robots of WeCom, DingTalk and Feishu groups — each with its delivery log; and the alerts
raised for chat groups (every office role, scoped). Station heads and workers get 404 on the subscription pages."""
from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from server.domain.access import Role
from server.domain.events import (
    EVENT_NAMES_EN,
    EVENT_NAMES_ZH,
    ROBOT_KINDS,
    RULE_NAMES_EN,
    RULE_NAMES_ZH,
    STATUS_NAMES_ZH,
    TARGET_NAMES_EN,
    TARGET_NAMES_ZH,
    AlertRule,
    DeliveryStatus,
    EventType,
    masked_url,
)
from server.domain.paging import BY_TIME, decode_typed, page_of
from server.errors import InvalidValue, NotFound
from server.models.events import Subscription
from server.queries import cases as case_queries
from server.queries import events as event_queries
from server.queries import places as place_queries
from server.services import webhooks
from server.web import bp
from server.web.auth import current_scope, current_user, login_required
from server.web.labels import in_page_language, refusal

STATUS_NAMES_EN = {DeliveryStatus.PENDING: "Pending", DeliveryStatus.DELIVERED: "Delivered",
                   DeliveryStatus.FAILED: "Failed"}
PAGE_SIZE = 100


def _subscriber() -> None:
    if current_user().role not in (Role.ADMIN, Role.COUNTY):
        raise NotFound(what="页面", key=request.path)


def _names() -> dict:
    return {"event_names": in_page_language(EVENT_NAMES_ZH, EVENT_NAMES_EN),
            "rule_names": in_page_language(RULE_NAMES_ZH, RULE_NAMES_EN),
            "target_names": in_page_language(TARGET_NAMES_ZH, TARGET_NAMES_EN),
            "status_names": in_page_language(STATUS_NAMES_ZH, STATUS_NAMES_EN)}


@bp.get("/integrations")
@login_required
def integrations():
    _subscriber()
    return _list_page()


def _list_page(error: str | None = None, status: int = 200):
    scope = current_scope()
    areas = [a for a in place_queries.list_areas_in_scope(scope) if a.level.value in ("city", "county", "township")]
    return render_template("integrations.html", subscriptions=webhooks.subscriptions_in_scope(scope), areas=areas,
                           event_types=list(EventType), rules=list(AlertRule), robot_kinds=ROBOT_KINDS,
                           error=error, typed=request.form, **_names()), status


@bp.post("/integrations")
@login_required
def integration_create():
    _subscriber()
    form = request.form
    user = current_user()
    kind = form.get("kind", "")
    topics = form.getlist("topics")
    try:
        subscription = webhooks.create_subscription(
            user, current_scope(), kind, form.get("name", ""), form.get("url", ""), form.get("secret", ""), topics,
            form.get("area") or None, bool(current_app.config["WEBHOOK_ALLOW_PRIVATE_TARGETS"]))
    except InvalidValue as error:
        return _list_page(refusal(error), error.http_status)
    flash(_("Subscription created. Send a test event to check that it arrives."), "ok")
    return redirect(url_for("web.integration_detail", subscription_id=subscription.id))


def _in_scope(subscription_id: int) -> Subscription:
    _subscriber()
    return webhooks.subscription_in_scope(current_scope(), subscription_id)


def _mine(subscription_id: int) -> Subscription:
    """In scope (404 otherwise) and the user's to change (403 otherwise: the city's subscription of a county)."""
    _subscriber()
    return webhooks.subscription_to_manage(current_scope(), current_user(), subscription_id)


@bp.get("/integrations/<int:subscription_id>")
@login_required
def integration_detail(subscription_id: int):
    subscription = _in_scope(subscription_id)
    before = request.args.get("before", type=int)
    before = before if before and 0 < before <= webhooks.ID_MAX else None
    log = webhooks.delivery_log(subscription, PAGE_SIZE + 1, before)
    page = log[:PAGE_SIZE]
    return render_template("integration.html", subscription=subscription, deliveries=page,
                           next_before=page[-1].id if len(log) > PAGE_SIZE else None,
                           is_robot=subscription.kind in ROBOT_KINDS,
                           manageable=webhooks.manageable(subscription, current_user()),
                           shown_url=subscription.url if subscription.kind not in ROBOT_KINDS
                           else masked_url(subscription.url), **_names())


def _act(subscription_id: int, act, done: str):
    """Test, pause, resume or resend: do it, say so, back to the subscription's page."""
    act(_mine(subscription_id))
    flash(done, "ok")
    return redirect(url_for("web.integration_detail", subscription_id=subscription_id))


@bp.post("/integrations/<int:subscription_id>/test")
@login_required
def integration_test(subscription_id: int):
    return _act(subscription_id, lambda s: webhooks.send_test(s, current_user()),
                _("A test event is queued; it appears in the log below within a few seconds."))


@bp.post("/integrations/<int:subscription_id>/pause")
@login_required
def integration_pause(subscription_id: int):
    user = current_user()
    return _act(subscription_id,
                lambda s: webhooks.pause(s, _("Paused by %(name)s.", name=user.display_name or user.username), user),
                _("Paused. Events keep being recorded and are sent when you resume."))


@bp.post("/integrations/<int:subscription_id>/resume")
@login_required
def integration_resume(subscription_id: int):
    return _act(subscription_id, lambda s: webhooks.resume(s, current_user()),
                _("Resumed: what waited is being sent now."))


@bp.post("/integrations/<int:subscription_id>/deliveries/<int:delivery_id>/resend")
@login_required
def integration_resend(subscription_id: int, delivery_id: int):
    return _act(subscription_id, lambda s: webhooks.resend(s, delivery_id, current_user()),
                _("Sent again: the delivery is pending with a fresh set of attempts."))


@bp.post("/integrations/<int:subscription_id>/delete")
@login_required
def integration_delete(subscription_id: int):
    webhooks.delete(_mine(subscription_id), current_user())
    flash(_("Subscription deleted."), "ok")
    return redirect(url_for("web.integrations"))


@bp.get("/alerts")
@login_required
def alert_list():
    rule = request.args.get("rule", "")
    rule = rule if rule in AlertRule._value2member_map_ else ""
    cursor = request.args.get("cursor")
    before = decode_typed(cursor, *BY_TIME) if cursor else None
    found = event_queries.list_alerts(current_scope(), PAGE_SIZE + 1, before, rule or None)
    page, next_cursor = page_of(found, PAGE_SIZE, lambda a: (a.raised_at.isoformat(), a.id))
    stations = {code: place_queries.get_station_by_code(code) for code in {a.station_code for a in page}}
    case_ids = {a.facts.get("case_id") or (a.object_id if a.object_type == "case" else None) for a in page} - {None}
    labels = {case.id: case.label for case in case_queries.list_cases_by_ids(case_ids)}
    return render_template("alerts.html", alerts=page, next_cursor=next_cursor, rule=rule, stations=stations,
                           labels=labels, all_rules=list(AlertRule), **_names())
