"""Times shown to people are Beijing time (UTC+8), whatever the server's own clock zone."""
from datetime import datetime, timedelta, timezone

import pytest

from server.domain.clock import beijing_iso, beijing_time, beijing_wall_time, in_china, today_in_china

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



# --- the time source ---------------------------------------------------------------------------------------

@pytest.fixture
def time_source():
    from server.domain import clock

    clock.set_offset(0)
    clock.forget_reference()  # whatever a test before this one, in this process, left behind
    yield clock
    clock.set_offset(0)
    clock.forget_reference()


def test_before_any_reference_the_time_is_the_machines_shifted_by_the_offset(time_source):
    import time

    time_source.set_offset(-3600)
    assert abs(time_source.timestamp() - (time.time() - 3600)) < 1
    assert time_source.skew_seconds() is None


def test_a_jump_of_the_machines_clock_does_not_move_the_apps_time(time_source):
    import time

    reference = time.time() - 5_000  # the database's clock, 5 000 s behind this machine's
    skew = time_source.follow_reference(reference, time.monotonic())
    assert abs(skew - 5_000) < 1
    before = time_source.utc_now()
    time_source.set_offset(-400 * 86400)  # the machine's clock jumps back 400 days
    after = time_source.utc_now()
    assert timedelta(0) <= after - before < timedelta(seconds=1)
    assert abs(after.timestamp() - reference) < 1
    assert abs(time_source.skew_seconds() - (5_000 - 400 * 86400)) < 1
    time_source.set_offset(3 * 86400)  # and forward three days
    assert abs(time_source.timestamp() - reference) < 1
    assert today_in_china() == in_china(after).date()


def test_elapsed_time_is_never_negative(time_source):
    now = datetime(2026, 12, 6, 4, 0, tzinfo=timezone.utc)
    assert time_source.elapsed_seconds(now + timedelta(hours=1), now) == 0.0  # recorded by a clock that was ahead
    assert time_source.elapsed_seconds(now - timedelta(seconds=90), now) == 90.0


def test_signatures_carry_the_apps_time_not_the_machines(time_source):
    import time

    from itsdangerous import URLSafeTimedSerializer

    from server.adapters.signing import ClockSigner, sign, unsign

    time_source.follow_reference(time.time() - 2 * 86400, time.monotonic())  # the app keeps the database's time
    token = sign("s" * 32, "purpose", "value")
    stamped = URLSafeTimedSerializer("s" * 32, salt="purpose", signer=ClockSigner).loads(
        token, max_age=60, return_timestamp=True)[1]
    assert abs(stamped.timestamp() - (time.time() - 2 * 86400)) < 5
    assert unsign("s" * 32, "purpose", token, max_age_seconds=60) == "value"
