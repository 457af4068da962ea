"""No question whose answer is counted or reported has a default answer, on any form or on the resident feedback
page: a resident who skips "which service" must not be recorded as having received social assistance."""
from html.parser import HTMLParser
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from server.extensions import db
from server.models import Submission
from tests.integration.test_feedback import WECHAT, plaque, send  # noqa: F401

FORMS = Path(__file__).parents[2] / "forms"
# Questions that only steer the form, never counted or reported, and why they may have a default.
STEERING = {("child_followup", "case_show_all"), ("elder_patrol", "case_show_all")}  # widens the case list


@pytest.mark.parametrize("path", sorted(FORMS.glob("*.xlsx")), ids=lambda p: p.stem)
def test_no_form_question_has_a_default_answer(path):
    workbook = load_workbook(path, read_only=True)
    try:
        rows = list(workbook["survey"].iter_rows(values_only=True))
    finally:
        workbook.close()
    header = [str(h or "").strip() for h in rows[0]]
    defaulted = [(path.stem, row[header.index("name")]) for row in rows[1:]
                 for column, value in zip(header, row)
                 if column.split("::")[0] == "default" and value not in (None, "")]
    assert set(defaulted) <= STEERING, f"questions with a default answer: {sorted(set(defaulted) - STEERING)}"


class _Choices(HTMLParser):
    """Every radio, checkbox and select of a page, and which of them starts with an answer."""

    def __init__(self):
        super().__init__()
        self.preset, self.select, self.options = [], None, {}

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "input" and attrs.get("type") in ("radio", "checkbox") and "checked" in attrs:
            self.preset.append(attrs["name"])
        elif tag == "select":
            self.select = attrs["name"]
            self.options[self.select] = []
        elif tag == "option" and self.select:
            self.options[self.select].append((attrs.get("value"), "selected" in attrs))

    def handle_endtag(self, tag):
        if tag == "select":
            self.select = None


def test_the_feedback_page_starts_with_no_answer_and_refuses_a_skipped_question(client, plaque):  # noqa: F811
    page = _Choices()
    page.feed(client.get(f"/f/{plaque.token}", headers={"User-Agent": WECHAT}).get_data(as_text=True))
    assert page.preset == [], f"answers given before the resident chose: {page.preset}"
    assert page.options["service_received"], "the page asks which service"
    for name, options in page.options.items():
        first_value, _ = options[0]
        chosen = [value for value, selected in options if selected]
        # a browser shows the first option when none is selected: it must be the empty "choose…" one
        assert first_value == "" and chosen in ([], [""]), f"{name} starts with an answer: {options[:2]}"
    assert send(client, plaque.token, service_received="").status_code == 400
    assert db.session.scalar(select(func.count()).select_from(Submission)) == 0
