import pytest
from sqlalchemy import func, select

from server.errors import FormVersionConflict, InvalidForm
from server.extensions import db
from server.models import Form, FormVersion
from server.services.forms import PublishOutcome, publish_form
from tests.support.xlsforms import build_xlsform, simple_form


def versions_of(xml_form_id: str) -> list[str]:
    form = db.session.scalars(select(Form).where(Form.xml_form_id == xml_form_id)).one()
    return [v.version for v in form.versions]


def test_new_form_is_published_with_exact_bytes_and_hashes(app):
    result = publish_form(simple_form(), "simple.xlsx")
    assert result.outcome == PublishOutcome.CREATED
    version = db.session.scalars(select(FormVersion)).one()
    import hashlib

    assert version.md5 == hashlib.md5(version.xml).hexdigest()
    assert version.xml.startswith(b"<?xml")
    assert version.title == "简单表单"
    assert version.attachments == [{"name": "cases.csv", "kind": "file"}]
    assert version.form.current_version_id == version.id


def test_changed_form_with_new_version_adds_a_version_and_keeps_the_old(app):
    publish_form(simple_form("2026010101"), "simple.xlsx")
    result = publish_form(simple_form("2026010102", label="全名"), "simple.xlsx")
    assert result.outcome == PublishOutcome.NEW_VERSION
    assert versions_of("simple") == ["2026010101", "2026010102"]
    form = db.session.scalars(select(Form)).one()
    assert form.current_version.version == "2026010102"


def test_republishing_the_same_file_changes_nothing(app):
    publish_form(simple_form(), "simple.xlsx")
    again = publish_form(simple_form(), "simple.xlsx")
    assert again.outcome == PublishOutcome.UNCHANGED
    assert db.session.scalar(select(func.count()).select_from(FormVersion)) == 1


def test_same_version_with_different_content_is_refused(app):
    publish_form(simple_form("2026010101"), "simple.xlsx")
    with pytest.raises(FormVersionConflict) as caught:
        publish_form(simple_form("2026010101", label="全名"), "simple.xlsx")
    assert caught.value.code == "409.3"
    assert "version" in caught.value.message("en")
    assert versions_of("simple") == ["2026010101"]


def test_broken_xlsform_is_refused_with_the_row_number(app):
    broken = build_xlsform(
        survey=[{"type": "text", "name": "ok", "label": "OK"},
                {"type": "text", "name": "bad", "label": "Bad", "relevant": "${nothere} = 1"}],
        settings={"form_id": "broken", "version": "1"})
    with pytest.raises(InvalidForm) as caught:
        publish_form(broken, "broken.xlsx")
    assert caught.value.code == "400.3"
    assert "[row : 3]" in caught.value.message("en") and "nothere" in caught.value.message("en")
    assert db.session.scalar(select(func.count()).select_from(Form)) == 0


def test_form_that_only_javarosa_rejects_is_refused(app):
    cyclic = build_xlsform(
        survey=[{"type": "calculate", "name": "a", "calculation": "${b} + 1"},
                {"type": "calculate", "name": "b", "calculation": "${a} + 1"},
                {"type": "text", "name": "t", "label": "T"}],
        settings={"form_id": "cyclic", "version": "1"})
    with pytest.raises(InvalidForm) as caught:
        publish_form(cyclic, "cyclic.xlsx")
    assert "cycle" in caught.value.message("en").lower() or "circular" in caught.value.message("en").lower()
    assert db.session.scalar(select(func.count()).select_from(Form)) == 0


def test_form_without_version_is_refused(app):
    unversioned = build_xlsform(survey=[{"type": "text", "name": "t", "label": "T"}], settings={"form_id": "nov"})
    with pytest.raises(InvalidForm) as caught:
        publish_form(unversioned, "nov.xlsx")
    assert "version" in caught.value.message("en")


def test_not_a_workbook_is_refused(app):
    with pytest.raises(InvalidForm):
        publish_form(b"this is not a spreadsheet", "junk.xlsx")
    with pytest.raises(InvalidForm):
        publish_form(b"whatever", "form.pdf")


def test_publish_forms_command_publishes_files_all_or_nothing(runner, tmp_path):
    good = tmp_path / "good.xlsx"
    good.write_bytes(simple_form(form_id="good"))
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(build_xlsform(survey=[{"type": "select_one nowhere", "name": "x", "label": "X"}],
                                  settings={"form_id": "bad", "version": "1"}))
    result = runner.invoke(args=["publish-forms", str(good), str(bad)])
    assert result.exit_code == 1 and "400.3" in result.output
    assert db.session.scalar(select(func.count()).select_from(Form)) == 0
    result = runner.invoke(args=["publish-forms", str(good)])
    assert result.exit_code == 0 and "good 2026010101 created" in result.output
