"""Submissions as export rows in ODK Central's CSV layout: headers, keys, split geopoints; text made inert by
every spreadsheet writer."""
import csv
import io
from datetime import date, datetime, timezone

import pytest
from openpyxl import load_workbook

from server.adapters.export_files import spooled_csv
from server.adapters.tabular import Sheet, XlsxStream, write_workbook
from server.domain.cells import neutralise
from server.domain.export_rows import SubmissionMeta, cell_text, export_layout, media_path, \
    safe_file_name, sheet_titles, submission_rows
from server.domain.xform import read_xform_schema

XFORM = b"""<?xml version="1.0"?>
<h:html xmlns="http://www.w3.org/2002/xforms" xmlns:h="http://www.w3.org/1999/xhtml"
        xmlns:jr="http://openrosa.org/javarosa" xmlns:orx="http://openrosa.org/xforms">
  <h:head><h:title>Survey</h:title>
    <model>
      <instance>
        <survey id="survey" version="3">
          <name/><age/><needs/><location/>
          <household><address/><member><member_name/><where/><visit><note/></visit></member></household>
          <photo/><trace/>
          <room><room_name/></room>
          <meta><instanceID/><instanceName/><entity dataset="cases" id="" create="1"><label/></entity></meta>
        </survey>
      </instance>
      <bind nodeset="/survey/name" type="string"/>
      <bind nodeset="/survey/age" type="int"/>
      <bind nodeset="/survey/needs" type="string"/>
      <bind nodeset="/survey/location" type="geopoint"/>
      <bind nodeset="/survey/household" relevant="true()"/>
      <bind nodeset="/survey/household/address" type="string"/>
      <bind nodeset="/survey/household/member/member_name" type="string"/>
      <bind nodeset="/survey/household/member/where" type="geopoint"/>
      <bind nodeset="/survey/household/member/visit/note" type="string"/>
      <bind nodeset="/survey/photo" type="binary"/>
      <bind nodeset="/survey/trace" type="geotrace"/>
      <bind nodeset="/survey/room/room_name" type="string"/>
      <bind nodeset="/survey/meta/entity/@id" type="string"/>
      <bind nodeset="/survey/meta/entity/label" type="string"/>
      <bind nodeset="/survey/meta/instanceID" type="string" readonly="true()"/>
      <bind nodeset="/survey/meta/instanceName" type="string"/>
    </model>
  </h:head>
  <h:body>
    <input ref="/survey/name"/><input ref="/survey/age"/>
    <select ref="/survey/needs"><item><value>care</value></item></select>
    <input ref="/survey/location"/>
    <group ref="/survey/household">
      <input ref="/survey/household/address"/>
      <group ref="/survey/household/member"><repeat nodeset="/survey/household/member">
        <input ref="/survey/household/member/member_name"/><input ref="/survey/household/member/where"/>
        <group ref="/survey/household/member/visit"><repeat nodeset="/survey/household/member/visit">
          <input ref="/survey/household/member/visit/note"/>
        </repeat></group>
      </repeat></group>
    </group>
    <upload ref="/survey/photo" mediatype="image/*"/><input ref="/survey/trace"/>
    <group ref="/survey/room"><repeat nodeset="/survey/room"><input ref="/survey/room/room_name"/></repeat></group>
  </h:body>
</h:html>"""

IID = "uuid:0a1b2c3d"
META = SubmissionMeta(
    instance_id=IID, xml_form_id="survey", submitted_at=datetime(2026, 11, 28, 2, 22, 31, 123456, timezone.utc),
    review_state="has_issues", station_code="530102001", station_name="华山街道", case_id="c-1",
    visit_date=date(2026, 11, 27), submitter_id=7, submitter_name="李芳", attachments_present=1,
    attachments_expected=2, device_id="collect:abc", edits=1, form_version="3")
DATA = {
    "name": "王芳", "age": 67, "needs": ["care", "money"],
    "location": {"latitude": 25.0406, "longitude": 102.7123, "altitude": 1891.5, "accuracy": 4.8},
    "household": {"address": "团结社区 1 号", "member": [
        {"member_name": "李强", "where": {"latitude": 25.1, "longitude": 102.8, "altitude": None, "accuracy": None},
         "visit": [{"note": "a"}, {"note": "b"}]},
        {"member_name": "=HYPERLINK(\"x\")"},
    ]},
    "photo": "1.jpg",
    "trace": [{"latitude": 25.0, "longitude": 102.0, "altitude": 1.0, "accuracy": 2.0},
              {"latitude": 25.5, "longitude": 102.5, "altitude": None, "accuracy": None}],
    "room": [{"room_name": "客厅"}],
    "meta": {"instanceID": IID, "instanceName": "王芳"},
}


