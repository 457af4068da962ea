"""Report packs on the policy's cadence and the dashboard they share: an area's indicators for a period,
each child area and station against the 90 % line, the monthly trend, the non-compliant stations and the
worst overdue cases, and what residents wrote (docs/indicators.md, "Dashboard and report packs")."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any, BinaryIO

from server.adapters.tabular import Sheet, write_workbook
from server.domain.access import Scope
from server.domain.clock import LABEL, beijing_time, utc_now
from server.domain.compliance import Check
from server.domain.indicators import TARGET
from server.domain.periods import Period, trend_months
from server.domain.review import describe_exclusions
from server.domain.volunteers import TARGET_VOLUNTEERS
from server.models import Area, Case, Station
from server.queries import cases as case_queries
from server.queries import places as place_queries
from server.domain.authenticity import FLAG_NAMES
from server.queries.cases import CaseFilters
from server.queries.indicators import list_feedback_comments
from server.services import authenticity, money, volunteers
from server.services.compliance import station_compliance
from server.services.indicators import indicators_of, indicators_of_townships

OVERDUE_LIMIT = 200
COMMENT_LIMIT = 500


@dataclass
class StationReport:
    station: Station
    indicators: dict[str, Any]
    checks: list[Check]
    open_cases: int
    overdue: int

    @property
    def failed_checks(self) -> list[Check]:
        return [c for c in self.checks if c.passed is False]

    @property
    def unknown_checks(self) -> list[Check]:
        return [c for c in self.checks if c.passed is None]


@dataclass
class FeedbackComment:
    day: date
    station_code: str
    score: int | None
    text: str
    channel: str
    review_state: str
    exclusion_reason: str | None = None  # left out of the satisfaction rate, and why


@dataclass
class ReportPack:
    area: Area
    period: Period
    as_of: date
    generated_at: datetime
    summary: dict[str, Any]
    trend: list[dict[str, Any]]
    stations: list[StationReport]
    overdue_cases: list[Case]
    comments: list[FeedbackComment] = field(default_factory=list)
    volunteering: dict[str, Any] = field(default_factory=dict)   # station code → StationVolunteering
    volunteer_ledger: list[Any] = field(default_factory=list)    # LedgerRow per volunteer who served
    money: dict[str, Any] = field(default_factory=dict)          # services.money.money_of_period
    quality: Any = None                                          # services.authenticity.QualityReport

    @property
    def non_compliant(self) -> list[StationReport]:
        """Stations failing at least one rule, the most failures first."""
        failing = [s for s in self.stations if s.failed_checks]
        return sorted(failing, key=lambda s: (-len(s.failed_checks), s.station.code))

    @property
    def station_names(self) -> dict[str, str]:
        return {s.station.code: s.station.official_name for s in self.stations}


def build_report(scope: Scope, area: Area, period: Period, today: date, comment_limit: int = COMMENT_LIMIT) -> ReportPack:
    """Everything the dashboard and the report pack show for ``area`` (inside ``scope``) over ``period``."""
    area_scope = scope.narrowed_to(area.code, area.path)
    as_of = period.clipped(today)
    overdue_counts = {code: (total, late) for code, total, late in case_queries.count_overdue_by_station(area_scope, today)}
    stations = []
    in_scope = place_queries.list_stations_in_scope(area_scope)
    figures_of = indicators_of_townships(area, [station.township for station in in_scope], period.start, as_of)
    for station in in_scope:
        total, late = overdue_counts.get(station.code, (0, 0))
        stations.append(StationReport(station, figures_of[station.code], station_compliance(station, as_of),
                                      total, late))
    trend = []
    for month in trend_months(period):
        if month.start > today:
            continue
        month_end = month.clipped(today)
        figures = indicators_of(area, month.start, month_end, with_children=False)
        trend.append({"month": month.key, "as_of": month_end, "coverage": figures["coverage"],
                      "satisfaction": figures["satisfaction"]})
    overdue = case_queries.list_cases(area_scope, CaseFilters(overdue_on=today), OVERDUE_LIMIT)
    comments = [FeedbackComment(*row) for row in list_feedback_comments(area, period.start, as_of, comment_limit)]
    return ReportPack(area=area, period=period, as_of=as_of, generated_at=utc_now(),
                      summary=indicators_of(area, period.start, as_of), trend=trend, stations=stations,
                      overdue_cases=overdue, comments=comments,
                      volunteering=volunteers.station_volunteering(area_scope, [s.code for s in in_scope],
                                                                   period.start, as_of),
                      volunteer_ledger=volunteers.ledger(area_scope, period.start, as_of),
                      money=money.money_of_period(area_scope, period.start, as_of),
                      quality=authenticity.quality_report(area_scope, period.start, as_of))


STATUS_ZH = {"met": "达标", "not_met": "未达标", "insufficient": "样本不足", "no_cases": "无应访个案"}


def write_report_xlsx(pack: ReportPack, out: BinaryIO, today: date) -> None:
    """The report pack as a workbook: summary, stations, compliance, overdue cases, comments, trend."""
    write_workbook([_summary_sheet(pack), _stations_sheet(pack), _compliance_sheet(pack), _volunteer_sheet(pack),
                    _money_sheet(pack), _quality_sheet(pack), _overdue_sheet(pack, today), _comments_sheet(pack), _trend_sheet(pack)], out)


def _yuan(amount: dict) -> Decimal:
    """Fen as an exact decimal number of yuan for a cell (Excel shows it with two decimals)."""
    return Decimal(amount["fen"]) / 100


def _money_sheet(pack: ReportPack) -> Sheet:
    """资金使用: each project's A1 lines with budget, spending to the period's end and what remains; its checks and
    unreported months; then each county's §4.5 cap (docs/money.md)."""
    rows: list[list[Any]] = [["项目 Project", "县（市、区） County", "承接机构 Operator", "类别 Group", "支出项目 Line",
                              "预算（元） Budget", "截至期末支出（元） Spent", "剩余（元） Remaining", "超预算 Over"]]
    for project in pack.money.get("projects", []):
        for line in project["lines"]:
            rows.append([project["name"], project["county"]["name"], project["operator"], line["group_name"],
                         line["name"], _yuan(line["budget"]), _yuan(line["spent"]), _yuan(line["remaining"]),
                         "超预算" if line["over_budget"] else ""])
        rows.append([project["name"], project["county"]["name"], project["operator"], "合计", "",
                     _yuan(project["amount"]), _yuan(project["spent"]), None, ""])
        for check in project["checks"]:
            rows.append([project["name"], "", "", "核对", f"{check['message']}（{check['clause']}）", None, None, None,
                         "违反" if check["severity"] == "breach" else "提示"])
        if project["months_without_report"]:
            rows.append([project["name"], "", "", "未报月份", "、".join(project["months_without_report"]), None, None,
                         None, ""])
    rows.append([])
    rows.append(["县级上限 County cap (§4.5)", "县（市、区） County", "社会救助支出（元） Social assistance",
                 "本年度项目（元） Projects", "上限 5%（元） Cap", "余量（元） Margin", "在上限内 Within", "填报人 Recorded by"])
    for cap in pack.money.get("caps", []):
        rows.append(["", cap["county_name"] or cap["county"], _yuan(cap["social_assistance"]) if cap["social_assistance"] else "未填报",
                     _yuan(cap["purchases"]), _yuan(cap["cap"]) if cap["cap"] else None,
                     _yuan(cap["margin"]) if cap["margin"] else None,
                     "" if cap["within"] is None else ("是" if cap["within"] else "否"), cap["recorded_by"] or ""])
    return Sheet("资金使用 Money", rows, widths=(36, 12, 30, 22, 40, 14, 16, 14, 10))


