"""A small visit form used by the protocol tests, and instances of it as Collect would send them."""
from __future__ import annotations

from xml.sax.saxutils import escape

from tests.support.xlsforms import build_xlsform

VERSION = "2026010101"


def visit_xlsform(version: str = VERSION, title: str = "入户访视（测试）") -> bytes:
    zh, en = "label::中文 (zh)", "label::English (en)"
    return build_xlsform(
        survey=[
            {"type": "select_one_from_file cases.csv", "name": "case", zh: "服务对象", en: "Case"},
            {"type": "text", "name": "person", zh: "姓名", en: "Name"},
            {"type": "integer", "name": "age", zh: "年龄", en: "Age"},
            {"type": "decimal", "name": "income", zh: "收入", en: "Income"},
            {"type": "date", "name": "visit_date", zh: "日期", en: "Date"},
            {"type": "select_multiple needs", "name": "needs", zh: "需求", en: "Needs"},
            {"type": "geopoint", "name": "location", zh: "位置", en: "Location"},
            {"type": "image", "name": "photo", zh: "照片", en: "Photo", "parameters": "max-pixels=1600"},
            {"type": "image", "name": "photo2", zh: "照片2", en: "Photo 2", "parameters": "max-pixels=1600"},
            {"type": "begin repeat", "name": "member", zh: "成员", en: "Member"},
            {"type": "text", "name": "member_name", zh: "成员姓名", en: "Member name"},
            {"type": "integer", "name": "member_age", zh: "成员年龄", en: "Member age"},
            {"type": "end repeat", "name": "member"},
        ],
        choices=[{"list_name": "needs", "name": n, zh: n, en: n} for n in ("care", "money", "school")],
        settings={"form_id": "visit", "form_title": title, "version": version, "default_language": "中文 (zh)"},
    )


def visit_xml(instance_id: str, *, person: str = "王芳", photo: str | None = "1714558951234.jpg",
              photo2: str | None = None, deprecated_id: str | None = None, version: str = VERSION,
              case: str = "", location: str = "25.0406 102.7123 1891.5 4.8", age: str = "67",
              form_id: str = "visit", members: tuple[tuple[str, str], ...] = (("李强", "40"), ("李娜", "12"))) -> bytes:
    def element(name: str, value: str | None) -> str:
        return f"<{name}>{escape(value)}</{name}>" if value else f"<{name}/>"

    member_xml = "".join(f"<member><member_name>{escape(n)}</member_name><member_age>{a}</member_age></member>"
                         for n, a in members)
    deprecated = element("deprecatedID", deprecated_id) if deprecated_id else ""
    return (f"<?xml version='1.0' ?><data xmlns:jr=\"http://openrosa.org/javarosa\" "
            f"xmlns:orx=\"http://openrosa.org/xforms\" id=\"{form_id}\" version=\"{version}\">"
            f"{element('case', case)}{element('person', person)}{element('age', age)}<income>1250.5</income>"
            f"<visit_date>2026-11-20</visit_date><needs>care school</needs>{element('location', location)}"
            f"{element('photo', photo)}{element('photo2', photo2)}{member_xml}"
            f"<meta><instanceID>{instance_id}</instanceID>{deprecated}"
            f"<orx:instanceName>{escape(person)}</orx:instanceName></meta></data>").encode("utf-8")