@pytest.fixture(scope="module")
def layout():
    return export_layout("survey", read_xform_schema(XFORM))


def test_root_header_follows_centrals_layout(layout):
    assert layout.tables[0].name == "survey"
    assert layout.tables[0].header == (
        "SubmissionDate", "name", "age", "needs", "location-Latitude", "location-Longitude", "location-Altitude",
        "location-Accuracy", "household-address", "photo", "trace", "meta-instanceID", "meta-instanceName",
        "KEY", "SubmitterID", "SubmitterName", "AttachmentsPresent", "AttachmentsExpected", "Status",
        "ReviewState", "DeviceID", "Edits", "FormVersion", "StationCode", "StationName", "CaseID")


def test_each_repeat_has_its_table_in_form_order_with_parent_key_and_key(layout):
    assert [(t.path, t.name) for t in layout.tables[1:]] == [
        ("household/member", "survey-member"), ("household/member/visit", "survey-visit"), ("room", "survey-room")]
    member, visit, room = layout.tables[1:]
    assert member.header == ("member_name", "where-Latitude", "where-Longitude", "where-Altitude", "where-Accuracy",
                             "PARENT_KEY", "KEY")
    assert visit.header == ("note", "PARENT_KEY", "KEY")
    assert room.header == ("room_name", "PARENT_KEY", "KEY")


def test_one_submission_gives_one_root_row_with_split_geopoint_and_joined_choices(layout):
    root = submission_rows(layout, DATA, META)[0]
    assert root == [["2026-11-28T02:22:31.123Z", "王芳", 67, "care money", 25.0406, 102.7123, 1891.5, 4.8,
                     "团结社区 1 号", "1.jpg", "25.0 102.0 1.0 2.0;25.5 102.5", IID, "王芳", IID, 7, "李芳", 1, 2, None,
                     "hasIssues", "collect:abc", 1, "3", "530102001", "华山街道", "c-1"]]


def test_repeat_rows_carry_keys_through_groups_and_nested_repeats(layout):
    _root, members, visits, rooms = submission_rows(layout, DATA, META)
    assert members == [
        ["李强", 25.1, 102.8, None, None, IID, f"{IID}/household/member[1]"],
        ['=HYPERLINK("x")', None, None, None, None, IID, f"{IID}/household/member[2]"],
    ]
    assert visits == [["a", f"{IID}/household/member[1]", f"{IID}/household/member[1]/visit[1]"],
                      ["b", f"{IID}/household/member[1]", f"{IID}/household/member[1]/visit[2]"]]
    assert rooms == [["客厅", IID, f"{IID}/room[1]"]]


def test_fields_an_older_version_lacked_are_blank(layout):
    old = {"name": "张三", "meta": {"instanceID": IID}}
    root, members, visits, rooms = submission_rows(layout, old, META)
    header = layout.tables[0].header
    row = dict(zip(header, root[0]))
    assert row["name"] == "张三" and row["age"] is None and row["location-Latitude"] is None
    assert row["household-address"] is None and (members, visits, rooms) == ([], [], [])


def test_received_is_centrals_blank_review_state(layout):
    root = submission_rows(layout, DATA, META._replace(review_state="received"))[0][0]
    assert root[layout.tables[0].header.index("ReviewState")] is None


@pytest.mark.parametrize("text", ["=1+1", "+86 138", "-2", "@SUM(A1)", "\tx", "\rx", '=HYPERLINK("x")'])
def test_text_that_a_spreadsheet_would_run_gets_an_apostrophe(text):
    assert neutralise(text) == "'" + text


@pytest.mark.parametrize("value", ["王芳", "a=b", " =1", "", None, -2, -2.5, 0])
def test_other_cells_are_left_alone(value):
    assert neutralise(value) == value


