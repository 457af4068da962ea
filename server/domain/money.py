"""Money of the purchased social-work service projects (政府购买社会工作服务项目): amounts, attachment A1's budget
table and the rules of A1 and POLICY.md §4.5, each naming its clause. Pure: no Flask, no database.

Every amount is an integer number of **fen** (分, 0.01 yuan): sums are exact and no floating point is ever used.
People type and read yuan with at most two decimals (``parse_yuan``, ``format_yuan``); A1's own table is in 万元
(``format_wan``: ten thousand yuan, up to six decimals so no fen is lost). Shares are compared in integers
(``pay × 10 000 ≤ total × limit in basis points``), so "exactly 70 %" passes and one fen over does not.

A1's table (附件1 项目申报书, "项目经费预算"):

- sources (资金来源): ministry/province funds applied for (申请部省级资金), prefecture/county matching funds
  (州（市）、县（市、区）配套资金), funds raised from society (社会募集资金);
- expenditure (预算资金支出明细) in five groups: I social services (社会服务支出), II social workers' and supervisors'
  pay and insurance (社工、督导劳务和保险费支出), III volunteers' subsidies and insurance (志愿者补贴、保险费支出),
  IV execution (项目执行费用支出: 1 transport 交通费, 2 training 培训费, 3 meetings 会议费, 4 management 管理费,
  5 printing and publicity 印刷宣传费), V the station's premises (社工站服务场所支出).

The rules (``check_budget``):

- **A1 note 2, pay ≤ about 70 %**: II + III within 70 % of the total expenditure;
- **A1 note 2, the rest ≤ about 30 %**: I + IV + V within 30 %;
  "about" (约) is a tolerance in percentage points the county sets and sees (``tolerance_bp``, basis points;
  0 by default: "以内" read strictly). Over the line but within the tolerance is a notice; past it, a breach;
- **A1 note 1, sources cover the expenditure**: the sources add up to the total expenditure (less: a breach — the
  matching funds must be "足额投入"; more: a notice, money without a planned use);
- **totals add up**: when the project's contract amount is recorded, the expenditure adds up to it;
- **A1 note 3, forbidden uses** (``forbidden_use``): a line whose words name buildings, cars, fines, debts,
  investments, unrelated donations or sponsorship, or a management fee drawn from the project's funds is refused
  when entered, never stored. Group IV's 管理费 line is the project's own itemised management costs (its finance
  staff, bookkeeping), which A1's table itself provides for; what note 3 forbids is a fee *drawn* (提取) from the
  funds — a share of them, or the operator's overhead charge — so a line that reads like one is refused;
- **§4.5, the county cap** (``check_county_cap``): a county's projects of a year together within 5 % of that
  year's social-assistance spending, with the margin shown.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from enum import StrEnum

FEN_PER_YUAN = 100
MAX_FEN = 10**15  # ten trillion yuan: far beyond any project, small enough for every database's BIGINT
PAY_LIMIT_BP = 7000  # A1 note 2: 70 %
OTHER_LIMIT_BP = 3000  # A1 note 2: 30 %
MAX_TOLERANCE_BP = 500  # "about" may stretch the lines by at most 5 percentage points
COUNTY_CAP_BP = 500  # §4.5: 5 % of the year's social-assistance spending


class MoneyError(ValueError):
    """An amount that cannot be read; ``reason`` is bilingual, for the person who typed it."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


_YUAN = re.compile(r"[+]?\d+(\.\d{1,2})?")


