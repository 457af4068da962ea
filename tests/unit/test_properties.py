"""Properties of the pure modules, checked on generated inputs (Hypothesis; profile in tests/conftest.py).

The XForm reader and the submission reader take bytes from the outside: whatever they are given, they answer
with a value or with one of the app's own errors, never anything else. Where a value goes in and comes back out
(form id, version, title, attachments; instanceID; typed numbers, dates, points) it comes back unchanged and
within its type's range. The indicators are arithmetic the bureau reads against a 90 % line: rates stay within
[0, 1], a covered case never lowers coverage, groups add up to their total, and too few answers are
'insufficient' rather than a verdict. Schedules and reporting periods keep their calendar promises.
"""
from __future__ import annotations

import math
from datetime import date, timedelta
from xml.sax.saxutils import escape, quoteattr

import pytest
from hypothesis import assume, example, given
from hypothesis import strategies as st

from server.domain.cases import (
    CATEGORY_NAMES_ZH,
    DEFAULT_VISIT_INTERVAL_DAYS,
    ID_NUMBER_CHECK,
    ID_NUMBER_WEIGHTS,
    CaseCategory,
    id_number_valid,
    interval_days,
    is_overdue,
    mask_id_number,
    next_due_date,
    parse_categories,
)
from server.domain.indicators import (
    CaseFact,
    StationFact,
    VisitFact,
    coverage_by_group,
    satisfaction_rate,
    service_coverage,
    station_coverage,
    wilson_interval,
)
from server.domain.periods import month_period, parse_period, period_containing, trend_months
from server.domain.submission import parse_geopoint, read_envelope, read_values, typed_value
from server.domain.xform import FieldDef, read_xform_info, read_xform_schema
from server.errors import InvalidValue, LastmeterError

# --- generators ---------------------------------------------------------------------------------

# Text an XML document can carry as it is: no control characters (XML 1.0 forbids most, and normalises
# tabs and line ends in attributes), no surrogates.
xml_text = st.text(st.characters(blacklist_categories=("Cc", "Cs")), max_size=40)
xml_name = st.from_regex(r"\A[A-Za-z_][A-Za-z0-9_]{0,11}\Z")
file_name = st.from_regex(r"\A[A-Za-z0-9_][A-Za-z0-9_.\-]{0,20}\Z").filter(lambda n: n not in (".", ".."))
XFORM_WORDS = ("html", "head", "title", "model", "instance", "bind", "body", "input", "select", "select1",
               "upload", "repeat", "group", "itext", "text", "value", "data", "meta", "instanceID", "entity")
XFORM_ATTRIBUTES = ("id", "version", "src", "nodeset", "ref", "type", "form", "dataset", "create", "update")


@st.composite
def xml_trees(draw, depth: int = 2) -> str:
    """Small XML documents from the XForm/instance vocabulary, nested at random: the reader's worst days."""
    name = draw(st.sampled_from(XFORM_WORDS) | xml_name)
    attributes = draw(st.dictionaries(st.sampled_from(XFORM_ATTRIBUTES),
                                      st.sampled_from(("", "/data/a", "/data/g/b", "jr://file-csv/cases.csv",
                                                       "int", "decimal", "binary", "1", "true")) | xml_text,
                                      max_size=3))
    children = draw(st.lists(xml_trees(depth - 1), max_size=3)) if depth else []
    text = draw(xml_text)
    attrs = "".join(f" {key}={quoteattr(value)}" for key, value in attributes.items())
    return f"<{name}{attrs}>{escape(text)}{''.join(children)}</{name}>"


def xform(form_id: str, version: str, title: str, csv_files: list[str], images: list[str]) -> bytes:
    secondary = "".join(f'<instance id="i{n}" src="jr://file-csv/{name}"/>' for n, name in enumerate(csv_files))
    itext = "".join(f'<text id="t{n}"><value form="image">jr://images/{name}</value></text>'
                    for n, name in enumerate(images))
    return (f'<h:html xmlns="http://www.w3.org/2002/xforms" xmlns:h="http://www.w3.org/1999/xhtml">'
            f'<h:head><h:title>{escape(title)}</h:title><model><itext><translation lang="zh">{itext}'
            f'</translation></itext><instance><data id={quoteattr(form_id)} version={quoteattr(version)}>'
            f'<name/><meta><instanceID/></meta></data></instance>{secondary}</model></h:head>'
            f'<h:body/></h:html>').encode("utf-8")


