"""Volunteer service, the pure parts: a record's volunteers and minutes, hours as people read them, certificate
numbers, the masked name of the public check, periods, and the certificate's layout."""
from datetime import date

import pytest

from server.domain.certificate import certificate_layout, wrap
from server.domain.volunteers import (certificate_number, check_period, hours_text, masked_volunteer_name,
                                      service_parts, to_minutes)


def test_a_records_parts_with_defaults_own_hours_duplicates_and_bad_entries():
    data = {"default_hours": 2.5, "has_new_volunteers": "yes",
            "volunteer": [{"volunteer_id": "7", "hours": 2.5}, {"volunteer_id": "9", "own_hours": 1, "hours": 1.0},
                          {"volunteer_id": "7", "hours": 3}, {"volunteer_id": "", "hours": 2},
                          {"volunteer_id": "x1", "hours": 2}, {"volunteer_id": "11", "hours": 30}],
            "new_volunteer": [{"new_name": "陈 新", "new_gender": "female", "new_phone": "13800002222",
                               "new_hours": 2.5},
                              {"new_name": "陈新", "new_hours": 4}, {"new_name": "王", "new_hours": 1},
                              {"new_name": "赵敏", "new_phone": "123", "new_hours": None}]}
    parts = service_parts(data)
    assert [(p.staff_member_id, p.minutes) for p in parts.listed] == [(7, 180), (9, 60)]  # 11: over a day
    assert [(n.name, n.phone, n.minutes) for n in parts.new] == [("陈新", "13800002222", 150), ("赵敏", None, 150)]
    assert service_parts({**data, "has_new_volunteers": "no"}).new == ()


@pytest.mark.parametrize(("hours", "minutes"), [(2, 120), ("1.5", 90), (0.33, 20), (24, 1440), (0, None),
                                                (24.1, None), ("", None), (None, None), ("abc", None)])
def test_hours_to_minutes(hours, minutes):
    assert to_minutes(hours) == minutes


def test_hours_read_as_people_write_them():
    assert [hours_text(m) for m in (60, 90, 20, 600, 0)] == ["1", "1.5", "0.33", "10", "0"]


def test_numbers_names_and_periods():
    assert certificate_number("530102001", 2026, 7) == "530102001-2026-0007"
    assert [masked_volunteer_name(n) for n in ("张小明", "李梅", "欧阳娜娜", "A")] == ["张*明", "李*", "欧**娜", "A"]
    today = date(2026, 12, 6)
    assert check_period(date(2026, 1, 1), today, today) is None
    assert "晚于" in check_period(date(2026, 12, 1), date(2026, 11, 1), today)
    assert "今天" in check_period(date(2026, 1, 1), date(2026, 12, 7), today)
    assert check_period(None, today, today)


def test_the_certificate_layout_wraps_chinese_and_lists_at_most_twelve_activities():
    assert all(len(line) <= 32 for line in wrap("志" * 100, 5.2, 166))
    lines = [(date(2026, 1, d), f"活动{d}", 60) for d in range(1, 16)]
    layout = certificate_layout("530102001-2026-0001", "李梅", "昆明市五华区华山街道社会工作服务站", date(2026, 1, 1),
                                date(2026, 1, 31), 900, 15, lines, date(2026, 2, 1), "https://x.cn/v/abc")
    assert "兹证明 李梅 于2026年1月1日至2026年1月31日期间" in layout.text and "累计服务时长 15 小时" in layout.text
    assert "活动12" in layout.text and "活动13" not in layout.text and "另有 3 次活动" in layout.text
    assert all(0 < line.baseline_y < 297 for line in layout.lines)
