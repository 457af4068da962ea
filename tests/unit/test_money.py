"""Attachment A1's budget rules and §4.5's county cap, each at its boundary, computed by hand (server/domain/money.py)."""
from datetime import date

import pytest

from server.domain.money import (
    Group,
    Line,
    MoneyError,
    Source,
    check_budget,
    check_county_cap,
    forbidden_use,
    format_wan,
    format_yuan,
    line_progress,
    months_without_report,
    parse_yuan,
    percent,
)

# A 200 000-yuan project (20 000 000 fen), funded in full.
TOTAL = 20_000_000
FUNDED = {Source.MINISTRY_PROVINCE: 12_000_000, Source.LOCAL_MATCHING: 7_000_000, Source.DONATIONS: 1_000_000}


def budget(pay: int, volunteers: int = 0) -> list[Line]:
    """II (+ III) as given, the rest of TOTAL spread over I, IV and V."""
    rest = TOTAL - pay - volunteers
    lines = [Line(Group.STAFF_PAY, "社工劳务费 4人×12月", pay), Line(Group.SERVICES, "个案、小组、社区活动", rest // 2),
             Line(Group.EXECUTION, "交通费", rest // 4), Line(Group.PREMISES, "场地租金", rest - rest // 2 - rest // 4)]
    if volunteers:
        lines.append(Line(Group.VOLUNTEERS, "志愿者补贴和保险", volunteers))
    return lines


def codes(findings) -> dict[str, str]:
    return {f.code: f.severity for f in findings}


# --- A1 note 2: pay ≤ about 70 %, the rest ≤ about 30 % ----------------------------------------------------------

def test_a1_note_2_pay_of_exactly_70_percent_passes():
    assert check_budget(budget(pay=13_000_000, volunteers=1_000_000), FUNDED) == []  # 140 000 of 200 000 yuan


def test_a1_note_2_pay_one_fen_over_70_percent_is_a_breach():
    findings = check_budget(budget(pay=13_000_001, volunteers=1_000_000), FUNDED)
    assert codes(findings) == {"pay_share": "breach"}
    assert findings[0].clause == "A1 预算编制说明第2条" and findings[0].numbers["over_fen"] == 1
    assert "70 %" in findings[0].message_zh and "70.0 %" in findings[0].message_zh


def test_a1_note_2_the_rest_of_exactly_30_percent_passes_and_one_fen_over_is_a_breach():
    assert "other_share" not in codes(check_budget(budget(pay=14_000_000), FUNDED))  # rest = 6 000 000 = 30 %
    assert codes(check_budget(budget(pay=13_999_999), FUNDED)) == {"other_share": "breach"}  # rest 30 % + 1 fen


def test_a1_note_2_about_is_the_countys_tolerance_a_notice_within_it_a_breach_past_it():
    # Tolerance of 2 points: 72 % exactly is a notice, one fen more a breach.
    at_72 = check_budget(budget(pay=14_400_000), FUNDED, tolerance_bp=200)
    assert codes(at_72) == {"pay_share": "notice"} and "容差 2 个百分点" in at_72[0].message_zh
    assert codes(check_budget(budget(pay=14_400_001), FUNDED, tolerance_bp=200)) == {"pay_share": "breach"}
    with pytest.raises(MoneyError):
        check_budget(budget(pay=14_000_000), FUNDED, tolerance_bp=501)


# --- A1 note 1 and the totals --------------------------------------------------------------------------------

def test_a1_note_1_sources_one_fen_short_is_a_breach_one_fen_over_a_notice():
    lines = budget(pay=14_000_000)
    short = {**FUNDED, Source.DONATIONS: 999_999}
    over = {**FUNDED, Source.DONATIONS: 1_000_001}
    assert codes(check_budget(lines, short)) == {"sources_short": "breach"}
    assert check_budget(lines, short)[0].clause == "A1 预算编制说明第1条"
    assert codes(check_budget(lines, over)) == {"sources_unspent": "notice"}


def test_the_expenditure_must_add_up_to_the_contract_amount():
    lines = budget(pay=14_000_000)
    assert check_budget(lines, FUNDED, contract_amount=TOTAL) == []
    assert codes(check_budget(lines, FUNDED, contract_amount=TOTAL + 1)) == {"total_mismatch": "breach"}
    assert codes(check_budget([], {})) == {"budget_empty": "breach"}


# --- A1 note 3: forbidden uses ------------------------------------------------------------------------------

@pytest.mark.parametrize("words, code", [
    ("购买办公楼一层", "buildings"), ("修建活动室房屋", "buildings"), ("楼堂馆所装修", "buildings"),
    ("购买汽车一辆（服务用车）", "cars"), ("购置车辆", "cars"),
    ("缴纳税务罚款", "fines"), ("滞纳金", "fines"),
    ("偿还机构借款", "debts"), ("还贷", "debts"),
    ("对外投资", "investments"), ("购买理财产品", "investments"),
    ("向某基金会捐赠", "donations"), ("赞助社区晚会", "donations"),
    ("提取管理费", "management_fee"), ("按项目总额8%计提管理费", "management_fee"),
    ("机构管理费 10%", "management_fee"), ("收取服务费", "management_fee"),
])
def test_a1_note_3_forbidden_uses_are_recognised_in_a_lines_words(words, code):
    assert forbidden_use(words).code == code


@pytest.mark.parametrize("words", [
    "社工劳务费 4人×12月", "督导费 12次×800元", "志愿者保险", "交通费", "培训费", "会议费",
    "管理费（财务人员劳务、记账）", "印刷宣传费", "场地租金 12月", "个案工作 30个×200元", "活动室桌椅",
])
def test_a1_ordinary_lines_are_not_mistaken_for_forbidden_uses(words):
    assert forbidden_use(words) is None


# --- §4.5: the county cap ---------------------------------------------------------------------------------------

def test_section_4_5_exactly_5_percent_is_within_and_one_fen_over_is_not():
    spending = 40_000_000_000  # 4 亿 yuan
    at_cap = check_county_cap(spending, 2_000_000_000)
    assert at_cap.within and at_cap.cap == 2_000_000_000 and at_cap.margin == 0
    over = check_county_cap(spending, 2_000_000_001)
    assert not over.within and over.margin == -1


def test_section_4_5_a_cap_with_a_fraction_of_a_fen_is_rounded_down_but_judged_exactly():
    check = check_county_cap(1_999, 99)  # 5 % of 19.99 yuan is 99.95 fen
    assert check.cap == 99 and check.within  # 99 × 10 000 ≤ 1 999 × 500
    assert not check_county_cap(1_999, 100).within


# --- amounts ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("typed, fen", [("12345.67", 1_234_567), ("12,345.6", 1_234_560), ("0.01", 1), ("500", 50_000),
                                        ("￥500元", 50_000), ("１２３．４５", 12_345), (" 7 ", 700)])
def test_yuan_are_read_exactly_into_fen(typed, fen):
    assert parse_yuan(typed) == fen


@pytest.mark.parametrize("typed", ["1.234", "-5", "abc", "", "1e3", "0x10", "12.", "1" * 20])
def test_anything_else_is_refused_with_a_reason(typed):
    with pytest.raises(MoneyError) as caught:
        parse_yuan(typed)
    assert "/" in caught.value.reason


def test_amounts_are_written_in_yuan_and_in_wan_without_losing_a_fen():
    assert format_yuan(1_234_567) == "12,345.67" and format_yuan(-5) == "-0.05" and format_yuan(0) == "0.00"
    assert format_wan(1_234_567) == "1.234567" and format_wan(2_000_000) == "2" and format_wan(1) == "0.000001"
    assert percent(2, 3) == "66.7 %" and percent(1, 0) == "—"


def test_sums_of_many_small_amounts_stay_exact():
    lines = [Line(Group.SERVICES, "活动", parse_yuan("0.10")) for _ in range(10)]
    assert sum(line.amount for line in lines) == parse_yuan("1.00")  # 0.1 × 10 == 1 exactly, unlike floats


# --- spending against the budget ---------------------------------------------------------------------------

def test_each_line_shows_what_is_spent_and_left_and_lines_over_budget():
    progress = {p.key: p for p in line_progress({"a": 10_000, "b": 5_000}, {"a": 10_001, "c": 100})}
    assert progress["a"].over and progress["a"].remaining == -1
    assert not progress["b"].over and progress["b"].remaining == 5_000
    assert progress["c"].budget == 0 and progress["c"].over


def test_months_without_a_report_count_only_complete_months_of_the_project():
    reported = {date(2026, 3, 1), date(2026, 5, 1)}
    missing = months_without_report(date(2026, 2, 15), date(2027, 1, 31), reported, today=date(2026, 7, 10))
    assert missing == [date(2026, 2, 1), date(2026, 4, 1), date(2026, 6, 1)]  # July is not complete yet


def test_a1_table_lists_every_source_and_group_ivs_five_lines_in_the_attachments_order():
    from server.domain.money import a1_budget

    lines = [Line(Group.STAFF_PAY, "社工劳务费", 14_000_000), Line(Group.EXECUTION, "4.管理费（记账）", 123_456),
             Line(Group.EXECUTION, "1.交通费", 500_000), Line(Group.SERVICES, "个案工作", 5_376_544)]
    table = a1_budget(lines, {Source.LOCAL_MATCHING: 20_000_000})
    assert [(row.name, row.wan) for row in table.sources] == [("申请部省级资金", "0"), ("州（市）、县（市、区）配套资金", "20"),
                                                             ("社会募集资金", "0")]
    assert [group.name[:2] for group in table.groups] == ["一、", "二、", "三、", "四、", "五、"]
    execution = table.groups[3]
    assert [(row.name, row.wan) for row in execution.lines] == [
        ("1.交通费", "0.5"), ("2.培训费", "0"), ("3.会议费", "0"), ("4.管理费", "0.123456"), ("5.印刷宣传费", "0")]
    assert execution.wan == "0.623456" and table.lines_total == table.sources_total == 20_000_000