def _quality_sheet(pack: ReportPack) -> Sheet:
    """走访核实: per station, the visits of the period, how many the authenticity checks flagged (per 100 and by kind)
    and the reviewers' verdicts; then month by month (docs/authenticity.md). Flags ask for review; they change no
    number of the other sheets."""
    report = pack.quality
    kinds = list(report.kinds) if report else []
    head = ["服务站 Station", "走访 Visits", "有核实提示 Flagged", "每百次 Per 100"] + \
        [" ".join(FLAG_NAMES.get(k, (k, ""))) for k in kinds] + ["核实属实 Genuine", "核实不属实 Not genuine"]
    rows: list[list[Any]] = [["走访核实：提示只是请审核人再看一眼，不改变任何指标；“不属实”的走访已驳回，不计入覆盖率。"], head]

    def line_row(name: str, line) -> list[Any]:
        return [name, line.visits, line.flagged, line.flagged_per_hundred] + \
            [line.by_kind.get(k, 0) for k in kinds] + [line.verdicts.get("genuine", 0),
                                                      line.verdicts.get("not_genuine", 0)]

    for station, line in (report.stations if report else []):
        rows.append(line_row(station.official_name, line))
    if report:
        rows.append(line_row("合计 Total", report.total))
        rows.append([])
        rows.append(["月份 Month", "走访 Visits", "有核实提示 Flagged", "每百次 Per 100"])
        for month, line in report.months:
            rows.append([month, line.visits, line.flagged, line.flagged_per_hundred])
    return Sheet("走访核实 Visit quality", rows, widths=(36, 10, 12, 10) + (12,) * (len(kinds) + 2))