# --- the XForm reader -----------------------------------------------------------------------------

@given(st.binary(max_size=300))
@example(b"")
@example(b"<!DOCTYPE x [<!ENTITY a 'aaaa'>]><x>&a;</x>")
def test_any_bytes_give_a_form_or_the_apps_own_error(data):
    for read in (read_xform_info, read_xform_schema):
        try:
            read(data)
        except LastmeterError as error:
            assert error.http_status == 400


@given(xml_trees())
def test_any_xml_gives_a_form_or_the_apps_own_error(document):
    for read in (read_xform_info, read_xform_schema):
        try:
            read(document.encode("utf-8"))
        except LastmeterError as error:
            assert error.http_status == 400


@given(form_id=xml_text.filter(str.strip), version=xml_text, title=xml_text,
       csv_files=st.lists(file_name, max_size=3, unique=True), images=st.lists(file_name, max_size=3, unique=True))
@example(form_id=" visit ", version="", title=" ", csv_files=[], images=[])
def test_form_id_version_title_and_attachments_come_back_as_written(form_id, version, title, csv_files, images):
    info = read_xform_info(xform(form_id, version, title, csv_files, images))
    assert info.xml_form_id == form_id.strip() and info.version == version.strip()
    assert info.title == (title.strip() or form_id.strip())
    expected = {name: "file" for name in csv_files}
    expected.update({name: "image" for name in images if name not in expected})
    assert {a.name: a.kind for a in info.attachments} == expected


BIND_TYPES = ("string", "int", "decimal", "date", "dateTime", "time", "geopoint", "binary", "select1")
fields_spec = st.dictionaries(st.tuples(st.none() | xml_name, xml_name).map(lambda p: "/".join(x for x in p if x)),
                              st.tuples(st.sampled_from(BIND_TYPES), st.sampled_from(("input", "select", "upload"))),
                              min_size=1, max_size=6)


def xform_with_fields(fields: dict[str, tuple[str, str]]) -> bytes:
    binds = "".join(f'<bind nodeset="/data/{path}" type="{kind}"/>' for path, (kind, _) in fields.items())
    body = "".join(f'<{control} ref="/data/{path}"/>' for path, (_, control) in fields.items())
    return (f'<h:html xmlns="http://www.w3.org/2002/xforms" xmlns:h="http://www.w3.org/1999/xhtml"><h:head>'
            f'<model><instance><data id="f"/></instance>{binds}</model></h:head><h:body>{body}</h:body>'
            f'</h:html>').encode()


@given(fields_spec)
def test_every_bound_field_is_read_with_its_type_and_control(fields):
    assume(not any(other.startswith(path + "/") for path in fields for other in fields))  # a leaf is no group
    schema = read_xform_schema(xform_with_fields(fields))
    assert schema.root_name == "data"
    assert {p: (f.data_type, f.control) for p, f in schema.fields.items()} == fields
    assert schema.groups == {path.split("/")[0] for path in fields if "/" in path}


# --- submissions ------------------------------------------------------------------------------

@given(st.binary(max_size=300))
def test_any_bytes_give_an_envelope_or_the_apps_own_error(data):
    try:
        read_envelope(data)
    except LastmeterError as error:
        assert error.http_status == 400


SCHEMA = read_xform_schema(xform_with_fields({
    "n": ("int", "input"), "d": ("decimal", "input"), "day": ("date", "input"), "at": ("dateTime", "input"),
    "t": ("time", "input"), "p": ("geopoint", "input"), "m": ("string", "select"), "g/photo": ("binary", "upload"),
}))


@given(xml_trees())
def test_any_instance_gives_values_or_the_apps_own_error(document):
    try:
        envelope = read_envelope(document.encode("utf-8"))
        values = read_values(envelope, SCHEMA)
    except LastmeterError as error:
        assert error.http_status == 400
    else:
        assert isinstance(values, dict)


@given(form_id=xml_text.filter(str.strip), version=xml_text, instance_id=xml_text.filter(str.strip),
       deprecated_id=xml_text, name=xml_text)
