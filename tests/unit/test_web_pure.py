from pathlib import Path

import pytest

from server.adapters.xlsform import xlsform_to_xform
from server.domain.diff import diff_values, flatten
from server.domain.geo import for_tiles, out_of_china, wgs84_to_gcj02
from server.domain.labels import read_labels

FORMS = Path(__file__).parents[2] / "forms"


def test_wgs84_to_gcj02_matches_the_published_reference_point():
    # Tiananmen, the reference of the widely used coordtransform library: WGS-84 (39.915, 116.404).
    lat, lon = wgs84_to_gcj02(39.915, 116.404)
    assert lat == pytest.approx(39.91640428150164, abs=1e-9)
    assert lon == pytest.approx(116.41024449916938, abs=1e-9)


def test_gcj02_offset_in_kunming_is_a_few_hundred_metres():
    lat, lon = wgs84_to_gcj02(25.0406, 102.7123)
    assert 0.0005 < abs(lat - 25.0406) + abs(lon - 102.7123) < 0.01


def test_points_outside_china_are_unchanged():
    assert out_of_china(48.8566, 2.3522)
    assert wgs84_to_gcj02(48.8566, 2.3522) == (48.8566, 2.3522)
    assert for_tiles(25.0406, 102.7123, "wgs84") == (25.0406, 102.7123)


def test_labels_come_from_the_forms_chinese_itext():
    xform = xlsform_to_xform((FORMS / "home_visit.xlsx").read_bytes(), "home_visit.xlsx").xml
    labels = read_labels(xform)
    assert labels.question("situation/living_conditions")
    assert labels.answer("situation/living_conditions", "fair") == "一般"
    assert labels.answer("risk_level", "high") == "高风险"
    assert labels.answer("services/services_given", ["policy_explanation", "referral"]) == ["政策宣传解读", "转介"]
    english = read_labels(xform, "English")
    assert english.answer("risk_level", "high") != "高风险"


def test_diff_names_changed_answers_and_repeats():
    before = {"person": "王芳", "member": [{"age": 40}, {"age": 12}], "meta": {"instanceID": "a"}}
    after = {"person": "王芳芳", "member": [{"age": 41}], "meta": {"instanceID": "b"}}
    assert flatten(before)["member[2]/age"] == 12
    changes = {c.path: (c.before, c.after) for c in diff_values(before, after)}
    assert changes == {"person": ("王芳", "王芳芳"), "member[1]/age": (40, 41), "member[2]/age": (12, None)}


def test_a_day_off_the_usable_calendar_is_refused_not_a_crash():
    """Day arithmetic on 0001-01-01 or 9999-12-31 (a day later, China's midnight in UTC) would overflow."""
    from datetime import date

    import pytest

    from server.domain.clock import parse_day
    from server.errors import InvalidValue

    assert parse_day("2026-11-28", "from") == date(2026, 11, 28) and parse_day("", "from") is None
    for text in ("0001-01-01", "9999-12-31", "1999-12-31", "2101-01-01"):
        with pytest.raises(InvalidValue):
            parse_day(text, "to")
