"""Small XLSForms built in tests, as a form designer would save them from Excel."""
from __future__ import annotations

import json
from functools import lru_cache
from io import BytesIO
from typing import Sequence

from openpyxl import Workbook


def build_xlsform(survey: Sequence[dict], settings: dict, choices: Sequence[dict] = ()) -> bytes:
    """The same sheets give the same bytes within a run (openpyxl stamps the time of saving), so the
    server's conversion cache recognises a form a test publishes again and ODK Validate runs once."""
    return _saved(json.dumps([list(survey), settings, list(choices)], ensure_ascii=False))


@lru_cache(maxsize=256)
def _saved(sheets_json: str) -> bytes:
    survey, settings, choices = json.loads(sheets_json)
    book = Workbook()
    _sheet(book.active, "survey", survey)
    if choices:
        _sheet(book.create_sheet(), "choices", choices)
    _sheet(book.create_sheet(), "settings", [settings])
    out = BytesIO()
    book.save(out)
    return out.getvalue()


def _sheet(sheet, title: str, rows: Sequence[dict]) -> None:
    sheet.title = title
    columns: list[str] = []
    for row in rows:
        columns += [c for c in row if c not in columns]
    sheet.append(columns)
    for row in rows:
        sheet.append([row.get(c) for c in columns])


def simple_form(version: str = "2026010101", label: str = "姓名", form_id: str = "simple") -> bytes:
    return build_xlsform(
        survey=[{"type": "text", "name": "person", "label::中文 (zh)": label, "label::English (en)": "Name"},
                {"type": "select_one_from_file cases.csv", "name": "case", "label::中文 (zh)": "对象",
                 "label::English (en)": "Case"}],
        settings={"form_id": form_id, "form_title": "简单表单", "version": version,
                  "default_language": "中文 (zh)"},
    )