def _rate(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def _summary_sheet(pack: ReportPack) -> Sheet:
    s = pack.summary
    coverage, satisfaction = s["coverage"], s["satisfaction"]
    rows: list[list[Any]] = [
        ["区划 Area", f"{pack.area.name}（{pack.area.code}）"],
        ["报告期 Period", pack.period.key],
        ["起止 From–to", f"{pack.period.start.isoformat()} — {pack.as_of.isoformat()}"],
        [f"生成时间 Generated ({LABEL})", beijing_time(pack.generated_at)],
        [],
        ["指标 Indicator", "分子 Numerator", "分母 Denominator", "比率 Rate", "目标 Target", "状态 Status"],
        ["服务覆盖率 Service coverage", coverage["numerator"], coverage["denominator"], _rate(coverage["rate"]),
         TARGET, STATUS_ZH.get(coverage["status"], coverage["status"])],
        ["居民满意率 Resident satisfaction", satisfaction["satisfied"], satisfaction["responses"],
         _rate(satisfaction["rate"]), TARGET, STATUS_ZH.get(satisfaction["status"], satisfaction["status"])],
    ]
    if "station_coverage" in s:
        sc = s["station_coverage"]
        rows.append(["社工站覆盖率 Station coverage", sc["stations"], sc["townships"], _rate(sc["rate"]), 1.0,
                     "达标" if sc["rate"] == 1.0 else "未达标"])
    rows.append(["满意率 95% 置信区间 Satisfaction 95% CI", _rate(satisfaction["ci_low"]), _rate(satisfaction["ci_high"])])
    excluded = satisfaction["excluded"]
    rows.append(["不计入满意率的回复 Responses excluded", excluded["responses"],
                 describe_exclusions(excluded["by_reason"]) or "无 none"])
    rows += [[], ["分类覆盖 Coverage by category", "分子 Numerator", "分母 Denominator", "比率 Rate"]]
    for category, ratio in coverage["by_category"].items():
        rows.append([category, ratio["numerator"], ratio["denominator"], _rate(ratio["rate"])])
    rows += [[], ["下级区划 Child area", "覆盖 分子", "覆盖 分母", "覆盖率 Coverage", "满意 人数", "回复数 Responses",
                  "满意率 Satisfaction", "满意率状态 Status", "不计入 Excluded"]]
    for child in s.get("children", []):
        c, f = child["coverage"], child["satisfaction"]
        rows.append([f"{child['area']['name']}（{child['area']['code']}）", c["numerator"], c["denominator"],
                     _rate(c["rate"]), f["satisfied"], f["responses"], _rate(f["rate"]),
                     STATUS_ZH.get(f["status"], f["status"]), f["excluded"]["responses"]])
    return Sheet("概况 Summary", rows, percent_columns=(3, 6), widths=(34, 16, 16, 14, 12, 14, 14, 14, 12))


def _volunteer_sheet(pack: ReportPack) -> Sheet:
    """志愿服务台账: each station's hours, activities and volunteers against the 30 of §4.4, then each volunteer."""
    rows: list[list[Any]] = [["站点编码 Code", "社工站 Station", "服务时长（小时）Hours", "活动次数 Activities",
                              "参与志愿者 Volunteers who served", "近12个月活跃志愿者 Active (12 months)",
                              "目标 Target", "达标 Met"]]
    names = pack.station_names
    for code, figures in pack.volunteering.items():
        rows.append([code, names.get(code, code), round(figures.minutes / 60, 2), figures.activities,
                     figures.volunteers_served, figures.active_volunteers, TARGET_VOLUNTEERS,
                     "达标" if figures.active_volunteers >= TARGET_VOLUNTEERS else "未达标"])
    rows += [[], ["社工站 Station", "志愿者 Volunteer", "服务时长（小时）Hours", "活动次数 Activities",
                  "最近一次服务 Last service"]]
    for row in pack.volunteer_ledger:
        rows.append([names.get(row.station_code, row.station_code), row.name, round(row.minutes / 60, 2),
                     row.activities, row.last_day])
    return Sheet("志愿服务台账 Volunteers", rows, widths=(40, 40, 16, 14, 18, 20, 10, 10))


def _stations_sheet(pack: ReportPack) -> Sheet:
    rows: list[list[Any]] = [["站点编码 Code", "社工站 Station", "状态 Status", "应访 Due", "已访 Visited",
                              "覆盖率 Coverage", "覆盖状态", "回复数 Responses", "满意 Satisfied", "满意率 Satisfaction",
                              "置信下限 CI low", "置信上限 CI high", "满意率状态", "在册个案 Open cases",
                              "逾期个案 Overdue", "不计入的回复 Excluded", "不计入原因 Why excluded"]]
    for report in pack.stations:
        c, f = report.indicators["coverage"], report.indicators["satisfaction"]
        rows.append([report.station.code, report.station.official_name, report.station.status.value,
                     c["denominator"], c["numerator"], _rate(c["rate"]), STATUS_ZH.get(c["status"], c["status"]),
                     f["responses"], f["satisfied"], _rate(f["rate"]), _rate(f["ci_low"]), _rate(f["ci_high"]),
                     STATUS_ZH.get(f["status"], f["status"]), report.open_cases, report.overdue,
                     f["excluded"]["responses"], describe_exclusions(f["excluded"]["by_reason"])])
    return Sheet("各站指标 Stations", rows, percent_columns=(5, 9, 10, 11), widths=(14, 40) + (12,) * 14 + (30,))


def _compliance_sheet(pack: ReportPack) -> Sheet:
    rows: list[list[Any]] = [["站点编码 Code", "社工站 Station", "规则 Rule", "条款 Clause", "结果 Result", "说明 Detail"]]
    for report in pack.stations:
        for check in report.checks:
            result = "未登记 not recorded" if check.passed is None else ("符合 passed" if check.passed else "不符合 failed")
            rows.append([report.station.code, report.station.official_name, check.rule, check.clause, result,
                         check.detail])
    return Sheet("合规 Compliance", rows, widths=(14, 40, 24, 10, 18, 50))


def _overdue_sheet(pack: ReportPack, today: date) -> Sheet:
    names = pack.station_names
    rows: list[list[Any]] = [["个案 Case", "姓名/户 Name", "社工站 Station", "应访日期 Due", "逾期天数 Days overdue",
                              "上次走访 Last visit"]]
    for case in pack.overdue_cases:
        rows.append([case.id, case.label, names.get(case.station_code, case.station_code), case.next_due,
                     (today - case.next_due).days if case.next_due else None, case.last_visit])
    return Sheet("逾期个案 Overdue", rows, widths=(24, 20, 40, 14, 14, 14))


def _comments_sheet(pack: ReportPack) -> Sheet:
    names = pack.station_names
    rows: list[list[Any]] = [["日期 Date", "社工站 Station", "评分 Score", "意见 Comment", "渠道 Channel",
                              "审核 Review", "不计入原因 Why excluded"]]
    for comment in pack.comments:
        why = describe_exclusions({comment.exclusion_reason: 1}).removesuffix(" 1") if comment.exclusion_reason else ""
        rows.append([comment.day, names.get(comment.station_code, comment.station_code), comment.score, comment.text,
                     comment.channel, comment.review_state, why])
    return Sheet("居民意见 Comments", rows, widths=(12, 40, 10, 60, 10, 12, 24))


def _trend_sheet(pack: ReportPack) -> Sheet:
    rows: list[list[Any]] = [["月份 Month", "截至 As of", "覆盖率 Coverage", "应访 Due", "满意率 Satisfaction",
                              "回复数 Responses", "满意率状态", "不计入 Excluded"]]
    for month in pack.trend:
        c, f = month["coverage"], month["satisfaction"]
        rows.append([month["month"], month["as_of"], _rate(c["rate"]), c["denominator"], _rate(f["rate"]),
                     f["responses"], STATUS_ZH.get(f["status"], f["status"]), f["excluded"]["responses"]])
    return Sheet("月度趋势 Trend", rows, percent_columns=(2, 4), widths=(12, 12, 14, 10, 14, 12, 12, 12))