def test_envelope_ids_come_back_as_written(form_id, version, instance_id, deprecated_id, name):
    document = (f'<data xmlns:orx="http://openrosa.org/xforms" id={quoteattr(form_id)} version={quoteattr(version)}>'
                f'<meta><orx:instanceID>{escape(instance_id)}</orx:instanceID>'
                f'<deprecatedID>{escape(deprecated_id)}</deprecatedID>'
                f'<orx:instanceName>{escape(name)}</orx:instanceName></meta></data>').encode()
    envelope = read_envelope(document)
    assert (envelope.xml_form_id, envelope.version) == (form_id.strip(), version.strip())
    assert envelope.instance_id == instance_id.strip()
    assert envelope.deprecated_id == (deprecated_id.strip() or None)
    assert envelope.instance_name == (name.strip() or None)


@given(xml_text)
def test_without_an_instance_id_the_same_bytes_get_the_same_id(text):
    document = f"<data id='f'><note>{escape(text)}</note></data>".encode()
    first, second = read_envelope(document), read_envelope(document)
    assert first.instance_id == second.instance_id and first.instance_id.startswith("sha256:")
    assert len(first.instance_id) == len("sha256:") + 64


TYPES = ("int", "integer", "decimal", "date", "dateTime", "time", "geopoint", "geotrace", "geoshape", "string")


@given(st.sampled_from(TYPES), st.text(max_size=60) | st.from_regex(r"\A-?[0-9. eE+\-:TZ;]{1,40}\Z"))
def test_any_text_in_any_type_gives_a_value_or_an_invalid_value(data_type, text):
    field = FieldDef(path="x", data_type=data_type, control="input")
    try:
        value = typed_value(text, field, "x")
    except InvalidValue as error:
        assert error.code == "400.4" and error.details["field"] == "x"
        return
    if value is None:
        return
    if data_type in ("int", "integer"):
        assert isinstance(value, int)
    elif data_type == "decimal":
        assert isinstance(value, float) and math.isfinite(value)
    elif data_type in ("date", "dateTime", "time"):
        assert value == text.strip()
    elif data_type == "geopoint":
        assert_point_in_range(value)
    elif data_type in ("geotrace", "geoshape"):
        for point in value:
            assert_point_in_range(point)


def assert_point_in_range(point: dict) -> None:
    assert -90 <= point["latitude"] <= 90 and -180 <= point["longitude"] <= 180
    assert point["accuracy"] is None or point["accuracy"] >= 0


@given(st.integers())
def test_integers_come_back_as_written(number):
    assume(len(str(number)) < 4000)  # Python refuses longer decimal strings; that is an InvalidValue
    assert typed_value(f" {number} ", FieldDef("x", "int", "input"), "x") == number


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_decimals_come_back_as_written(number):
    assert typed_value(repr(number), FieldDef("x", "decimal", "input"), "x") == number


@given(st.dates(min_value=date(1000, 1, 1)))
def test_dates_come_back_as_written(day):
    assert typed_value(day.isoformat(), FieldDef("x", "date", "input"), "x") == day.isoformat()


@given(st.floats(-90, 90), st.floats(-180, 180), st.floats(-500, 9000), st.floats(0, 1e6))
def test_points_within_range_come_back_as_written(latitude, longitude, altitude, accuracy):
    point = parse_geopoint(f"{latitude!r} {longitude!r} {altitude!r} {accuracy!r}")
    assert point == {"latitude": latitude, "longitude": longitude, "altitude": altitude, "accuracy": accuracy}


@given(st.lists(st.from_regex(r"\A[a-z_0-9]{1,8}\Z"), max_size=5))
def test_select_multiple_is_the_list_of_chosen_names(names):
    value = typed_value(" ".join(names), FieldDef("x", "select1", "select"), "x")
    assert value == (names or None)


# --- indicators ---------------------------------------------------------------------------------

AS_OF = date(2026, 11, 28)
CATEGORIES = [c.value for c in CaseCategory]
intervals = st.dictionaries(st.sampled_from(CATEGORIES), st.integers(1, 730), max_size=4)
days_before = st.integers(0, 400).map(lambda n: AS_OF - timedelta(days=n))
case_facts = st.builds(CaseFact, case_id=st.sampled_from([f"c{i}" for i in range(12)]),
                       categories=st.lists(st.sampled_from(CATEGORIES), max_size=3, unique=True).map(tuple),
                       registered_on=days_before, open=st.booleans(), group=st.sampled_from(["g1", "g2", "g3"]))
cases_list = st.lists(case_facts, max_size=12, unique_by=lambda c: c.case_id)
visit_facts = st.builds(VisitFact, case_id=st.sampled_from([f"c{i}" for i in range(12)]),
                        visit_date=st.integers(-10, 400).map(lambda n: AS_OF - timedelta(days=n)),
                        rejected=st.booleans())