def parse_yuan(text: str | int | Decimal) -> int:
    """Yuan as typed (``12345.67``, ``12,345.6``, ``１２３``, ``¥500``) → fen, exactly; at most two decimals,
    never negative."""
    raw = str(text).strip()
    cleaned = raw.translate(_FULL_WIDTH).replace(",", "").replace("，", "").replace(" ", "")
    cleaned = cleaned.removeprefix("¥").removeprefix("￥").removesuffix("元")
    if not _YUAN.fullmatch(cleaned):
        raise MoneyError(f"“{raw[:20]}” 不是金额：请填写元，最多两位小数 / not an amount: yuan with at most two "
                         f"decimals")
    try:
        fen = int(Decimal(cleaned) * FEN_PER_YUAN)
    except InvalidOperation:  # pragma: no cover — the pattern admits only what Decimal reads
        raise MoneyError("金额无法读取 / unreadable amount") from None
    if fen > MAX_FEN:
        raise MoneyError("金额过大 / amount too large")
    return fen


_FULL_WIDTH = str.maketrans("０１２３４５６７８９．", "0123456789.")


def format_yuan(fen: int) -> str:
    """``1234567`` → ``12,345.67`` (negative amounts, such as an overspent remainder, keep their sign)."""
    sign = "-" if fen < 0 else ""
    yuan, cents = divmod(abs(fen), FEN_PER_YUAN)
    return f"{sign}{yuan:,}.{cents:02d}"


def format_wan(fen: int) -> str:
    """In 万元, as A1's table is: ``1234567`` fen → ``1.234567``; ``2000000`` → ``2``."""
    sign = "-" if fen < 0 else ""
    whole, rest = divmod(abs(fen), 10_000 * FEN_PER_YUAN)
    decimals = f"{rest:06d}".rstrip("0")
    return f"{sign}{whole}" + (f".{decimals}" if decimals else "")


def percent(part: int, whole: int) -> str:
    """A share for people, to one decimal (display only; rules compare integers)."""
    if whole <= 0:
        return "—"
    tenths = (part * 1000 * 2 + whole) // (whole * 2)  # rounded half up, in integers
    return f"{tenths // 10}.{tenths % 10} %"


# --- A1's table -------------------------------------------------------------------------------------------------

class Source(StrEnum):
    MINISTRY_PROVINCE = "ministry_province"
    LOCAL_MATCHING = "local_matching"
    DONATIONS = "donations"


SOURCE_NAMES_ZH = {Source.MINISTRY_PROVINCE: "申请部省级资金", Source.LOCAL_MATCHING: "州（市）、县（市、区）配套资金",
                   Source.DONATIONS: "社会募集资金"}


class Group(StrEnum):
    SERVICES = "I"
    STAFF_PAY = "II"
    VOLUNTEERS = "III"
    EXECUTION = "IV"
    PREMISES = "V"


GROUP_NAMES_ZH = {Group.SERVICES: "一、社会服务支出", Group.STAFF_PAY: "二、社工、督导劳务和保险费支出",
                  Group.VOLUNTEERS: "三、志愿者补贴、保险费支出", Group.EXECUTION: "四、项目执行费用支出",
                  Group.PREMISES: "五、社工站服务场所支出"}
GROUP_NAMES_EN = {Group.SERVICES: "I. Social services", Group.STAFF_PAY: "II. Social workers' and supervisors' pay "
                  "and insurance", Group.VOLUNTEERS: "III. Volunteers' subsidies and insurance",
                  Group.EXECUTION: "IV. Execution", Group.PREMISES: "V. Station premises"}
PAY_GROUPS = (Group.STAFF_PAY, Group.VOLUNTEERS)  # A1 note 2: "约占经费的70%以内"
OTHER_GROUPS = (Group.SERVICES, Group.EXECUTION, Group.PREMISES)  # "约占经费的30%以内"

# Group IV's fixed lines, in A1's order; the other groups' lines are the project's own (A1 leaves blank rows).
EXECUTION_LINES = {"transport": "1.交通费", "training": "2.培训费", "meetings": "3.会议费", "management": "4.管理费",
                   "printing": "5.印刷宣传费"}


@dataclass(frozen=True)
class ForbiddenUse:
    code: str
    name_zh: str
    name_en: str


