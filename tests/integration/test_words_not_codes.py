"""People see words, not codes: every page a supervisor reaches from the menu (and the pages those link to) is read
as a person reads it — visible text, alt texts, labels — and holds no choice code, internal field name, UUID,
Python repr or documentation path (issue: "People see words, not codes")."""
from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from server.extensions import db
from server.models import Station
from server.services.feedback import current_station_link
from tests.integration.test_cases_from_visits import field_forms, phone, register  # noqa: F401
from tests.integration.test_feedback import send
from tests.support.web import post_form, sign_in

CODES = re.compile(r"\b(female|male|planned|operating|received|approved|has_issues|rejected|destitute|left_behind_\w+|"
                   r"low_income\w*|social_worker|station_code|channel|purchased|elderly|social_assistance|"
                   r"reg_\w+|case_mode|moved_out|deceased|not_about_station|closing_reason|instance_id|"
                   r"review_state|plaque_link\.\w+)\b")
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
OTHER = re.compile(r"\{'|docs/|\bCI\b|uuid:")


class VisibleText(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.text: list[str] = []
        self.links: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag, attrs):
        found = dict(attrs)
        self._hidden += tag in ("script", "style")
        if tag == "a" and (found.get("href") or "").startswith("/"):
            self.links.append(found["href"])
        self.text += [value for key, value in attrs if key in ("alt", "title", "placeholder", "aria-label") and value]

    def handle_endtag(self, tag):
        self._hidden -= tag in ("script", "style")

    def handle_data(self, data):
        if not self._hidden and data.strip():
            self.text.append(data.strip())


@pytest.fixture
def county_world(client, phone, make_user):  # noqa: F811
    from pathlib import Path

    from server.services.forms import publish_form

    worker = phone("worker_w", "530102001")
    case_id, sent = register(worker, name="张桂英")
    assert sent.status_code == 201
    publish_form((Path(__file__).parents[2] / "forms" / "resident_feedback.xlsx").read_bytes(), "rf.xlsx")
    db.session.commit()
    assert send(client, current_station_link(db.session.get(Station, "530102001")).token,
                satisfaction="4").status_code == 201
    make_user("city", "admin", "530100", "City-pass-2026")
    sign_in(client, "city", "City-pass-2026")
    instance = next(link for link in _page(client, "/submissions").links if link.startswith("/submissions/uuid:"))
    assert post_form(client, instance, f"{instance}/review", {"review_state": "approved"}).status_code == 302
    assert post_form(client, f"/cases/{case_id}", f"/cases/{case_id}/close",
                     {"reason": "moved_out", "note": "迁往外省"}).status_code == 302
    assert post_form(client, "/stations/530102001", "/stations/530102001/plaque-link",
                     {"reason": "门牌被盗"}).status_code == 302
    return case_id


def _page(client, url: str) -> VisibleText:
    response = client.get(url, follow_redirects=True)
    assert response.status_code == 200, url
    parsed = VisibleText()
    parsed.feed(response.get_data(as_text=True))
    return parsed


def test_no_page_shows_a_code_a_uuid_or_a_repr(client, county_world):
    seen, queue, problems = set(), ["/dashboard", "/submissions", "/visits/map", "/cases", "/stations", "/audit"], []
    while queue:
        url = queue.pop(0)
        path = url.split("?")[0]
        if path in seen or path.startswith(("/static", "/media", "/lang", "/logout")) or "." in path.rsplit("/", 1)[-1]:
            continue
        seen.add(path)
        page = _page(client, url)
        text = " ".join(page.text)
        problems += [f"{path}: {found}" for pattern in (CODES, UUID, OTHER) for found in set(pattern.findall(text))]
        queue += [link for link in page.links if "export" not in link and "report.xlsx" not in link]
    assert {"/submissions", "/cases", "/audit", "/dashboard/print"} <= seen and any("/cases/" in p for p in seen)
    assert problems == [], "\n".join(sorted(set(problems))[:20])


def test_a_photo_answer_shows_as_its_thumbnail_not_its_file_name(client, collect, make_user):
    from tests.integration.test_exports import JPEG_A
    from tests.support.visit_form import visit_xml

    assert collect.submit(visit_xml("uuid:p1", photo="door.jpg"), [("door.jpg", JPEG_A)]).status_code == 201
    make_user("wuhua", "county", "530102", "Wuhua-pass-1")
    sign_in(client, "wuhua", "Wuhua-pass-1")
    page = client.get("/submissions/uuid:p1").get_data(as_text=True)
    answers = page[page.index('id="answers"'):page.index("</table>", page.index('id="answers"'))]
    assert '<img class="answer-photo" src="/media/uuid:p1/door.jpg?size=240"' in answers
    assert ">door.jpg<" not in answers


def test_exports_for_people_speak_the_forms_words_and_the_central_csv_keeps_its_codes(client, county_world):
    import csv
    import io
    import zipfile

    from openpyxl import load_workbook

    xlsx = client.get("/submissions/export?format=xlsx&form=home_visit")
    book = load_workbook(io.BytesIO(xlsx.data), read_only=True)
    words, codes, row = list(book.worksheets[0].iter_rows(max_row=3, values_only=True))
    book.close()
    by_code = dict(zip(codes, row))
    assert by_code["registration-reg_gender"] == "女" and words[codes.index("registration-reg_gender")] != \
        "registration-reg_gender"
    assert "特困" in by_code["registration-reg_category"]  # a select_multiple as its labels
    labelled = client.get("/submissions/export?format=csv_labels&form=home_visit")
    assert labelled.status_code == 200
    with zipfile.ZipFile(io.BytesIO(labelled.data)) as archive:
        table = list(csv.reader(io.StringIO(archive.read("home_visit.csv").decode("utf-8-sig"))))
    assert "女" in table[1] and "registration-reg_gender" not in table[0]
    central = client.get("/submissions/export?format=csv&form=home_visit")
    with zipfile.ZipFile(io.BytesIO(central.data)) as archive:
        table = list(csv.DictReader(io.StringIO(archive.read("home_visit.csv").decode("utf-8-sig"))))
    assert table[0]["registration-reg_gender"] == "female"  # ODK's codes, for the tools that read Central's CSV
