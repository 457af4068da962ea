"""The authenticity rules at their thresholds: one metre, one second, one hash bit either side
(server/domain/authenticity.py), with real photos for the perceptual hash."""
from datetime import datetime, timedelta, timezone
from io import BytesIO

import pytest
from PIL import Image, ImageDraw, ImageFilter

from server.adapters.geodesy import destination, distance_m
from server.adapters.perceptual import bits_apart, photo_hash
from server.domain.authenticity import (
    AuthenticityFlag as F,
    SpotVisit,
    Thresholds,
    TimedVisit,
    duration_flags,
    far_from_home,
    gps_flags,
    home_reference,
    impossible_travel,
    near_copies,
    one_spot,
    village_reference,
)

HOME = (25.0406, 102.7123)  # 华山街道, Kunming
CHINA = timezone(timedelta(hours=8))
LIMITS = Thresholds()


def at(hour: int, minute: int = 0, second: int = 0) -> datetime:
    return datetime(2026, 11, 20, hour, minute, second, tzinfo=CHINA)


# --- too short, odd hours -------------------------------------------------------------------------------------

def test_a_home_visit_of_exactly_three_minutes_passes_and_one_second_less_is_too_short():
    assert F.TOO_SHORT not in duration_flags("home_visit", at(10), at(10, 3))
    assert F.TOO_SHORT in duration_flags("home_visit", at(10), at(10, 2, 59))
    assert F.TOO_SHORT not in duration_flags("resident_feedback", at(10), at(10, 0, 30))  # no minimum for it
    assert duration_flags("home_visit", None, at(10)) == set()


def test_a_visit_started_at_22_00_is_at_night_and_one_second_before_is_not():
    assert F.ODD_HOURS in duration_flags("home_visit", at(22), at(22, 30))
    assert F.ODD_HOURS not in duration_flags("home_visit", at(21, 59, 59), at(22, 30))
    assert F.ODD_HOURS in duration_flags("home_visit", at(5, 59, 59), at(6, 30))
    assert F.ODD_HOURS not in duration_flags("home_visit", at(6), at(6, 30))
    # Beijing time, whatever zone the instant is given in: 14:00 UTC is 22:00 in Kunming.
    assert F.ODD_HOURS in duration_flags("home_visit", datetime(2026, 11, 20, 14, tzinfo=timezone.utc), None)


# --- GPS ---------------------------------------------------------------------------------------------------------

def test_gps_missing_where_asked_and_accuracy_worse_than_100_m():
    assert gps_flags(None, None, asked=True) == {F.NO_GPS}
    assert gps_flags(None, None, asked=False) == set()
    assert gps_flags(HOME, 100.0, asked=True) == set()
    assert gps_flags(HOME, 100.1, asked=True) == {F.POOR_GPS}


# --- far from home -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("bearing", [0, 90, 225])
def test_a_visit_1000_m_from_home_is_near_and_1001_m_is_far(bearing):
    assert abs(distance_m(HOME, destination(HOME, 1000, bearing)) - 1000) < 0.01
    assert not far_from_home(destination(HOME, 999.5, bearing), HOME)
    assert far_from_home(destination(HOME, 1001, bearing), HOME)
    assert not far_from_home(None, HOME) and not far_from_home(destination(HOME, 5000, bearing), None)


def test_without_home_coordinates_the_village_median_is_used_once_there_are_five_visits():
    spread = [destination(HOME, 30, b) for b in (0, 72, 144, 216)]
    assert home_reference(None, spread) == (None, None)  # four visits: not enough
    stray = destination(HOME, 20_000, 90)  # one visit made in town does not move the median
    reference, used = home_reference(None, spread + [stray])
    assert used == "village" and distance_m(reference, HOME) < 40
    assert home_reference(HOME, spread + [stray]) == (HOME, "home")
    assert village_reference(spread + [stray]) == reference


# --- impossible travel -----------------------------------------------------------------------------------------

