"""Demo Kunming data so that a new user sees a living system (``flask --app server load-demo``).

Idempotent: running it again adds nothing twice and resets the demo users' passwords
to the ones it prints. The area list is a real-looking sample (14 real county-level
divisions with real township names); township and village codes are illustrative.
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from server.adapters.tabular import ImportLimits, read_table
from server.domain.access import Role, Scope
from server.domain.clock import today_in_china
from server.domain.places import AREA_COLUMNS, AreaLevel
from server.domain.stations import (
    Certificate,
    Education,
    InspectionResult,
    StaffOrigin,
    StaffRole,
    StationMode,
    StationStatus,
)
from server.extensions import db
from server.models import Station
from server.queries import accounts as account_queries
from server.queries import places as place_queries
from server.services import accounts, places
from server.services.demo_money import load_demo_projects
from server.services.demo_visits import WORKER_PASSWORD, load_demo_feedback, load_demo_visits, load_demo_volunteering

DEMO_DIR = Path(__file__).resolve().parent.parent / "demo"
CITY_CODE = "530100"
DEMO_USERS = (
    # username, role, scope, password, display name
    ("admin", Role.ADMIN, "530100", "kunming-admin-2026", "市民政局管理员"),
    ("wuhua", Role.COUNTY, "530102", "wuhua-county-2026", "五华区民政局督导"),
    ("huashan", Role.STATION, "530102001", "huashan-head-2026", "华山街道社工站站长"),
    ("worker1", Role.WORKER, "530102001", "huashan-worker-2026", "李娜（社工）"),
)
SURNAMES = "王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗郑梁谢宋唐"
GIVEN = ["芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超", "秀英", "桂英",
         "建华", "志强", "海燕", "晓红"]
ETHNICITIES = ["汉族"] * 6 + ["彝族", "回族", "白族", "苗族"]


@dataclass
class DemoReport:
    areas_created: int = 0
    stations_created: int = 0
    staff_created: int = 0
    users: list[tuple[str, str, str, str]] = field(default_factory=list)
    forms: list[str] = field(default_factory=list)
    cases_created: int = 0
    visits_created: int = 0
    feedback_created: int = 0
    volunteer_records: int = 0
    projects_created: int = 0

    def lines(self) -> list[str]:
        out = [f"区划新增 {self.areas_created}，社工站新增 {self.stations_created}，工作人员新增 {self.staff_created} / "
               f"areas +{self.areas_created}, stations +{self.stations_created}, staff +{self.staff_created}",
               "演示账号 / demo accounts (username / password / role / scope):"]
        out += [f"  {u} / {p} / {r} / {s}" for u, p, r, s in self.users]
        out += [f"  (其他社工站的演示社工 / other stations' demo workers: sg<station code> / {WORKER_PASSWORD})"]
        out += ["表单 / forms:"] + [f"  {f}" for f in self.forms]
        out += [f"服务对象新增 {self.cases_created}，走访新增 {self.visits_created} / "
                f"cases +{self.cases_created}, visits +{self.visits_created}",
                f"居民评价新增 {self.feedback_created} / resident feedback +{self.feedback_created}",
                f"志愿服务记录新增 {self.volunteer_records} / volunteer service records +{self.volunteer_records}",
                f"购买服务项目新增 {self.projects_created} / projects +{self.projects_created}"]
        return out


def load_demo() -> DemoReport:
    report = DemoReport()
    table = read_table(DEMO_DIR / "areas.csv", AREA_COLUMNS, ImportLimits())
    report.areas_created = places.import_areas(table.rows, first_line=table.first_line).created
    for township in place_queries.list_areas_in_scope(_city_scope(), AreaLevel.TOWNSHIP):
        if place_queries.get_station_by_code(township.code) is None:
            station = _create_demo_station(township.code, township.name)
            report.stations_created += 1
            report.staff_created += _add_demo_staff(station)
    for username, role, scope, password, name in DEMO_USERS:
        _ensure_user(username, role, scope, password, name)
        report.users.append((username, password, role.value, scope))
    _link_demo_worker()
    report.forms = [f"{r.xml_form_id} {r.version} ({r.outcome})" for r in _publish_demo_forms()]
    report.cases_created, report.visits_created = load_demo_visits()
    report.feedback_created = load_demo_feedback()
    report.volunteer_records = load_demo_volunteering()
    report.projects_created = load_demo_projects(today_in_china())
    db.session.flush()
    return report


def _publish_demo_forms() -> list:
    from flask import current_app

    from server.services.forms import publish_form, xlsform_files

    return [publish_form(path.read_bytes(), path.name) for path in xlsform_files(current_app.config["FORMS_DIR"])]


def _city_scope():
    city = place_queries.get_area_by_code(CITY_CODE)
    return Scope(role=Role.ADMIN, area_code=city.code, area_path=city.path)  # type: ignore[union-attr]


def _create_demo_station(code: str, township_name: str) -> Station:
    rng = random.Random(code)
    purchased = township_name.endswith("街道") or rng.random() < 0.3
    return places.create_station(
        code,
        mode=StationMode.PURCHASED if purchased else StationMode.GOVERNMENT,
        status=StationStatus.OPERATING,  # every demo station has staff, cases and visits: its record says so
        established_on=date(2021, rng.choice([4, 5, 5, 6, 6]), rng.randint(1, 28)),
        operator_name=f"昆明市{township_name}社会工作服务中心" if purchased else None,
        operator_registration_no=f"52530100MJ{rng.randint(1000000, 9999999)}" if purchased else None,
        operator_inspection=(InspectionResult.PASSED if rng.random() < 0.85 else InspectionResult.BASIC_PASS)
        if purchased else None,
        operator_grade=rng.choice(["3A", "4A", "5A", None]) if purchased else None,
        setup_funding_yuan=rng.choice([20_000, 25_000, 30_000, 15_000, None]),
        flagship_projects=rng.choice([2, 2, 3, 1, None]),
    )


def _add_demo_staff(station: Station) -> int:
    rng = random.Random(f"staff-{station.code}")
    purchased = station.mode == StationMode.PURCHASED
    team = [(StaffRole.HEAD, StaffOrigin.TOWNSHIP), (StaffRole.DEPUTY_HEAD,
             StaffOrigin.OPERATOR if purchased else StaffOrigin.CONVERTED_CLERK)]
    team += [(StaffRole.STAFF, StaffOrigin.OPERATOR if purchased else StaffOrigin.CONVERTED_CLERK)] * rng.choice([2, 2, 3])
    # Some stations fall short of the 30 volunteers §4.4 asks for, so compliance has something to show.
    team += [(StaffRole.VOLUNTEER, StaffOrigin.VOLUNTEER)] * rng.choice([12, 24, 30, 32, 35])
    for role, origin in team:
        professional = origin == StaffOrigin.OPERATOR
        places.add_staff_member(
            station, rng.choice(SURNAMES) + rng.choice(GIVEN), role, origin,
            gender=rng.choice(["female", "male"]),
            birth_date=date(rng.randint(1972 if role != StaffRole.VOLUNTEER else 1960, 2001),
                            rng.randint(1, 12), rng.randint(1, 28)),
            education=rng.choice([Education.COLLEGE, Education.BACHELOR] if professional
                                 else [Education.JUNIOR_MIDDLE, Education.SENIOR_MIDDLE, Education.COLLEGE]),
            certificate=rng.choice([Certificate.ASSISTANT, Certificate.INTERMEDIATE, Certificate.NONE])
            if professional else Certificate.NONE,
            local_hukou=rng.random() < 0.8, ethnicity=rng.choice(ETHNICITIES),
            phone=f"13{rng.randint(100000000, 999999999)}")
    return len(team)


def _ensure_user(username: str, role: Role, scope: str, password: str, name: str) -> None:
    user = account_queries.get_user_by_username(username)
    if user is None:
        accounts.create_user(username, role, scope, password, name)
    else:
        accounts.set_password(user, password)


def _link_demo_worker() -> None:
    """The demo worker is also a staff member of their station."""
    user = account_queries.get_user_by_username("worker1")
    if user is None or place_queries.get_staff_member_by_name(user.scope_code, "李娜") is not None:
        return
    station = place_queries.get_station_by_code(user.scope_code)
    places.add_staff_member(station, "李娜", StaffRole.STAFF, StaffOrigin.OPERATOR,  # type: ignore[arg-type]
                            gender="female", birth_date=date(1994, 3, 8), education=Education.BACHELOR,
                            certificate=Certificate.ASSISTANT, local_hukou=True, ethnicity="彝族",
                            user_id=user.id)
