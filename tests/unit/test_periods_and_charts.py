"""Reporting periods and chart geometry: pure rules on hand-built values."""
from datetime import date
from io import BytesIO

import pytest
from openpyxl import load_workbook

from server.adapters.tabular import Sheet, write_workbook
from server.domain.charts import BarItem, bar_chart, line_chart, percent
from server.domain.periods import parse_period, period_containing, trend_months
from server.errors import InvalidValue


@pytest.mark.parametrize("key, start, end, months", [
    ("2026-10", date(2026, 10, 1), date(2026, 10, 31), ["2026-10"]),
    ("2026-02", date(2026, 2, 1), date(2026, 2, 28), ["2026-02"]),
    ("2028-02", date(2028, 2, 1), date(2028, 2, 29), ["2028-02"]),
    ("2026-Q3", date(2026, 7, 1), date(2026, 9, 30), ["2026-07", "2026-08", "2026-09"]),
    ("2026-Q4", date(2026, 10, 1), date(2026, 12, 31), ["2026-10", "2026-11", "2026-12"]),
    ("2026-H1", date(2026, 1, 1), date(2026, 6, 30), ["2026-01", "2026-02", "2026-03", "2026-04", "2026-05", "2026-06"]),
    ("2026-H2", date(2026, 7, 1), date(2026, 12, 31), ["2026-07", "2026-08", "2026-09", "2026-10", "2026-11", "2026-12"]),
])
def test_periods_on_the_policy_cadence(key, start, end, months):
    period = parse_period(key)
    assert (period.key, period.start, period.end) == (key, start, end)
    assert [m.key for m in period.months()] == months


@pytest.mark.parametrize("text", ["", "2026", "2026-13", "2026-00", "2026-Q0", "2026-Q5", "2026-H3", "26-10",
                                  "2026-1", "1999-10", "2026-10-01"])
def test_other_period_shapes_are_refused_naming_the_accepted_ones(text):
    with pytest.raises(InvalidValue) as refused:
        parse_period(text)
    assert refused.value.code == "400.4"


def test_a_lower_case_key_is_read_as_written_in_capitals():
    assert parse_period(" 2026-q3 ").key == "2026-Q3"


def test_a_running_period_is_taken_as_of_today_and_a_past_one_at_its_end():
    period = parse_period("2026-Q4")
    assert period.clipped(date(2026, 11, 28)) == date(2026, 11, 28)
    assert period.clipped(date(2027, 3, 1)) == date(2026, 12, 31)


def test_the_period_containing_a_day():
    day = date(2026, 11, 28)
    assert [period_containing(day, kind).key for kind in ("month", "quarter", "half")] == ["2026-11", "2026-Q4",
                                                                                          "2026-H2"]
    assert period_containing(date(2026, 6, 30), "half").key == "2026-H1"


def test_a_trend_shows_at_least_six_months_crossing_the_year():
    assert [m.key for m in trend_months(parse_period("2026-02"))] == ["2025-09", "2025-10", "2025-11", "2025-12",
                                                                      "2026-01", "2026-02"]
    assert len(trend_months(parse_period("2026-H2"))) == 6


def test_bars_scale_to_the_plot_and_a_missing_rate_draws_nothing():
    chart = bar_chart([BarItem("A", 1.0, "met", ""), BarItem("B", 0.45, "not_met", ""),
                       BarItem("C", None, "insufficient", "too few"), BarItem("D", 1.7, "met", "")],
                      target=0.9, width=700, label_width=200)
    plot = 700 - 200 - 150
    assert [bar.width for bar in chart.bars] == [plot, round(plot * 0.45, 1), 0.0, plot]
    assert chart.target_x == 200 + plot * 0.9
    assert [bar.y for bar in chart.bars] == sorted(bar.y for bar in chart.bars) and len({b.y for b in chart.bars}) == 4


def test_lines_leave_gaps_for_months_without_a_rate_and_put_the_target_at_90_percent():
    chart = line_chart(["07", "08", "09"], [("cov", "coverage", [0.5, None, 1.0])], target=0.9, width=300,
                       height=140)
    series = chart.series[0]
    assert len(series.dots) == 2 and series.dots[0][0] == chart.left and series.dots[1][0] == chart.left + chart.plot_width
    assert series.dots[1][1] == chart.top  # 100 % at the top
    assert chart.target_y == pytest.approx(chart.top + chart.plot_height * 0.1, abs=0.1)
    assert [label for _, label in chart.ticks] == ["07", "08", "09"]


def test_percent_text():
    assert (percent(None), percent(0.9), percent(1 / 3)) == ("—", "90.0 %", "33.3 %")


def test_workbook_text_is_never_a_formula_and_rates_are_percentages():
    out = BytesIO()
    write_workbook([Sheet("意见", [["text", "rate", "day"], ["=1+1", 0.875, date(2026, 11, 28)],
                                    ["@SUM(A1)", None, None]], percent_columns=(1,))], out)
    sheet = load_workbook(BytesIO(out.getvalue()))["意见"]
    assert sheet["A2"].value == "'=1+1" and sheet["A2"].data_type == "s"  # inert: never a formula
    assert sheet["A3"].value == "'@SUM(A1)" and sheet["A3"].data_type == "s"
    assert sheet["B2"].number_format == "0.0%" and sheet["C2"].value.date() == date(2026, 11, 28)


def test_the_last_complete_month_is_the_one_before_today():
    from server.domain.periods import last_complete_month

    assert last_complete_month(date(2026, 12, 6)).key == "2026-11"
    assert last_complete_month(date(2026, 12, 31)).key == "2026-11"
    assert last_complete_month(date(2027, 1, 1)) == parse_period("2026-12")
    assert last_complete_month(date(2026, 3, 1)).end == date(2026, 2, 28)
