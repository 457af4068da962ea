"""Events out, the pure part (docs/events.md): event types and alert rules with their Chinese names, the retry
schedule of deliveries, the webhook signature, and who may see which event. No Flask, no database."""
from __future__ import annotations

import hashlib
import hmac
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum


class EventType(StrEnum):
    SUBMISSION_CREATED = "submission.created"
    SUBMISSION_EDITED = "submission.edited"
    SUBMISSION_REVIEWED = "submission.review_changed"
    SUBMISSION_RETURNED = "submission.returned"
    FEEDBACK_RECEIVED = "feedback.received"
    CASE_CREATED = "case.created"
    CASE_UPDATED = "case.updated"
    CASE_CLOSED = "case.closed"
    CASE_REOPENED = "case.reopened"
    CASE_ERASED = "case.erased"
    SUBMISSION_ERASED = "submission.erased"
    ALERT_RAISED = "alert.raised"


TEST_EVENT = "webhook.test"  # "send a test event": delivered to one subscription, never in the outbox

EVENT_NAMES_ZH: dict[str, str] = {
    EventType.SUBMISSION_CREATED: "新提交",
    EventType.SUBMISSION_EDITED: "提交被修改",
    EventType.SUBMISSION_REVIEWED: "审核状态变更",
    EventType.SUBMISSION_RETURNED: "退回社工",
    EventType.FEEDBACK_RECEIVED: "收到居民评价",
    EventType.CASE_CREATED: "新服务对象",
    EventType.CASE_UPDATED: "服务对象信息变更",
    EventType.CASE_CLOSED: "服务对象结案",
    EventType.CASE_REOPENED: "服务对象重新开案",
    EventType.CASE_ERASED: "服务对象个人信息已删除",
    EventType.SUBMISSION_ERASED: "提交中的个人信息已删除",
    EventType.ALERT_RAISED: "预警",
    TEST_EVENT: "测试事件",
}
EVENT_NAMES_EN: dict[str, str] = {
    EventType.SUBMISSION_CREATED: "New submission", EventType.SUBMISSION_EDITED: "Submission edited",
    EventType.SUBMISSION_REVIEWED: "Review changed", EventType.SUBMISSION_RETURNED: "Returned to worker",
    EventType.FEEDBACK_RECEIVED: "Resident feedback received", EventType.CASE_CREATED: "New case",
    EventType.CASE_UPDATED: "Case updated", EventType.CASE_CLOSED: "Case closed",
    EventType.CASE_REOPENED: "Case reopened", EventType.CASE_ERASED: "Case erased",
    EventType.SUBMISSION_ERASED: "Submission erased",
    EventType.ALERT_RAISED: "Alert", TEST_EVENT: "Test event",
}


class TargetKind(StrEnum):
    WEBHOOK = "webhook"
    WECOM = "wecom"        # 企业微信 group robot
    DINGTALK = "dingtalk"  # 钉钉 custom robot, signed
    FEISHU = "feishu"      # 飞书 custom bot, signed


ROBOT_KINDS = (TargetKind.WECOM, TargetKind.DINGTALK, TargetKind.FEISHU)
TARGET_NAMES_ZH = {TargetKind.WEBHOOK: "Webhook", TargetKind.WECOM: "企业微信群机器人",
                   TargetKind.DINGTALK: "钉钉群机器人", TargetKind.FEISHU: "飞书群机器人"}
TARGET_NAMES_EN = {TargetKind.WEBHOOK: "Webhook", TargetKind.WECOM: "WeCom group robot",
                   TargetKind.DINGTALK: "DingTalk group robot", TargetKind.FEISHU: "Feishu group bot"}


class AlertRule(StrEnum):
    MANDATORY_REPORT = "mandatory_report"  # a child follow-up whose answers require a mandatory report (§5.3)
    HIGH_RISK = "high_risk"                # a visit that sets risk high
    DISSATISFIED = "dissatisfied"          # a resident's answer of 1 or 2
    OVERDUE = "overdue"                    # a case that became overdue
    DIGEST = "digest"                      # the station's 08:00 digest


RULE_NAMES_ZH = {AlertRule.MANDATORY_REPORT: "强制报告", AlertRule.HIGH_RISK: "高风险走访",
                 AlertRule.DISSATISFIED: "居民不满意", AlertRule.OVERDUE: "服务对象逾期未访",
                 AlertRule.DIGEST: "每日摘要（8:00）"}
RULE_NAMES_EN = {AlertRule.MANDATORY_REPORT: "Mandatory report", AlertRule.HIGH_RISK: "High-risk visit",
                 AlertRule.DISSATISFIED: "Resident dissatisfied", AlertRule.OVERDUE: "Case overdue",
                 AlertRule.DIGEST: "Daily digest (08:00)"}
DIGEST_HOUR = 8  # Beijing time


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"