def test_travel_just_under_60_kmh_is_possible_and_a_second_less_is_not():
    b = destination(HOME, 9_999, 90)
    first = TimedVisit("a", at(9), at(9, 30), HOME)
    under = TimedVisit("b", at(9, 40), at(10), b)  # 9 999 m in 600 s: 59.99 km/h
    assert impossible_travel([first, under]) == set()
    faster = TimedVisit("b", at(9, 39, 59), at(10), b)  # 9 999 m in 599 s: 60.09 km/h
    assert impossible_travel([first, faster]) == {"a", "b"}
    overlapping = TimedVisit("c", at(9, 20), at(9, 50), b)  # two places at once
    assert impossible_travel([first, overlapping]) == {"a", "c"}


def test_neighbours_within_the_spot_radius_and_visits_without_gps_never_make_impossible_travel():
    near = TimedVisit("b", at(9, 30), at(9, 45), destination(HOME, 49, 0))
    assert impossible_travel([TimedVisit("a", at(9), at(9, 30), HOME), near]) == set()
    assert impossible_travel([TimedVisit("a", at(9), at(9, 30), None),
                              TimedVisit("b", at(9, 30), at(9, 45), destination(HOME, 9_000, 0))]) == set()


# --- one spot ----------------------------------------------------------------------------------------------------

def _office_day(spacing_m: float, cases: int) -> list[SpotVisit]:
    office = destination(HOME, 3_000, 0)
    return [SpotVisit(f"v{n}", f"case{n}", destination(office, spacing_m if n else 0, 90),
                      destination(HOME, 200, n * 40)) for n in range(cases)]


def test_four_peoples_visits_within_50_m_far_from_their_homes_are_one_spot():
    assert one_spot(_office_day(49, 4)) == {"v0", "v1", "v2", "v3"}
    assert one_spot(_office_day(51, 4)) == set()  # a metre past the radius: not one spot
    assert one_spot(_office_day(10, 3)) == set()  # three people: not enough
    at_home = [SpotVisit(f"v{n}", f"case{n}", HOME, HOME) for n in range(6)]  # a care home: all live there
    assert one_spot(at_home) == set()


# --- photos ----------------------------------------------------------------------------------------------------

def _room(seed: int) -> Image.Image:
    """A drawn 'room': walls, a window, furniture; the seed moves and recolours things."""
    image = Image.new("RGB", (640, 480), (200 - seed * 7, 190, 170 + seed * 5))
    draw = ImageDraw.Draw(image)
    draw.rectangle((40 + seed * 9, 60, 260 + seed * 9, 300), fill=(90, 120, 160))  # window
    draw.rectangle((300, 280 - seed * 6, 600, 440), fill=(120 - seed * 5, 80, 50))  # table
    draw.ellipse((420 - seed * 20, 120, 520 - seed * 20, 220), fill=(230, 220, 90))  # lamp
    return image.filter(ImageFilter.GaussianBlur(1))


def _jpeg(image: Image.Image, quality: int = 90, size: tuple[int, int] | None = None) -> BytesIO:
    out = BytesIO()
    (image.resize(size) if size else image).save(out, "JPEG", quality=quality)
    out.seek(0)
    return out


def test_re_encoded_and_resized_copies_are_near_and_another_photo_of_the_room_is_not():
    original = photo_hash(_jpeg(_room(0)))
    copies = [photo_hash(_jpeg(_room(0), quality=60)), photo_hash(_jpeg(_room(0), size=(320, 240))),
              photo_hash(_jpeg(_room(0).crop((8, 6, 632, 474))))]
    assert all(bits_apart(original, copy) <= LIMITS.photo_max_bits for copy in copies), \
        [bits_apart(original, c) for c in copies]
    another = photo_hash(_jpeg(_room(3)))  # the same room, things moved: a second, genuine photo (8 bits apart)
    assert bits_apart(original, another) > LIMITS.photo_max_bits


def test_near_copies_at_exactly_the_bit_limit_and_one_bit_past_it():
    base = "0" * 16
    within = f"{(1 << LIMITS.photo_max_bits) - 1:016x}"  # as many bits set as the limit
    past = f"{(1 << (LIMITS.photo_max_bits + 1)) - 1:016x}"  # one more
    assert bits_apart(base, within) == LIMITS.photo_max_bits and bits_apart(base, past) == LIMITS.photo_max_bits + 1
    assert near_copies(base, [("x", within), ("y", past)]) == {"x"}