# A1 note 3: "不得列支购买或修建楼堂馆所、缴纳罚款罚金、偿还债务、对外投资、购买汽车等支出，不得列支与项目无关的捐赠、赞助支出等，
# 不得以任何名义从项目资金中提取管理费". Words as budget lines are written; each pattern names one use.
FORBIDDEN_USES: tuple[tuple[re.Pattern[str], ForbiddenUse], ...] = tuple(
    (re.compile(pattern, re.IGNORECASE), ForbiddenUse(code, zh, en)) for pattern, code, zh, en in (
        (r"楼堂馆所|(修建|新建|建造|扩建)[^，,。]{0,6}(楼|房屋|房产|馆|礼堂)|(购买|购置)(办公)?(楼|房屋|房产)|"
         r"building|real estate",
         "buildings", "购买或修建楼堂馆所", "buying or building premises"),
        (r"(购买|购置|买)(汽车|小?轿车|车辆|公务车)|购车|car purchase|vehicle purchase", "cars", "购买汽车",
         "buying cars"),
        (r"罚款|罚金|滞纳金|\bfines?\b|penalt", "fines", "缴纳罚款罚金", "fines and penalties"),
        (r"(偿还|归还|清偿)[^，,。]{0,6}(债务|借款|欠款|贷款)|还贷|还债|debt|loan repayment", "debts", "偿还债务", "repaying debts"),
        (r"对外投资|投资理财|理财产品|股票|基金认购|invest", "investments", "对外投资", "investments"),
        (r"捐赠|赞助|捐款|donation|sponsor", "donations", "与项目无关的捐赠、赞助",
         "donations and sponsorship"),
        (r"提取管理费|(计提|提取|收取|扣除)[^，,。]{0,8}(管理费|服务费)|管理费[^，,。]{0,6}(按|提取|计提)|"
         r"管理费\s*\d+(\.\d+)?\s*[%％]|\d+(\.\d+)?\s*[%％][^，,。]{0,6}管理费|overhead (fee|charge)|management fee",
         "management_fee", "从项目资金中提取管理费", "a management fee drawn from the project's funds"),
    ))


def forbidden_use(description: str) -> ForbiddenUse | None:
    """The forbidden use (A1 note 3) a budget line's words name, if any."""
    for pattern, use in FORBIDDEN_USES:
        if pattern.search(description or ""):
            return use
    return None


@dataclass(frozen=True)
class Line:
    group: Group
    name: str
    amount: int  # fen


@dataclass(frozen=True)
class Finding:
    """A rule's verdict on a budget: ``breach`` (the rule is broken) or ``notice`` (within a tolerance, or worth a
    look); ``clause`` names where the rule is written."""

    code: str
    clause: str
    severity: str  # "breach" | "notice"
    message_zh: str
    message_en: str
    numbers: dict[str, object] = field(default_factory=dict)


def group_totals(lines: list[Line]) -> dict[Group, int]:
    totals = {group: 0 for group in Group}
    for line in lines:
        totals[line.group] += line.amount
    return totals


def _share_finding(code: str, part: int, total: int, limit_bp: int, tolerance_bp: int, what_zh: str,
                   what_en: str) -> Finding | None:
    if total <= 0 or part * 10_000 <= total * limit_bp:
        return None
    limit = f"{limit_bp // 100} %"
    over_fen = part - (total * limit_bp) // 10_000  # at least this much above the line
    numbers = {"part_fen": part, "total_fen": total, "share": percent(part, total), "limit": limit,
               "tolerance_points": tolerance_bp / 100, "over_fen": over_fen}
    if part * 10_000 <= total * (limit_bp + tolerance_bp):
        return Finding(code, "A1 预算编制说明第2条", "notice",
                       f"{what_zh}占 {percent(part, total)}，超过 {limit}，仍在本县容差 {tolerance_bp / 100:g} 个百分点内",
                       f"{what_en} are {percent(part, total)}, over {limit} but within the county's tolerance of "
                       f"{tolerance_bp / 100:g} points", numbers)
    return Finding(code, "A1 预算编制说明第2条", "breach",
                   f"{what_zh}占 {percent(part, total)}，超过约 {limit} 的上限"
                   + (f"（含本县容差 {tolerance_bp / 100:g} 个百分点）" if tolerance_bp else ""),
                   f"{what_en} are {percent(part, total)}, over the limit of about {limit}"
                   + (f" (with the county's tolerance of {tolerance_bp / 100:g} points)" if tolerance_bp else ""),
                   numbers)


