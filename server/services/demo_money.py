"""Demo projects and their money (docs/money.md), dated relative to the day the demo is loaded.

Each county of the demo city buys one project for its stations this year, its A1 budget within the rules, with the
monthly spending of every complete month so far. 五华区 (the demo county supervisor's) shows what a supervisor must
catch: a second, flagship project whose pay lines are over A1's 70 %, one month its operator has not reported, one
line overspent, and its year's purchases close to §4.5's 5 % cap. Idempotent: a county with a project this year is
left alone.
"""
from __future__ import annotations

import random
from datetime import date

from sqlalchemy import select

from server.domain.money import Group, Source, months_between
from server.extensions import db
from server.models import (Area, BudgetLine, CountyBudgetYear, Project, ProjectSource, ProjectStation, SpendingReport,
                           Station)
from server.queries import money as queries

DEMO_COUNTY = "530102"  # 五华区: the demo county supervisor's
OPERATORS = ("启明社会工作服务中心", "同心社会工作服务社", "春晖社会工作发展中心", "彩云社会工作服务中心")
PER_STATION = 15_000_000  # 150 000 yuan a station for the year, in fen

# A1's groups as shares of the amount, in basis points. The two shares add up to 100 %, so with pay ≤ 70 % and the
# rest ≤ 30 % an ordinary budget sits exactly on both lines (II + III = 70 %); the flagship one has pay at 74.5 %.
ORDINARY = ((Group.STAFF_PAY, "社工劳务费和保险", 6200), (Group.VOLUNTEERS, "志愿者补贴和保险", 800),
            (Group.SERVICES, "个案、小组、社区活动", 1400), (Group.EXECUTION, "1.交通费", 300),
            (Group.EXECUTION, "2.培训费", 300), (Group.EXECUTION, "4.管理费（财务人员劳务）", 200),
            (Group.EXECUTION, "5.印刷宣传费", 100), (Group.PREMISES, "场地租金和水电", 700))
FLAGSHIP = ((Group.STAFF_PAY, "督导和社工劳务费", 6800), (Group.VOLUNTEERS, "志愿者补贴和保险", 650),
            (Group.SERVICES, "“一老一小”品牌活动", 1800), (Group.EXECUTION, "3.会议费", 250),
            (Group.EXECUTION, "5.印刷宣传费", 200), (Group.PREMISES, "活动场地租金", 300))


def _project(county: Area, stations: list[str], name: str, operator: str, amount: int, shape, year: int) -> Project:
    project = Project(county_code=county.code, year=year, name=name, operator=operator,
                      contract_no=f"{county.code}-{year}-{len(stations):02d}{len(name) % 10}",
                      starts_on=date(year, 1, 1), ends_on=date(year, 12, 31), amount=amount)
    project.stations = [ProjectStation(station_code=code) for code in stations]
    lines, given = [], 0
    for position, (group, line_name, share) in enumerate(shape):
        value = amount * share // 10_000 if position < len(shape) - 1 else amount - given
        given += value
        lines.append(BudgetLine(group=group, name=line_name, amount=value, position=position))
    project.lines = lines
    matching = amount * 3 // 10
    project.sources = [ProjectSource(source=Source.MINISTRY_PROVINCE, amount=amount - matching - amount // 20),
                       ProjectSource(source=Source.LOCAL_MATCHING, amount=matching),
                       ProjectSource(source=Source.DONATIONS, amount=amount // 20)]
    db.session.add(project)
    db.session.flush()
    return project


def _spend(project: Project, today: date, rng: random.Random, skip: date | None = None,
           overspend: str | None = None) -> int:
    """Each complete month's report: about a twelfth of each line, give or take a fifth."""
    made = 0
    last_complete = date(today.year, today.month, 1)
    for month in months_between(project.starts_on, project.ends_on):
        if month >= last_complete or month == skip:
            continue
        for line in project.lines:
            share = line.amount // 12
            amount = share * rng.randint(80, 120) // 100
            if line.name == overspend:
                amount = line.amount // 4  # a quarter of the year's budget every month: over by the fifth month
            db.session.add(SpendingReport(project_id=project.id, line_id=line.id, month=month, amount=amount,
                                          note="运营方月度报表"))
        made += 1
    return made


def load_demo_projects(today: date) -> int:
    """The demo's projects for ``today``'s year; returns how many were created."""
    year = today.year
    rng = random.Random(f"money-{year}")
    made = 0
    counties = db.session.scalars(select(Area).where(Area.level == "county", Area.parent_code == "530100")
                                  .order_by(Area.code)).all()
    for n, county in enumerate(counties):
        if queries.county_purchases(county.code, year) > 0:
            continue
        stations = list(db.session.scalars(select(Station.code).join(Area, Area.code == Station.code)
                                           .where(Area.parent_code == county.code).order_by(Station.code)))
        if not stations:
            continue
        main = _project(county, stations, f"{county.name}乡镇（街道）社工站{year}年度购买服务项目",
                        f"昆明市{county.name}{OPERATORS[n % len(OPERATORS)]}", PER_STATION * len(stations), ORDINARY,
                        year)
        made += 1
        spending = PER_STATION * len(stations) * 20 * rng.randint(11, 15) // 10  # well under the cap
        if county.code == DEMO_COUNTY:
            flagship = _project(county, stations[:1], f"{county.name}“2+N”品牌项目：困境儿童与独居老人关爱",
                                f"昆明市{county.name}{OPERATORS[(n + 1) % len(OPERATORS)]}", 12_000_000, FLAGSHIP, year)
            made += 1
            _spend(flagship, today, rng, skip=date(year, 2, 1) if today.month > 3 else None)
            _spend(main, today, rng, overspend="1.交通费")
            purchases = main.amount + flagship.amount
            spending = purchases * 20 * 100 // 97  # purchases are 97 % of the 5 % cap
        else:
            _spend(main, today, rng)
        db.session.merge(CountyBudgetYear(county_code=county.code, year=year, social_assistance=spending,
                                          tolerance_bp=0))
    db.session.flush()
    return made
