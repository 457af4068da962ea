"""Who may do what to a submission in review, and why a resident's answer may be left out of the indicators.

The rule behind it (POLICY.md A2): the satisfaction rate judges the station, so the station must not be able to
remove what residents say about it. Resident feedback is excluded from the indicators only by a county
supervisor (in their county) or an admin, only for one of a few fixed reasons, and every exclusion is disclosed
next to the rate it changes. Visits are different: a station head approving or rejecting their own workers' visits
is supervision, and a rejected visit stops counting for coverage (docs/indicators.md, "Who can move which number").

Plain values only: no Flask, no database. Services enforce these rules; pages and the API show them.
"""
from __future__ import annotations

from enum import StrEnum

from server.domain.access import Role


class ReviewAction(StrEnum):
    APPROVE = "approved"         # ODK Central's review states, as the pages post them
    FLAG = "has_issues"
    REJECT = "rejected"          # a visit only: it stops counting for coverage
    RETURN = "return"            # a visit with a case: back to the worker's phone
    COMMENT = "comment"
    EXCLUDE = "exclude"          # resident feedback only: out of the satisfaction rate, with a reason
    VERDICT = "verdict"          # a visit flagged by the authenticity checks: genuine, or not (which rejects it)


class ExclusionReason(StrEnum):
    SPAM = "spam"
    DUPLICATE = "duplicate"
    TEST = "test"
    NOT_ABOUT_STATION = "not_about_station"
    # Feedback a county supervisor or admin rejected before reasons were asked for (migration 3c5e0f4a7b21);
    # never chosen again.
    UNSTATED = "unstated"


CHOOSABLE_REASONS = (ExclusionReason.SPAM, ExclusionReason.DUPLICATE, ExclusionReason.TEST,
                     ExclusionReason.NOT_ABOUT_STATION)
REASON_NAMES_ZH = {
    ExclusionReason.SPAM: "垃圾信息", ExclusionReason.DUPLICATE: "重复提交", ExclusionReason.TEST: "测试数据",
    ExclusionReason.NOT_ABOUT_STATION: "与本站无关", ExclusionReason.UNSTATED: "未注明原因（旧记录）",
}
REASON_NAMES_EN = {
    ExclusionReason.SPAM: "spam", ExclusionReason.DUPLICATE: "duplicate", ExclusionReason.TEST: "test",
    ExclusionReason.NOT_ABOUT_STATION: "not about this station",
    ExclusionReason.UNSTATED: "no reason recorded (before reasons were required)",
}

SUPERVISION = frozenset({ReviewAction.APPROVE, ReviewAction.FLAG, ReviewAction.REJECT, ReviewAction.COMMENT,
                         ReviewAction.VERDICT})
OVERSIGHT_ROLES = (Role.ADMIN, Role.COUNTY)  # not judged by the satisfaction rate of the stations they oversee


def allowed_actions(role: Role | str, feedback: bool, has_case: bool) -> frozenset[ReviewAction]:
    """What a user of ``role`` may do to a submission in their scope: resident ``feedback`` or a visit, which
    ``has_case`` or not."""
    role = Role(role)
    if role == Role.WORKER:
        return frozenset({ReviewAction.COMMENT})
    if feedback:
        if role in OVERSIGHT_ROLES:
            return frozenset({ReviewAction.APPROVE, ReviewAction.FLAG, ReviewAction.COMMENT, ReviewAction.EXCLUDE})
        return frozenset({ReviewAction.COMMENT})  # the station judged by it: read and answer, nothing more
    return SUPERVISION | ({ReviewAction.RETURN} if has_case else set())


def exclusion_reason(value: str) -> ExclusionReason | None:
    """The reason a user chose, or None when it is not one they may choose."""
    try:
        reason = ExclusionReason(value)
    except ValueError:
        return None
    return reason if reason in CHOOSABLE_REASONS else None


def describe_exclusions(by_reason: dict[str, int]) -> str:
    """Excluded answers per reason in both languages, for report packs: "垃圾信息 spam 3；重复提交 duplicate 2"."""
    parts = []
    for value, count in by_reason.items():
        reason = ExclusionReason(value) if value in ExclusionReason._value2member_map_ else None
        name = f"{REASON_NAMES_ZH[reason]} {REASON_NAMES_EN[reason]}" if reason else value
        parts.append(f"{name} {count}")
    return "；".join(parts)
