"""Every XLSForm in forms/ converts under ODK Validate (JavaRosa) and carries what the server relies on."""
from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest

from server.adapters.xlsform import xlsform_to_xform
from server.domain.xform import read_xform_info, read_xform_schema

FORMS = Path(__file__).parents[2] / "forms"
FIELD_FORMS = ("home_visit", "household_survey", "elder_patrol", "child_followup")
ALL_FORMS = (*FIELD_FORMS, "resident_feedback", "volunteer_service")
NS = {"h": "http://www.w3.org/1999/xhtml", "x": "http://www.w3.org/2002/xforms",
      "orx": "http://openrosa.org/xforms", "jr": "http://openrosa.org/javarosa"}
COMPUTED = {
    "household_survey": ("total_income", "per_capita_monthly_income", "allowance_line", "below_line", "member_count"),
    "elder_patrol": ("adl_score", "adl_level", "risk_level"),
    "child_followup": ("mandatory_report_required", "risk_level"),
    "volunteer_service": ("volunteer/volunteer_name", "volunteer/hours", "new_volunteer/new_hours"),
}


@lru_cache(maxsize=None)
def converted(form_id: str) -> bytes:
    return xlsform_to_xform((FORMS / f"{form_id}.xlsx").read_bytes(), f"{form_id}.xlsx").xml


def binds(form_id: str) -> dict[str, ET.Element]:
    root = ET.fromstring(converted(form_id))
    model = root.find("h:head/x:model", NS)
    schema = read_xform_schema(converted(form_id))
    prefix = f"/{schema.root_name}/"
    return {b.get("nodeset")[len(prefix):]: b for b in model.findall("x:bind", NS)
            if b.get("nodeset", "").startswith(prefix)}


def test_forms_folder_holds_exactly_the_six_forms():
    assert sorted(p.stem for p in FORMS.glob("*.xlsx")) == sorted(ALL_FORMS)


@pytest.mark.parametrize("form_id", ALL_FORMS)
def test_form_converts_under_odk_validate_with_id_version_and_instance_id(form_id):
    info = read_xform_info(converted(form_id))
    assert info.xml_form_id == form_id
    assert re.fullmatch(r"\d{10}", info.version), "version must be yyyymmddnn"
    assert re.search(r"[\u4e00-\u9fff]", info.title), "the title is Chinese"
    assert binds(form_id)["meta/instanceID"].get("{http://openrosa.org/javarosa}preload") == "uid"
    assert "meta/instanceName" in binds(form_id)


@pytest.mark.parametrize("form_id", ALL_FORMS)
def test_labels_in_chinese_first_and_english(form_id):
    root = ET.fromstring(converted(form_id))
    translations = root.findall("h:head/x:model/x:itext/x:translation", NS)
    langs = {t.get("lang"): t for t in translations}
    assert set(langs) == {"中文 (zh)", "English (en)"}
    assert langs["中文 (zh)"].get("default") == "true()"
    zh_ids = {t.get("id") for t in langs["中文 (zh)"]}
    en_ids = {t.get("id") for t in langs["English (en)"]}
    assert zh_ids == en_ids and len(zh_ids) > 10
    for text in langs["English (en)"].iter("{http://www.w3.org/2002/xforms}value"):
        assert not re.search(r"[\u4e00-\u9fff]", text.text or ""), f"Chinese in the English label: {text.text}"


@pytest.mark.parametrize("form_id", ALL_FORMS)
def test_start_end_and_device_are_recorded(form_id):
    preloads = {b.get("{http://openrosa.org/javarosa}preloadParams") for b in binds(form_id).values()}
    assert {"start", "end"} <= preloads


@pytest.mark.parametrize("form_id", FIELD_FORMS)
def test_field_form_picks_the_case_from_the_workers_case_list(form_id):
    info = read_xform_info(converted(form_id))
    assert "cases.csv" in [a.name for a in info.attachments]
    schema = read_xform_schema(converted(form_id))
    assert schema.fields["case"].control == "select1"
    assert "instance('cases')" in converted(form_id).decode()


@pytest.mark.parametrize("form_id", FIELD_FORMS)
def test_field_form_is_an_entity_form_that_creates_or_updates_a_case(form_id):
    root = ET.fromstring(converted(form_id))
    model = root.find("h:head/x:model", NS)
    assert model.get("{http://www.opendatakit.org/xforms/entities}entities-version")
    entity = root.find(".//x:meta/x:entity", NS)
    assert entity is not None and entity.get("dataset") == "cases"
    entity_binds = binds(form_id)
    assert "case_mode" in entity_binds["meta/entity/@create"].get("calculate")
    assert "case_mode" in entity_binds["meta/entity/@update"].get("calculate")
    saved = {b.get("{http://www.opendatakit.org/xforms/entities}saveto") for b in entity_binds.values()} - {None}
    assert {"category", "village_code", "risk_level", "last_visit"} <= saved


