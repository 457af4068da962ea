"""Station compliance with the Kunming standard (POLICY.md §4.4–§4.6, A2), one check per rule.

Pure: plain facts about a station and its staff in, one result per rule out, each naming its
clause. A rule whose data is not recorded is ``None`` (unknown), not a failure: a county must see
what it has not yet filled in, apart from what is wrong.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from server.domain.stations import EDUCATION_ORDER, Certificate, Education, StaffOrigin, StaffRole, StationMode


@dataclass(frozen=True)
class StaffFact:
    name: str
    role: StaffRole
    origin: StaffOrigin
    birth_date: date | None
    education: Education | None
    certificate: Certificate


@dataclass(frozen=True)
class StationFact:
    mode: StationMode
    operator_registration_no: str | None
    operator_inspection_passed: bool | None
    setup_funding_yuan: int | None
    plaque_issued: bool
    flagship_projects: int | None
    staff: tuple[StaffFact, ...]
    active_volunteers: int = 0  # volunteers with a counted service record in the last 12 months
    records_volunteering: bool = False  # the station ever recorded counted volunteer service


@dataclass(frozen=True)
class Check:
    rule: str
    clause: str
    passed: bool | None  # None: not recorded
    detail: str


def age_on(birth: date, day: date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def _at_least(education: Education | None, floor: Education) -> bool:
    return education is not None and EDUCATION_ORDER.index(education) >= EDUCATION_ORDER.index(floor)


def check_station(station: StationFact, today: date) -> list[Check]:
    team = [s for s in station.staff if s.role != StaffRole.VOLUNTEER]
    count = {role: sum(1 for s in station.staff if s.role == role) for role in StaffRole}
    checks = [
        Check("head", "§4.4", count[StaffRole.HEAD] == 1, f"站长 {count[StaffRole.HEAD]} 名（应 1 名）"),
        Check("deputy_head", "§4.4", count[StaffRole.DEPUTY_HEAD] == 1,
              f"副站长 {count[StaffRole.DEPUTY_HEAD]} 名（应 1 名）"),
        Check("staff", "§4.4", count[StaffRole.STAFF] >= 2, f"工作人员 {count[StaffRole.STAFF]} 名（至少 2 名）"),
        Check("volunteers", "§4.4", count[StaffRole.VOLUNTEER] >= 30,
              f"志愿者 {count[StaffRole.VOLUNTEER]} 名（至少 30 名）；近 12 个月有服务记录 {station.active_volunteers} 名"),
    ]
    if station.records_volunteering:  # once the station records volunteer service, the 30 is measured from it too
        checks.append(Check("active_volunteers", "§4.4", station.active_volunteers >= 30,
                            f"近 12 个月有服务记录的志愿者 {station.active_volunteers} 名（至少 30 名）"))
    if station.mode == StationMode.GOVERNMENT:
        checks.append(Check("government_team", "§4.4", len(team) >= 4, f"自办团队 {len(team)} 人（至少 4 人）"))
    else:
        certified = sum(1 for s in team if s.certificate != Certificate.NONE)
        checks += [
            Check("operator_registered", "§4.4", bool(station.operator_registration_no),
                  "承接机构已登记" if station.operator_registration_no else "缺少承接机构登记证号"),
            Check("operator_inspection", "§4.4", station.operator_inspection_passed,
                  {True: "年检合格", False: "年检未通过", None: "未填写年检结果"}[station.operator_inspection_passed]),
            Check("certified_social_worker", "§4.4", certified >= 1, f"持证社工 {certified} 名（至少 1 名）"),
        ]
    checks += [_staff_rule(team, StaffOrigin.OPERATOR, 45, Education.COLLEGE, "operator_staff_profile",
                           "承接机构派驻社工须 45 岁以下、大专及以上", today),
               _staff_rule(team, StaffOrigin.CONVERTED_CLERK, 50, Education.JUNIOR_MIDDLE, "converted_staff_profile",
                           "转岗人员须 50 岁以下、初中及以上", today)]
    funding = station.setup_funding_yuan
    checks.append(Check("setup_funding", "§4.5", None if funding is None else funding >= 20_000,
                        "未填写建站经费" if funding is None else f"建站经费 {funding} 元（至少 20000 元）"))
    checks.append(Check("plaque", "§4.6", station.plaque_issued, "已悬挂标准门牌" if station.plaque_issued else "尚未登记门牌悬挂"))
    projects = station.flagship_projects
    checks.append(Check("two_plus_n", "A2", None if projects is None else projects >= 2,
                        "未填写项目" if projects is None else f"品牌项目 {projects} 个（“2+N”至少 2 个）"))
    return checks


def _staff_rule(team: list[StaffFact], origin: StaffOrigin, max_age: int, floor: Education, rule: str,
                text: str, today: date) -> Check:
    people = [s for s in team if s.origin == origin and s.role != StaffRole.HEAD]
    if not people:
        return Check(rule, "§4.4", True, f"{text}（无此类人员）")
    unknown = [s.name for s in people if s.birth_date is None or s.education is None]
    failing = [s.name for s in people if s.birth_date is not None and s.education is not None
               and (age_on(s.birth_date, today) >= max_age or not _at_least(s.education, floor))]
    if failing:
        return Check(rule, "§4.4", False, f"{text}：不符合 {'、'.join(failing)}")
    if unknown:
        return Check(rule, "§4.4", None, f"{text}：未填写年龄或学历 {'、'.join(unknown)}")
    return Check(rule, "§4.4", True, text)
