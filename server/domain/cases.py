"""The people served (cases): the policy's categories and their vocabulary. Plain values only."""
from __future__ import annotations

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


class CaseStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class RiskLevel(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
