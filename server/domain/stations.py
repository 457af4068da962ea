"""The vocabulary of stations and their staff, from the policy (POLICY.md §4.1, §4.4).

Only names and orderings live here; the compliance checks that use them come with
the indicators. Plain values only.
"""
from __future__ import annotations

from enum import StrEnum


class StationMode(StrEnum):
    """§4.1: government-run (政府自办) or purchased service (政府购买服务)."""

    GOVERNMENT = "government"
    PURCHASED = "purchased"


class StationStatus(StrEnum):
    PLANNED = "planned"        # 筹建中
    OPERATING = "operating"    # 运营中
    SUSPENDED = "suspended"    # 暂停
    CLOSED = "closed"          # 撤销


class InspectionResult(StrEnum):
    """Annual inspection (年检) of the operator organisation."""

    PASSED = "passed"
    BASIC_PASS = "basic_pass"
    FAILED = "failed"
    NOT_INSPECTED = "not_inspected"


class StaffRole(StrEnum):
    """§4.4: head ×1, deputy head ×1, staff ×2, volunteers ≥ 30."""

    HEAD = "head"
    DEPUTY_HEAD = "deputy_head"
    STAFF = "staff"
    VOLUNTEER = "volunteer"


class StaffOrigin(StrEnum):
    """Where a staff member comes from; §4.4 sets different age/education rules for each."""

    OPERATOR = "operator"                  # sent by the operator organisation (age < 45, 大专+)
    CONVERTED_CLERK = "converted_clerk"    # converted assistance/civil-affairs clerk (age < 50, 初中+)
    TOWNSHIP = "township"                  # township leader (the head)
    VOLUNTEER = "volunteer"


class Education(StrEnum):
    """Highest education, in increasing order (the order matters for '… or above' rules)."""

    PRIMARY = "primary"            # 小学
    JUNIOR_MIDDLE = "junior_middle"  # 初中
    SENIOR_MIDDLE = "senior_middle"  # 高中/中专
    COLLEGE = "college"            # 大专
    BACHELOR = "bachelor"          # 本科
    POSTGRADUATE = "postgraduate"  # 研究生


EDUCATION_ORDER = tuple(Education)


class Certificate(StrEnum):
    """National social-work qualification (社会工作者职业资格)."""

    NONE = "none"
    ASSISTANT = "assistant"        # 助理社会工作师
    INTERMEDIATE = "intermediate"  # 社会工作师
    SENIOR = "senior"              # 高级社会工作师


STATION_MODE_ZH = {StationMode.GOVERNMENT: "政府自办", StationMode.PURCHASED: "政府购买服务"}
STATION_STATUS_ZH = {StationStatus.PLANNED: "筹建中", StationStatus.OPERATING: "运营中",
                     StationStatus.SUSPENDED: "暂停", StationStatus.CLOSED: "撤销"}
STAFF_ROLE_ZH = {StaffRole.HEAD: "站长", StaffRole.DEPUTY_HEAD: "副站长", StaffRole.STAFF: "工作人员",
                 StaffRole.VOLUNTEER: "志愿者"}
