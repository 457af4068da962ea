"""A visit sent at 12:36 in Kunming (04:36 UTC) reads 12:36 on every page and spreadsheet made for people;
machine formats carry the offset (GeoJSON +08:00) or Central's UTC form (the CSV's SubmissionDate)."""
import csv
import io
import json
import zipfile
from datetime import datetime, timezone

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from server.extensions import db
from server.models import Submission
from server.services import review
from tests.support.visit_form import visit_xml
from tests.support.web import sign_in

SENT = datetime(2026, 11, 20, 4, 36, 30, tzinfo=timezone.utc)  # 12:36:30 Beijing time


@pytest.fixture
def visit_at_1236(client, collect, make_user):
    assert collect.submit(visit_xml("uuid:noon", photo=None), []).status_code == 201
    city = make_user("city", "admin", "530100", "City-pass-1")
    submission = db.session.scalar(select(Submission).where(Submission.instance_id == "uuid:noon"))
    submission.created_at = submission.versions[0].created_at = SENT
    review.set_review_state(submission, "approved", city, "好")
    submission.events[-1].created_at = SENT
    db.session.commit()
    sign_in(client, "city", "City-pass-1")
    return client


def test_pages_show_beijing_time_labelled_once(visit_at_1236):
    listing = visit_at_1236.get("/submissions").get_data(as_text=True)
    assert "2026-11-20 12:36" in listing and "04:36" not in listing
    assert "北京时间" in listing
    detail = visit_at_1236.get("/submissions/uuid:noon").get_data(as_text=True)
    assert detail.count("2026-11-20 12:36") == 2 and "04:36" not in detail  # received, and the review
    assert "北京时间" in detail and "UTC" not in detail


def test_spreadsheets_are_in_beijing_time_and_machine_formats_carry_their_offset(visit_at_1236):
    xlsx = visit_at_1236.get("/submissions/export?format=xlsx&form=visit").get_data()
    book = load_workbook(io.BytesIO(xlsx))
    try:
        words, header, row = list(book["visit"].iter_rows(max_row=3, values_only=True))
        assert words[0] == "提交时间（北京时间）" and header[0] == "SubmissionDate (北京时间)"
        assert row[0] == datetime(2026, 11, 20, 12, 36, 30)
    finally:
        book.close()
    geojson = json.loads(visit_at_1236.get("/submissions/export?format=geojson").get_data())
    assert geojson["features"][0]["properties"]["submitted_at"] == "2026-11-20T12:36:30+08:00"
    with zipfile.ZipFile(io.BytesIO(visit_at_1236.get("/submissions/export?format=csv&form=visit").get_data())) as z:
        root = list(csv.DictReader(io.TextIOWrapper(z.open("visit.csv"), encoding="utf-8-sig")))
    assert root[0]["SubmissionDate"] == "2026-11-20T04:36:30.000Z"  # Central's layout, for ruODK and pandas
