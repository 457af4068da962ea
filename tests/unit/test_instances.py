from pathlib import Path

from server.adapters.xlsform import xlsform_to_xform
from server.domain.instances import build_instance
from server.domain.submission import read_envelope, read_values
from server.domain.xform import read_xform_schema

FORMS = Path(__file__).parents[2] / "forms"


def test_built_household_survey_reads_back_with_members_and_entity():
    xform = xlsform_to_xform((FORMS / "household_survey.xlsx").read_bytes(), "household_survey.xlsx").xml
    xml = build_instance(
        xform, {"case_mode": "existing", "case": "c-1", "visit_date": "2026-11-20"}, "uuid:x",
        entity={"id": "c-1", "update": "1", "create": "0", "baseVersion": "3", "label": "王家"},
        drop=("registration",),
        repeats={"member": [{"member_name": "王大", "member_age": "50", "member_income": "12000"},
                            {"member_name": "王二", "member_age": "12", "member_income": "0"}]})
    envelope = read_envelope(xml)
    assert envelope.xml_form_id == "household_survey" and envelope.instance_id == "uuid:x"
    assert envelope.entity.update and envelope.entity.base_version == "3" and envelope.entity.label == "王家"
    values = read_values(envelope, read_xform_schema(xform))
    assert [m["member_name"] for m in values["member"]] == ["王大", "王二"]
    assert values["member"][0]["member_age"] == 50
    assert "registration" not in values
    assert b"jr:template" not in xml and b"template=" not in xml
