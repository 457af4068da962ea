"""Alerts for the chat groups Chinese offices work in (docs/events.md, "Alerts").

The ``alerts`` consumer of the outbox reads each numbered event and raises the alerts its facts call for (a child
follow-up requiring a mandatory report, a high-risk visit, a resident's 1–2); the job workers also raise, once, an
alert for each case that has just become overdue, and at 08:00 Beijing time a digest for every station a chat
robot asked it for. An alert is a row (the alerts page), an ``alert.raised`` event in the outbox (delivered to the
robots whose rules and area match it, and to webhooks that subscribed to alerts) and an entry in the audit log.

What a chat message carries is limited (PIPL): the station, the kind of alert, a masked name (张**) — never an ID
number, a health detail or a minor's full name — and a link to the page, which needs a sign-in.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy.exc import IntegrityError

from server.domain.access import Role, Scope
from server.domain.chat import ChatMessage
from server.domain.clock import LABEL, beijing_time, in_china, today_in_china
from server.domain.events import DIGEST_HOUR, RULE_NAMES_ZH, AlertRule, EventType, masked_name, rules_raised
from server.extensions import db
from server.models import Case
from server.models.events import Alert, OutboxEvent
from server.models.types import utcnow
from server.queries import cases as case_queries
from server.queries import events as queries
from server.queries import places as place_queries
from server.queries import submissions as submission_queries
from server.services import audit, outbox

CONSUMER = "alerts"
OVERDUE_LOOKBACK_DAYS = 3  # a worker down over a weekend still raises Friday's overdue cases, once


def raise_from_events(events: list[OutboxEvent]) -> int:
    raised = 0
    for event in events:
        for rule in rules_raised(event.type, event.facts or {}):
            facts = {k: event.facts.get(k) for k in ("form", "risk_level", "satisfaction", "case_id")
                     if event.facts.get(k) is not None}
            if "case_id" not in facts and event.object_type == "submission":
                # a visit registering its case is applied to it after the event was written: the case it has now
                case_id = _case_of_submission(event.object_id)
                if case_id:
                    facts["case_id"] = case_id
            raised += _raise(rule, event.station_code or "", event.object_type, event.object_id, None, facts,
                             event.event_id, f"{rule.value}:{event.event_id}")
    return raised


def raise_overdue(today: date | None = None) -> int:
    """An alert for each open case whose due day has just passed (once per case and due day)."""
    today = today or today_in_china()
    raised = 0
    for case in queries.list_newly_overdue_cases(today - timedelta(days=OVERDUE_LOOKBACK_DAYS),
                                                 today - timedelta(days=1)):
        raised += _raise(AlertRule.OVERDUE, case.station_code, "case", case.id, case.next_due,
                         {"case_id": case.id}, None, f"overdue:{case.id}:{case.next_due.isoformat()}")
    return raised


def raise_digests(now: datetime | None = None) -> int:
    """From 08:00 Beijing time, each station's digest of the day, for the stations a robot asked it for."""
    now = now or utcnow()
    if in_china(now).hour < DIGEST_HOUR:
        return 0
    today = today_in_china(now)
    stations: set[str] = set()
    for robot in queries.list_digest_robots():
        stations.update(s.code for s in place_queries.list_stations_in_scope(
            Scope(Role.ADMIN, robot.area_code, robot.area_path)))
    raised = 0
    for code in sorted(stations):
        key = f"digest:{code}:{today.isoformat()}"
        if not queries.alert_exists(key):
            raised += _raise(AlertRule.DIGEST, code, "station", code, today, queries.digest_counts(code, today),
                             None, key)
    return raised


def _raise(rule: AlertRule, station_code: str, object_type: str | None, object_id: str | None, day: date | None,
           facts: dict, source_event_id: str | None, dedupe_key: str) -> int:
    if queries.alert_exists(dedupe_key):
        return 0
    station_area = place_queries.get_area_by_code(station_code)
    alert = Alert(rule=rule.value, station_code=station_code, area_path=station_area.path if station_area else "/",
                  object_type=object_type, object_id=object_id, day=day, facts=facts,
                  source_event_id=source_event_id, dedupe_key=dedupe_key[:300], raised_at=utcnow())
    try:
        with db.session.begin_nested():  # another worker may raise the same one at the same moment
            db.session.add(alert)
    except IntegrityError:
        return 0
    outbox.record(EventType.ALERT_RAISED, "alert", str(alert.id), station_code, {"rule": rule.value},
                  new_object=True)
    audit.record("alert.raised", "alert", str(alert.id), {"rule": rule.value, "station": station_code,
                                                           "object_type": object_type, "object_id": object_id})
    return 1


# ---- what a chat group reads -----------------------------------------------------------------------------

def _station_name(code: str) -> str:
    station = place_queries.get_station_by_code(code)
    return station.official_name if station is not None else code


def _case_of_submission(instance_id: str) -> str | None:
    submission = submission_queries.get_submission_by_instance_id(instance_id)
    return submission.case_id if submission is not None else None


def _person(case_id: str | None) -> str | None:
    case: Case | None = case_queries.get_case_by_id(case_id) if case_id else None
    if case is None:
        return None
    if case.erased_at is not None:
        return "（信息已删除）"
    return masked_name(case.label.split(" · ", 1)[0])


def chat_message(alert: Alert, public_url: str) -> ChatMessage:
    rule = AlertRule(alert.rule)
    station = _station_name(alert.station_code)
    when = f"{beijing_time(alert.raised_at)}（{LABEL}）"
    title = f"【{RULE_NAMES_ZH[rule]}】{station}"
    person = _person(alert.facts.get("case_id"))
    who = [f"- 服务对象：{person}"] if person else []
    submission_link = ("查看提交（需登录）", f"{public_url}/submissions/{alert.object_id}")
    if rule == AlertRule.MANDATORY_REPORT:
        lines = ["- 儿童随访发现须依法强制报告的情形，请立即核实，按规定向公安机关（110）和民政部门报告。", *who,
                 f"- 提交时间：{when}"]
        link = submission_link
    elif rule == AlertRule.HIGH_RISK:
        lines = ["- 走访评估风险等级为“高”，请站长尽快跟进。", *who, f"- 提交时间：{when}"]
        link = submission_link
    elif rule == AlertRule.DISSATISFIED:
        score = alert.facts.get("satisfaction")
        words = {1: "非常不满意", 2: "不满意"}.get(score, "不满意")
        lines = [f"- 居民评价：{words}（{score} 分）", "- 请站长了解情况并改进服务。", f"- 收到时间：{when}"]
        link = submission_link
    elif rule == AlertRule.OVERDUE:
        lines = ["- 服务对象已超过应访日期仍未走访。", *who,
                 f"- 应访日期：{alert.day.isoformat() if alert.day else ''}"]
        link = ("查看服务对象（需登录）", f"{public_url}/cases/{alert.object_id}")
    else:
        counts = alert.facts
        lines = [f"- 日期：{alert.day.isoformat() if alert.day else ''}",
                 f"- 逾期未访的服务对象：{counts.get('overdue', 0)} 人",
                 f"- 待审核的走访：{counts.get('waiting_review', 0)} 条",
                 f"- 已退回、尚未重访：{counts.get('returned', 0)} 条"]
        link = ("查看逾期服务对象（需登录）", f"{public_url}/cases?station={alert.station_code}&overdue=1")
    return ChatMessage(title=title, lines=tuple(lines), link_text=link[0], link_url=link[1])