def check_budget(lines: list[Line], sources: dict[Source, int], contract_amount: int | None = None,
                 tolerance_bp: int = 0) -> list[Finding]:
    """Every rule of A1 a project's budget must meet; an empty list when it meets them all."""
    if not 0 <= tolerance_bp <= MAX_TOLERANCE_BP:
        raise MoneyError(f"容差应在 0 至 {MAX_TOLERANCE_BP / 100:g} 个百分点之间 / tolerance between 0 and "
                         f"{MAX_TOLERANCE_BP / 100:g} points")
    findings: list[Finding] = []
    totals = group_totals(lines)
    total = sum(totals.values())
    funded = sum(sources.values())
    if total == 0:
        return [Finding("budget_empty", "A1 项目经费预算", "breach", "预算没有任何支出明细",
                        "the budget has no expenditure lines")]
    pay = sum(totals[g] for g in PAY_GROUPS)
    other = sum(totals[g] for g in OTHER_GROUPS)
    for finding in (_share_finding("pay_share", pay, total, PAY_LIMIT_BP, tolerance_bp,
                                   "社工、督导劳务和保险费及志愿者补贴、保险费（第二、三项）",
                                   "Pay and insurance of social workers, supervisors and volunteers (II + III)"),
                    _share_finding("other_share", other, total, OTHER_LIMIT_BP, tolerance_bp,
                                   "社会服务、项目执行和场所支出（第一、四、五项）",
                                   "Services, execution and premises (I + IV + V)")):
        if finding:
            findings.append(finding)
    if funded < total:
        findings.append(Finding("sources_short", "A1 预算编制说明第1条", "breach",
                                f"资金来源合计 {format_yuan(funded)} 元，少于支出合计 {format_yuan(total)} 元，"
                                f"缺 {format_yuan(total - funded)} 元",
                                f"sources add up to {format_yuan(funded)} yuan, {format_yuan(total - funded)} short "
                                f"of the expenditure of {format_yuan(total)}",
                                {"sources_fen": funded, "total_fen": total}))
    elif funded > total:
        findings.append(Finding("sources_unspent", "A1 预算编制说明第1条", "notice",
                                f"资金来源合计比支出合计多 {format_yuan(funded - total)} 元，未列明用途",
                                f"sources exceed the expenditure by {format_yuan(funded - total)} yuan with no "
                                f"planned use", {"sources_fen": funded, "total_fen": total}))
    if contract_amount is not None and contract_amount != total:
        findings.append(Finding("total_mismatch", "A1 资金支出合计", "breach",
                                f"支出合计 {format_yuan(total)} 元，与合同金额 {format_yuan(contract_amount)} 元不符",
                                f"the expenditure adds up to {format_yuan(total)} yuan, not the contract's "
                                f"{format_yuan(contract_amount)}",
                                {"total_fen": total, "contract_fen": contract_amount}))
    return findings


@dataclass(frozen=True)
class CapCheck:
    spending: int  # the year's social-assistance spending, fen
    purchases: int  # the county's projects of the year, fen
    cap: int  # 5 % of the spending, fen, rounded down (a fraction of a fen is not money)
    margin: int  # cap − purchases: what is left (negative: over)
    within: bool


def check_county_cap(social_assistance_spending: int, purchases: int) -> CapCheck:
    """§4.5: "按照当年困难群众社会救助支出资金5%以内安排购买社会工作服务项目"."""
    within = purchases * 10_000 <= social_assistance_spending * COUNTY_CAP_BP
    cap = social_assistance_spending * COUNTY_CAP_BP // 10_000
    return CapCheck(social_assistance_spending, purchases, cap, cap - purchases, within)