def test_every_writer_makes_each_text_cell_of_a_row_inert(layout, tmp_path):
    """The rows carry the data as it is; CSV, streamed XLSX and report workbooks each neutralise on the way out."""
    data = {**DATA, "name": "@cmd", "needs": ["-x"], "meta": {"instanceID": IID, "instanceName": "+1"}}
    meta = META._replace(submitter_name="=evil()")
    header = layout.tables[0].header
    row = submission_rows(layout, data, meta)[0][0]
    wanted = ("'@cmd", "'-x", "'+1", "'=evil()")
    names = ("name", "needs", "meta-instanceName", "SubmitterName")

    writer = spooled_csv()
    writer.write(header)
    writer.write(row)
    with io.TextIOWrapper(writer.detach(), encoding="utf-8-sig", newline="") as text:
        written = dict(zip(*csv.reader(text)))
    assert tuple(written[n] for n in names) == wanted

    stream = XlsxStream(["visit"])
    stream.header(0, header)
    stream.append(0, row)
    book = load_workbook(io.BytesIO(b"".join(stream.chunks())), read_only=True)
    first, second = book.worksheets[0].iter_rows(values_only=True)
    book.close()
    assert tuple(dict(zip(first, second))[n] for n in names) == wanted

    out = io.BytesIO()
    write_workbook([Sheet("visit", [header, row])], out)
    book = load_workbook(out, read_only=True)
    first, second = book.worksheets[0].iter_rows(values_only=True)
    book.close()
    assert tuple(dict(zip(first, second))[n] for n in names) == wanted


def test_cell_text_writes_what_the_csv_module_writes():
    assert [cell_text(v) for v in (None, 12, 12.0, 1250.5, 25.0406, "a")] == ["", "12", "12.0", "1250.5", "25.0406",
                                                                           "a"]


def test_archive_names_cannot_escape_their_folder():
    assert media_path("uuid:3f25", "1714.jpg") == "files/uuid3f25/1714.jpg"
    assert media_path("uuid:x", "../../etc/passwd") == "files/uuidx/....etcpasswd"
    assert safe_file_name("..") == "_" and safe_file_name("a\\b:c*?.") == "abc"


def test_sheet_titles_follow_excels_rules():
    schema = read_xform_schema(XFORM.replace(b"room", b"member"))
    titles = sheet_titles(export_layout("a_very_long_form_id_that_goes_past_31", schema))
    assert titles == ["a_very_long_form_id_that_goes_p", "member", "visit", "member~2"]
    assert all(len(t) <= 31 for t in titles)


def test_repeats_sharing_a_name_are_numbered_like_central():
    layout = export_layout("survey", read_xform_schema(XFORM.replace(b"room", b"member")))
    assert [t.name for t in layout.tables[1:]] == ["survey-member~1", "survey-visit", "survey-member~2"]


def test_a_layout_key_changes_with_the_columns_and_nothing_else():
    from server.domain.export_rows import layout_key

    schema = read_xform_schema(XFORM)
    same = layout_key(export_layout("survey", read_xform_schema(XFORM)))
    assert layout_key(export_layout("survey", schema)) == same and len(same) == 32
    renamed = XFORM.replace(b"<age/>", b"<years/>").replace(b"/survey/age", b"/survey/years")
    assert layout_key(export_layout("survey", read_xform_schema(renamed))) != same
    retyped = XFORM.replace(b'nodeset="/survey/location" type="geopoint"', b'nodeset="/survey/location" type="string"')
    assert layout_key(export_layout("survey", read_xform_schema(retyped))) != same  # one column instead of four
    assert layout_key(export_layout("other", schema)) != same


def test_kept_cells_are_the_cells_the_writer_writes_inside_a_row():
    from server.adapters.export_files import csv_cells, csv_line

    row = ["=1+2", None, "", 'say "hi", then', "line\nbreak", -5, 1.5, "王芳"]
    out = spooled_csv()
    out.write_after(csv_cells(row[:4]), row[4:])
    out.write_after(csv_cells([""]), ["x"])  # one empty cell: a comma, never the '""' of a row of one empty cell
    out.write_text(csv_line(row))
    with out.detach() as file:
        written = file.read().decode("utf-8-sig")
    expected = io.StringIO()
    csv.writer(expected).writerows([[neutralise(c) for c in row], ["", "x"], [neutralise(c) for c in row]])
    assert written == expected.getvalue()