visits_list = st.lists(visit_facts, max_size=20)


@given(cases_list, visits_list, intervals)
def test_coverage_rates_stay_within_0_and_1(cases, visits, chosen):
    coverage = service_coverage(cases, visits, AS_OF, chosen)
    for ratio in (coverage.overall, *coverage.by_category.values()):
        assert 0 <= ratio.numerator <= ratio.denominator
        assert ratio.rate is None if ratio.denominator == 0 else 0 <= ratio.rate <= 1
    assert (coverage.status == "no_cases") == (coverage.overall.denominator == 0)
    if coverage.status != "no_cases":
        assert (coverage.status == "met") == (coverage.overall.rate >= 0.9)


@given(cases_list, visits_list, intervals, st.sampled_from([f"c{i}" for i in range(12)]))
def test_another_visit_never_lowers_coverage(cases, visits, chosen, case_id):
    before = service_coverage(cases, visits, AS_OF, chosen)
    after = service_coverage(cases, visits + [VisitFact(case_id, AS_OF, False)], AS_OF, chosen)
    assert after.overall.denominator == before.overall.denominator
    assert after.overall.numerator >= before.overall.numerator


@given(cases_list, visits_list, intervals, case_facts)
def test_adding_a_covered_case_never_lowers_the_rate(cases, visits, chosen, extra):
    extra = CaseFact("new", extra.categories, AS_OF - timedelta(days=800), True, extra.group)  # due
    before = service_coverage(cases, visits, AS_OF, chosen)
    after = service_coverage(cases + [extra], visits + [VisitFact("new", AS_OF, False)], AS_OF, chosen)
    assert after.overall.denominator == before.overall.denominator + 1
    assert after.overall.numerator == before.overall.numerator + 1
    assert after.overall.rate >= (before.overall.rate or 0)


@given(cases_list, visits_list, intervals)
def test_groups_add_up_to_the_total(cases, visits, chosen):
    overall, groups = coverage_by_group(cases, visits, AS_OF, chosen)
    assert sum(g.overall.denominator for g in groups.values()) == overall.overall.denominator
    assert sum(g.overall.numerator for g in groups.values()) == overall.overall.numerator
    for category, ratio in overall.by_category.items():
        assert sum(g.by_category[category].denominator for g in groups.values() if category in g.by_category) \
            == ratio.denominator


@given(cases_list, visits_list, intervals)
def test_rejected_and_future_visits_change_nothing(cases, visits, chosen):
    kept = [v for v in visits if not v.rejected and v.visit_date <= AS_OF]
    assert service_coverage(cases, visits, AS_OF, chosen) == service_coverage(cases, kept, AS_OF, chosen)


@given(st.lists(st.integers(-2, 8), max_size=80), st.integers(0, 60))
def test_satisfaction_is_a_rate_with_an_interval_around_it_or_insufficient(scores, minimum):
    result = satisfaction_rate(scores, minimum)
    valid = [s for s in scores if 1 <= s <= 5]
    assert result.responses == len(valid) and 0 <= result.satisfied <= result.responses
    if not valid:
        assert result.rate is result.ci_low is result.ci_high is None
    else:
        assert 0 <= result.ci_low <= result.rate <= result.ci_high <= 1
    assert (result.status == "insufficient") == (len(valid) < minimum or not valid)
    if result.status != "insufficient":
        assert (result.status == "met") == (result.rate >= 0.9)


@given(st.integers(0, 10_000).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))))
def test_wilson_interval_holds_the_observed_rate(counts):
    successes, trials = counts
    interval = wilson_interval(successes, trials)
    if trials == 0:
        assert interval is None
        return
    low, high = interval
    assert 0 <= low <= successes / trials <= high <= 1


TOWNSHIPS = st.sampled_from([f"53010{county}00{n}" for county in range(2, 6) for n in range(1, 4)])


@given(st.lists(TOWNSHIPS, max_size=8),
       st.lists(st.builds(StationFact, TOWNSHIPS, st.booleans(),
                          st.none() | days_before | st.just(AS_OF + timedelta(days=3))), max_size=8))
def test_station_coverage_counts_each_township_at_most_once(townships, stations):
    ratio = station_coverage(townships, stations, AS_OF)
    assert ratio.denominator == len(set(townships)) and 0 <= ratio.numerator <= ratio.denominator


