"""Times shown to people are Beijing time (UTC+8), whatever the server's own clock zone."""
from datetime import datetime, timedelta, timezone

from server.domain.clock import beijing_iso, beijing_time, beijing_wall_time, in_china

SENT = datetime(2026, 12, 6, 4, 36, 15, tzinfo=timezone.utc)  # 12:36 in Kunming


def test_an_instant_reads_as_beijing_time_at_each_precision():
    assert beijing_time(SENT) == "2026-12-06 12:36"
    assert beijing_time(SENT, "seconds") == "2026-12-06 12:36:15"
    assert beijing_time(SENT, "date") == "2026-12-06"
    assert beijing_time(None) == ""


def test_late_evening_utc_is_the_next_day_in_china():
    assert beijing_time(datetime(2026, 12, 31, 16, 5, tzinfo=timezone.utc)) == "2027-01-01 00:05"
    assert beijing_time(datetime(2026, 12, 31, 15, 59, tzinfo=timezone.utc), "date") == "2026-12-31"


def test_any_offset_and_naive_utc_give_the_same_reading():
    new_york = SENT.astimezone(timezone(timedelta(hours=-5)))
    assert beijing_time(new_york) == beijing_time(SENT.replace(tzinfo=None)) == "2026-12-06 12:36"
    assert in_china(new_york) == SENT


def test_machine_and_spreadsheet_forms_keep_the_instant():
    assert beijing_iso(SENT) == "2026-12-06T12:36:15+08:00"
    assert datetime.fromisoformat(beijing_iso(SENT)) == SENT
    assert beijing_wall_time(SENT) == datetime(2026, 12, 6, 12, 36, 15) and beijing_wall_time(SENT).tzinfo is None