@pytest.mark.parametrize("form_id", FIELD_FORMS)
def test_field_form_records_gps_visit_date_and_photos(form_id):
    schema = read_xform_schema(converted(form_id))
    assert schema.fields["location"].data_type == "geopoint"
    assert binds(form_id)["location"].get("required") == "true()"
    assert schema.fields["visit_date"].data_type == "date"
    photos = [p for p, f in schema.fields.items() if f.is_binary]
    assert photos
    for path in photos:
        assert binds(form_id)[path].get("{http://openrosa.org/xforms}max-pixels") == "1600", path


@pytest.mark.parametrize("form_id", FIELD_FORMS)
def test_field_form_keeps_risk_and_next_visit_top_level(form_id):
    schema = read_xform_schema(converted(form_id))
    assert "risk_level" in schema.fields and "next_visit_date" in schema.fields


@pytest.mark.parametrize("form_id,names", COMPUTED.items())
def test_computed_fields_are_calculations(form_id, names):
    form_binds = binds(form_id)
    for name in names:
        assert form_binds[name].get("calculate"), f"{form_id}/{name} is not computed"


def test_elder_patrol_scores_the_barthel_index():
    form_binds = binds("elder_patrol")
    score = form_binds["adl_score"].get("calculate")
    items = re.findall(r"/adl/(adl_\w+)", score)
    assert len(set(items)) == 10
    assert "severe" in form_binds["adl_level"].get("calculate")


def test_household_survey_compares_income_with_the_allowance_line():
    form_binds = binds("household_survey")
    assert "line_urban" in form_binds["allowance_line"].get("calculate")
    for line in ("line_urban", "line_rural"):
        assert "pulldata('station'" in form_binds[line].get("calculate").replace('"', "'")
    assert "per_capita_monthly_income" in form_binds["below_line"].get("calculate")
    assert "member" in read_xform_schema(converted("household_survey")).repeats


def test_home_visit_has_a_signature():
    root = ET.fromstring(converted("home_visit"))
    uploads = [u for u in root.iter("{http://www.w3.org/2002/xforms}upload") if u.get("appearance") == "signature"]
    assert uploads


def test_resident_feedback_needs_no_case_no_gps_and_only_satisfaction():
    schema = read_xform_schema(converted("resident_feedback"))
    form_binds = binds("resident_feedback")
    assert "case" not in schema.fields
    assert not [f for f in schema.fields.values() if f.data_type in ("geopoint", "binary")]
    required = {p for p, b in form_binds.items() if b.get("required") == "true()"}
    assert "satisfaction" in required and required <= {"satisfaction", "service_received"}
    root = ET.fromstring(converted("resident_feedback"))
    satisfaction = root.find(".//x:instance[@id='satisfaction']", NS)
    assert [v.text for v in satisfaction.iter("{http://www.w3.org/2002/xforms}name")] == ["1", "2", "3", "4", "5"]
    assert {"station_code", "channel"} <= set(schema.fields)


@pytest.mark.parametrize("form_id,name,data_type", [
    ("elder_patrol", "adl_score", "int"), ("household_survey", "member_count", "int"),
    ("household_survey", "per_capita_monthly_income", "decimal"), ("household_survey", "allowance_line", "decimal"),
])
def test_numeric_calculations_are_typed_so_the_server_stores_numbers(form_id, name, data_type):
    assert read_xform_schema(converted(form_id)).fields[name].data_type == data_type


def test_volunteer_service_chooses_volunteers_from_the_stations_list_with_hours_each():
    schema_binds = binds("volunteer_service")
    xml = converted("volunteer_service").decode()
    assert 'src="jr://file-csv/volunteers.csv"' in xml and 'src="jr://file-csv/cases.csv"' in xml
    assert schema_binds["volunteer/volunteer_id"].get("required") == "true()"
    assert schema_binds["volunteer/hours"].get("type") == "decimal"
    assert "default_hours" in schema_binds["volunteer/hours"].get("calculate")
    assert schema_binds["default_hours"].get("constraint") == ". > 0 and . <= 24"
    for name, kind in (("service_date", "date"), ("location", "geopoint"), ("people_served", "int"),
                       ("photo_activity", "binary"), ("new_volunteer/new_phone", "string")):
        assert schema_binds[name].get("type") == kind, name
    assert "<entities" not in xml  # a service record creates no case
    listed = xml.split('<instance id="service_area">')[1].split("</instance>")[0]
    assert set(re.findall(r"<name>([a-z_]+)</name>", listed)) == {
        "social_assistance", "elderly", "children", "community_governance", "social_affairs", "volunteering",
        "emergency"}  # the codes of docs/forms.md
