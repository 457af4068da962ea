"""The people served (cases): the policy's categories and their vocabulary. Plain values only."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum


class CaseCategory(StrEnum):
    """POLICY.md §5: the groups a station must reach. A case may be in several."""

    MINIMUM_ALLOWANCE = "minimum_allowance"        # 低保对象
    DESTITUTE = "destitute"                        # 特困人员
    TEMPORARY_ASSISTANCE = "temporary_assistance"  # 临时救助对象
    LEFT_BEHIND_ELDER = "left_behind_elder"        # 留守老人
    EMPTY_NEST_ELDER = "empty_nest_elder"          # 空巢老人
    VERY_OLD_ELDER = "very_old_elder"              # 高龄老人
    LEFT_BEHIND_CHILD = "left_behind_child"        # 留守儿童
    CHILD_IN_DIFFICULTY = "child_in_difficulty"    # 困境儿童
    DISABILITY = "disability"                      # 残疾人
    OTHER = "other"                                # 其他


CATEGORY_NAMES_ZH = {
    CaseCategory.MINIMUM_ALLOWANCE: "低保对象", CaseCategory.DESTITUTE: "特困人员",
    CaseCategory.TEMPORARY_ASSISTANCE: "临时救助对象", CaseCategory.LEFT_BEHIND_ELDER: "留守老人",
    CaseCategory.EMPTY_NEST_ELDER: "空巢老人", CaseCategory.VERY_OLD_ELDER: "高龄老人",
    CaseCategory.LEFT_BEHIND_CHILD: "留守儿童", CaseCategory.CHILD_IN_DIFFICULTY: "困境儿童",
    CaseCategory.DISABILITY: "残疾人", CaseCategory.OTHER: "其他",
}


# POLICY.md §5 names patrol visits of elders and follow-ups of children; these defaults (days
# between visits) follow common practice in Yunnan's stations and are changed by an admin
# (`flask --app server set-visit-interval`, `PUT /api/v1/visit-intervals/<category>`).
DEFAULT_VISIT_INTERVAL_DAYS = {
    CaseCategory.DESTITUTE: 30,
    CaseCategory.LEFT_BEHIND_ELDER: 30,
    CaseCategory.EMPTY_NEST_ELDER: 30,
    CaseCategory.VERY_OLD_ELDER: 30,
    CaseCategory.CHILD_IN_DIFFICULTY: 30,
    CaseCategory.LEFT_BEHIND_CHILD: 90,
    CaseCategory.MINIMUM_ALLOWANCE: 90,
    CaseCategory.TEMPORARY_ASSISTANCE: 90,
    CaseCategory.DISABILITY: 90,
    CaseCategory.OTHER: 180,
}
# The forms whose submissions are field visits to a case (resident feedback is not).
VISIT_FORMS = ("home_visit", "household_survey", "elder_patrol", "child_followup")


class CaseEventKind(StrEnum):
    CREATED = "created"          # registered by a visit (entity create)
    IMPORTED = "imported"        # from a register file
    VISITED = "visited"          # a field visit, with or without property changes
    CONFLICT = "conflict"        # an offline update based on an outdated version: applied, flagged for review
    CLOSED = "closed"
    REOPENED = "reopened"
    RETURNED = "returned"        # a supervisor sent a visit back to the worker
    CLOSE_PROPOSED = "close_proposed"          # a worker's visit says the service ended: a station head decides
    PROPOSAL_DISMISSED = "proposal_dismissed"  # the station head found it has not


# A case's registration happened on its registration date (registered_on), whenever it was loaded:
# an imported register of last year must not look newer than this year's visits on the timeline.
REGISTRATION_EVENTS = (CaseEventKind.CREATED, CaseEventKind.IMPORTED)


class CaseListMode(StrEnum):
    """What a worker's cases.csv holds: every open case of the station, or only theirs."""

    STATION = "station"
    ASSIGNED = "assigned"


class CaseStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class ClosingReason(StrEnum):
    """Why a case's service ended (docs/cases.md, "Closing and reopening"); a closed case leaves the phones'
    case lists and the coverage denominator."""

    DECEASED = "deceased"
    MOVED_OUT = "moved_out"
    NO_LONGER_ELIGIBLE = "no_longer_eligible"
    REFUSED_SERVICE = "refused_service"
    DUPLICATE = "duplicate"


CLOSING_REASON_NAMES_ZH = {
    ClosingReason.DECEASED: "已故", ClosingReason.MOVED_OUT: "迁出",
    ClosingReason.NO_LONGER_ELIGIBLE: "不再符合条件", ClosingReason.REFUSED_SERVICE: "拒绝服务",
    ClosingReason.DUPLICATE: "重复登记",
}


class RiskLevel(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


ZH_TO_CATEGORY = {name: category for category, name in CATEGORY_NAMES_ZH.items()}


def parse_categories(text: str) -> tuple[list[CaseCategory], list[str]]:
    """Categories from a cell or an entity property: codes or Chinese names, separated by spaces,
    commas or 、. Returns the categories and the words that are neither."""
    words = [w for w in text.replace("、", " ").replace(",", " ").replace("，", " ").split() if w]
    found: list[CaseCategory] = []
    unknown: list[str] = []
    for word in words:
        category = ZH_TO_CATEGORY.get(word) or (CaseCategory(word) if word in CaseCategory._value2member_map_ else None)
        if category is None:
            unknown.append(word)
        elif category not in found:
            found.append(category)
    return found, unknown


def interval_days(categories: list[str], intervals: dict[str, int]) -> int:
    """A case in several categories is visited as often as its most demanding one asks."""
    days = [intervals.get(c, DEFAULT_VISIT_INTERVAL_DAYS.get(c, 180)) for c in categories]
    return min(days) if days else intervals.get(CaseCategory.OTHER, 180)


def mask_id_number(id_number: str | None) -> str | None:
    """5301********1234: enough to tell two people apart, not enough to impersonate one."""
    if not id_number:
        return id_number
    return id_number[:4] + "*" * max(len(id_number) - 8, 0) + id_number[-4:] if len(id_number) > 8 else "****"


class CaseOrder(StrEnum):
    """How a case list is sorted."""

    DUE = "due"    # most overdue first, never scheduled last
    NAME = "name"


@dataclass(frozen=True)
class CaseSearch:
    """What a case search box's text is matched against: the name, the village's name, the phone number and
    the ID number. Whoever sees ID numbers masked (``5301**********123X``) finds one only by the last four
    characters the mask shows, and only by all four: a search must not let them probe the hidden digits."""

    text: str
    id_number_in_full: bool

    @property
    def id_number_ending(self) -> str | None:
        """The text as the last four characters of an ID number, for whoever sees them masked."""
        return self.text.upper() if not self.id_number_in_full and len(self.text) == 4 else None


def next_due_date(last_visit: date | None, registered_on: date, days: int,
                  proposed: date | None = None) -> date:
    """When the case must be seen next: one interval after the last visit (or after registration,
    if never visited); earlier if the worker planned an earlier visit."""
    base = (last_visit or registered_on) + timedelta(days=days)
    start = last_visit or registered_on
    if proposed is not None and start < proposed < base:
        return proposed
    return base


def is_overdue(next_due: date | None, today: date) -> bool:
    """Due today is not yet overdue; the day after is."""
    return next_due is not None and next_due < today


ID_NUMBER_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_NUMBER_CHECK = "10X98765432"


def id_number_valid(id_number: str) -> bool:
    """An 18-character PRC resident ID number with a correct ISO 7064 MOD 11-2 check character."""
    text = id_number.upper()
    if len(text) != 18 or not text[:17].isdigit() or not (text[17].isdigit() or text[17] == "X"):
        return False
    total = sum(int(digit) * weight for digit, weight in zip(text[:17], ID_NUMBER_WEIGHTS))
    return ID_NUMBER_CHECK[total % 11] == text[17]
