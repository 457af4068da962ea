from sqlalchemy import func, select

from server.extensions import db
from server.models import Area
from tests.conftest import RESOURCES


def count_areas() -> int:
    return db.session.scalar(select(func.count()).select_from(Area))


def test_import_areas_builds_the_tree(runner):
    result = runner.invoke(args=["import-areas", str(RESOURCES / "areas_small.csv")])
    assert result.exit_code == 0, result.output
    assert "created 8" in result.output
    village = db.session.get(Area, "530102001001")
    assert village.path == "/530100/530102/530102001/530102001001/"
    assert village.parent.parent.name == "五华区"


def test_reimport_is_idempotent_and_renames(runner, tmp_path):
    runner.invoke(args=["import-areas", str(RESOURCES / "areas_small.csv")])
    again = runner.invoke(args=["import-areas", str(RESOURCES / "areas_small.csv")])
    assert again.exit_code == 0 and "unchanged 8" in again.output
    assert count_areas() == 8
    renamed = tmp_path / "rename.csv"
    renamed.write_text("code,name,parent_code,level\n530102002,护国路街道,530102,township\n", encoding="utf-8")
    result = runner.invoke(args=["import-areas", str(renamed)])
    assert "renamed 1" in result.output
    assert db.session.get(Area, "530102002").name == "护国路街道"


def test_bad_rows_are_all_reported_and_nothing_is_imported(runner):
    result = runner.invoke(args=["import-areas", str(RESOURCES / "areas_bad.csv")])
    assert result.exit_code == 1
    for line in (4, 5, 6, 7, 8, 9):
        assert f"line {line}:" in result.output, result.output
    assert "第 4 行" in result.output
    assert "line 2:" not in result.output and "line 3:" not in result.output
    assert count_areas() == 0


def test_gb18030_csv_from_chinese_excel_is_read(runner, tmp_path):
    path = tmp_path / "gbk.csv"
    path.write_bytes("code,name,parent_code,level\n530100,昆明市,,city\n".encode("gb18030"))
    result = runner.invoke(args=["import-areas", str(path)])
    assert result.exit_code == 0, result.output
    assert db.session.get(Area, "530100").name == "昆明市"


def test_xlsx_with_numeric_codes_is_read(runner, tmp_path):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["code", "name", "parent_code", "level"])
    sheet.append([530100, "昆明市", None, "city"])
    sheet.append([530102, "五华区", 530100, "county"])
    book.save(tmp_path / "areas.xlsx")
    result = runner.invoke(args=["import-areas", str(tmp_path / "areas.xlsx")])
    assert result.exit_code == 0, result.output
    assert db.session.get(Area, "530102").parent_code == "530100"


def test_missing_column_is_a_clear_error(runner, tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("code,name\n530100,昆明市\n", encoding="utf-8")
    result = runner.invoke(args=["import-areas", str(path)])
    assert result.exit_code == 1
    assert "parent_code" in result.output and "level" in result.output