# --- schedules ----------------------------------------------------------------------------------

@given(st.lists(st.sampled_from(CATEGORIES), max_size=4), st.sampled_from(CATEGORIES), intervals)
def test_another_category_never_lengthens_the_interval(categories, another, chosen):
    assert interval_days(categories + [another], chosen) <= interval_days(categories, chosen) or not categories
    assert interval_days(categories + [another], chosen) <= interval_days([another], chosen)
    defaults = {**DEFAULT_VISIT_INTERVAL_DAYS, **chosen}
    assert interval_days([another], chosen) == defaults[another]


@given(st.none() | days_before, days_before, st.integers(1, 730), st.none() | st.dates(date(2025, 1, 1), date(2028, 1, 1)))
def test_next_due_is_after_the_last_contact_and_never_later_than_one_interval(last, registered, days, proposed):
    due = next_due_date(last, registered, days, proposed)
    start = last or registered
    assert start < due <= start + timedelta(days=days)
    assert not is_overdue(due, due) and is_overdue(due, due + timedelta(days=1))


@given(st.lists(st.sampled_from(list(CaseCategory)), max_size=5), st.sampled_from([" ", ",", "，", "、", " , "]),
       st.lists(st.booleans(), min_size=5, max_size=5))
def test_categories_read_back_from_codes_or_chinese_names(categories, separator, chinese):
    words = [CATEGORY_NAMES_ZH[c] if zh else c.value for c, zh in zip(categories, chinese)]
    found, unknown = parse_categories(separator.join(words))
    assert found == list(dict.fromkeys(categories)) and unknown == []


@given(st.from_regex(r"\A[0-9]{17}\Z"))
def test_an_id_number_with_its_check_character_is_valid_and_any_other_is_not(digits):
    check = ID_NUMBER_CHECK[sum(int(d) * w for d, w in zip(digits, ID_NUMBER_WEIGHTS)) % 11]
    assert id_number_valid(digits + check) and id_number_valid((digits + check).lower())
    assert not any(id_number_valid(digits + other) for other in "0123456789X" if other != check)
    masked = mask_id_number(digits + check)
    assert len(masked) == 18 and masked[:4] == digits[:4] and masked[-4:] == (digits + check)[-4:]
    assert set(masked[4:-4]) == {"*"}


# --- reporting periods --------------------------------------------------------------------------

period_keys = st.integers(2000, 2100).flatmap(lambda y: st.sampled_from(
    [f"{y}-{m:02d}" for m in range(1, 13)] + [f"{y}-Q{q}" for q in range(1, 5)] + [f"{y}-H1", f"{y}-H2"]))


@given(period_keys)
def test_a_period_is_whole_months_and_reads_back_from_its_key(key):
    period = parse_period(key)
    assert parse_period(period.key) == period and period.key == key
    assert period.start.day == 1 and (period.end + timedelta(days=1)).day == 1
    months = period.months()
    assert len(months) == {"month": 1, "quarter": 3, "half": 6}[period.kind]
    assert months[0].start == period.start and months[-1].end == period.end
    assert all(a.end + timedelta(days=1) == b.start for a, b in zip(months, months[1:]))


@given(st.dates(date(2000, 1, 1), date(2100, 12, 31)), st.sampled_from(["month", "quarter", "half"]))
def test_the_period_containing_a_day_contains_it(day, kind):
    period = period_containing(day, kind)
    assert period.kind == kind and period.start <= day <= period.end
    assert period.clipped(day) == day


@given(period_keys, st.integers(1, 24))
def test_trend_months_end_with_the_period_and_run_without_gaps(key, at_least):
    period = parse_period(key)
    months = trend_months(period, at_least)
    assert len(months) == max(at_least, len(period.months())) and months[-1].end == period.end
    assert all(a.end + timedelta(days=1) == b.start for a, b in zip(months, months[1:]))


@given(st.text(max_size=12))
def test_any_text_is_a_period_or_an_invalid_value(text):
    try:
        period = parse_period(text)
    except InvalidValue as error:
        assert error.code == "400.4"
    else:
        assert month_period(period.start.year, period.start.month).start == period.start


@pytest.mark.parametrize("text", ["2026-00", "2026-13", "1999-01", "2101-H1", "2026-Q5", "2026-h3"])
def test_out_of_range_periods_are_refused(text):
    with pytest.raises(InvalidValue):
        parse_period(text)