# --- spending against the budget ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class LineProgress:
    key: str
    budget: int
    spent: int

    @property
    def remaining(self) -> int:
        return self.budget - self.spent

    @property
    def over(self) -> bool:
        return self.spent > self.budget


def line_progress(budget: dict[str, int], spent: dict[str, int]) -> list[LineProgress]:
    """Each budget line's spending to date and what remains; a line spent on but not in the budget has a budget
    of 0 (and so is over)."""
    keys = list(budget) + [key for key in spent if key not in budget]
    return [LineProgress(key, budget.get(key, 0), spent.get(key, 0)) for key in keys]


def months_between(start: date, end: date) -> list[date]:
    """The first days of the months from ``start``'s to ``end``'s, both included."""
    months, year, month = [], start.year, start.month
    while (year, month) <= (end.year, end.month):
        months.append(date(year, month, 1))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def months_without_report(starts_on: date, ends_on: date, reported: set[date], today: date) -> list[date]:
    """The project's months, up to the last complete one before ``today``, with no spending report."""
    last_complete = date(today.year, today.month, 1)
    months = [m for m in months_between(starts_on, ends_on) if m < last_complete]
    return [m for m in months if m not in reported]


# --- attachment A1 as the county files it ------------------------------------------------------------------------

A1_NOTES = (
    "立项单位应当在了解项目相关管理规定、做好调查研究、科学设计、充分预计项目支出的基础上，确定项目资金的来源及金额，在确定配套资金金额时"
    "应量力而行，并保证配套资金足额投入并使用。",
    "预算主要包括社工、督导劳务和保险费，志愿者补贴、保险费，社会服务、交通差旅、培训、管理费、场地费等内容。社工、督导劳务和保险费，志愿者"
    "补贴、保险费约占经费的70%以内；社会服务、交通差旅、培训、管理费、场地费约占经费的30%以内。",
    "立项单位不得列支购买或修建楼堂馆所、缴纳罚款罚金、偿还债务、对外投资、购买汽车等支出，不得列支与项目无关的捐赠、赞助支出等，不得以任何"
    "名义从项目资金中提取管理费。",
)


@dataclass(frozen=True)
class A1Row:
    name: str
    amount: int  # fen

    @property
    def wan(self) -> str:
        return format_wan(self.amount)


@dataclass(frozen=True)
class A1Group:
    name: str
    amount: int
    lines: tuple[A1Row, ...]

    @property
    def wan(self) -> str:
        return format_wan(self.amount)


@dataclass(frozen=True)
class A1Budget:
    sources: tuple[A1Row, ...]
    sources_total: int
    groups: tuple[A1Group, ...]
    lines_total: int


def a1_budget(lines: list[Line], sources: dict[Source, int]) -> A1Budget:
    """The budget in A1's order: its three sources (each shown, zero or not), its five groups with their lines (group
    IV's five always shown, in A1's order), and the totals — the table of 附件1 as printed."""
    rows = tuple(A1Row(SOURCE_NAMES_ZH[source], sources.get(source, 0)) for source in Source)
    groups = []
    for group in Group:
        mine = [line for line in lines if line.group == group]
        if group == Group.EXECUTION:
            named = [A1Row(standard, sum(line.amount for line in mine if line.name.startswith(standard)))
                     for standard in EXECUTION_LINES.values()]
            extra = [A1Row(line.name, line.amount) for line in mine
                     if not any(line.name.startswith(s) for s in EXECUTION_LINES.values())]
            group_rows = tuple(named + extra)
        else:
            group_rows = tuple(A1Row(line.name, line.amount) for line in mine)
        groups.append(A1Group(GROUP_NAMES_ZH[group], sum(line.amount for line in mine), group_rows))
    return A1Budget(rows, sum(sources.values()), tuple(groups), sum(line.amount for line in lines))