STATUS_NAMES_ZH = {DeliveryStatus.PENDING: "待发送", DeliveryStatus.DELIVERED: "已送达", DeliveryStatus.FAILED: "失败"}


# ---- which events an alert rule raises an alert for ------------------------------------------------------

CHILD_FORM = "child_followup"
VISIT_TYPES = (EventType.SUBMISSION_CREATED, EventType.SUBMISSION_EDITED)


def rules_raised(event_type: str, facts: dict) -> list[AlertRule]:
    """The alerts one event raises, from the plain facts recorded with it. A child follow-up that requires a
    mandatory report is one alert (the stronger), not also a high-risk one."""
    if event_type in VISIT_TYPES:
        if facts.get("form") == CHILD_FORM and facts.get("mandatory_report"):
            return [AlertRule.MANDATORY_REPORT]
        if facts.get("risk_level") == "high":
            return [AlertRule.HIGH_RISK]
    if event_type == EventType.FEEDBACK_RECEIVED and facts.get("satisfaction") in (1, 2):
        return [AlertRule.DISSATISFIED]
    return []


# ---- retries ------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 12
    base_seconds: float = 60.0
    max_seconds: float = 86_400.0
    pause_after_failed: int = 3  # deliveries failed in a row (every attempt spent) before the subscription pauses

    def delay(self, attempts: int, rng: random.Random | None = None) -> timedelta:
        """Wait before the next attempt, after ``attempts`` failed ones: about a minute, doubling, up to a day,
        with jitter (×1 to ×1.5) so receivers coming back up are not hit by every retry at once."""
        exponential = min(self.max_seconds, self.base_seconds * 2 ** max(0, attempts - 1))
        return timedelta(seconds=min(self.max_seconds, exponential * (rng or random).uniform(1.0, 1.5)))

    def lease(self, timeout_seconds: float) -> timedelta:
        """How long one attempt holds a delivery: past it, a killed worker's delivery is taken up again."""
        return timedelta(seconds=2 * timeout_seconds + 5)


@dataclass(frozen=True)
class AttemptOutcome:
    delivered: bool
    gone: bool          # the receiver said 410 Gone: pause the subscription at once
    response_code: int | None
    error: str | None


def judge_response(status: int | None, error: str | None, robot_error: str | None = None) -> AttemptOutcome:
    """A 2xx delivers (a chat platform's 200 with a non-zero ``errcode`` does not); 410 means the receiver is
    gone for good; anything else, or no answer, is retried."""
    if status is not None and 200 <= status < 300 and not robot_error:
        return AttemptOutcome(True, False, status, None)
    reason = error or robot_error or (f"HTTP {status}" if status is not None else "no answer")
    return AttemptOutcome(False, status == 410, status, reason[:500])


def next_attempt(now: datetime, attempts: int, policy: RetryPolicy,
                 rng: random.Random | None = None) -> datetime | None:
    """When to try again after ``attempts`` failures, or None when they are spent (the delivery fails)."""
    return None if attempts >= policy.max_attempts else now + policy.delay(attempts, rng)


# ---- the webhook signature ------------------------------------------------------------------------------

SIGNATURE_VERSION = "v1"


def webhook_signature(secret: str, timestamp: int, body: bytes) -> str:
    """``v1=`` + hex HMAC-SHA256 of ``"{timestamp}." + body`` under the subscription's secret."""
    digest = hmac.new(secret.encode("utf-8"), f"{timestamp}.".encode("ascii") + body, hashlib.sha256).hexdigest()
    return f"{SIGNATURE_VERSION}={digest}"


def verify_webhook_signature(secret: str, timestamp: int, body: bytes, signature: str, now: int,
                             tolerance: int = 300) -> bool:
    """What a receiver does (docs/events.md): the same HMAC, compared in constant time, and a fresh timestamp."""
    return abs(now - timestamp) <= tolerance and hmac.compare_digest(
        webhook_signature(secret, timestamp, body), signature)


def masked_url(url: str) -> str:
    """A robot's address as pages show it: its query (WeCom's ``key``, DingTalk's ``access_token``) and the last
    part of its path (Feishu's hook id) are what let anyone post into the group, so they are starred out."""
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(url)
    except ValueError:
        return "***"
    path = parts.path.rsplit("/", 1)[0] + "/***" if parts.path.count("/") > 1 else parts.path
    return f"{parts.scheme}://{parts.netloc}{path}" + ("?***" if parts.query else "")


# ---- masked labels for chat messages (PIPL) --------------------------------------------------------------

def masked_name(label: str | None) -> str:
    """A person's or household's name as a chat group may read it: the first character and stars (张**),
    so no minor's full name — nor anyone's — leaves the system in a chat message."""
    text = (label or "").strip()
    if not text:
        return "（无姓名）"
    return text[0] + "*" * min(2, max(1, len(text) - 1))
