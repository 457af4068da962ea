from server.domain.access import Role, Scope, scope_level_allowed
from server.domain.places import AreaLevel, KnownArea, check_area_rows, station_official_name


def test_station_name_is_the_plaque_text_of_the_policy():
    assert station_official_name("昆明市", "五华区", "华山街道") == "昆明市五华区华山街道社会工作服务站"


def test_rows_are_ordered_parents_first_whatever_the_file_order():
    rows = [
        {"code": "530102001", "name": "华山街道", "parent_code": "530102", "level": "township"},
        {"code": "530102", "name": "五华区", "parent_code": "530100", "level": "county"},
        {"code": "530100", "name": "昆明市", "parent_code": "", "level": "city"},
    ]
    ordered, problems = check_area_rows(rows, {})
    assert problems == []
    assert [r.code for r in ordered] == ["530100", "530102", "530102001"]


def test_parent_may_already_be_stored():
    known = {"530102": KnownArea("530102", "五华区", "530100", AreaLevel.COUNTY)}
    rows = [{"code": "530102009", "name": "新街道", "parent_code": "530102", "level": "township"}]
    ordered, problems = check_area_rows(rows, known)
    assert problems == [] and ordered[0].parent_code == "530102"


def test_every_bad_row_is_reported_with_its_line():
    rows = [
        {"code": "530100", "name": "昆明市", "parent_code": "", "level": "city"},
        {"code": "12ab", "name": "x", "parent_code": "530100", "level": "county"},        # line 3
        {"code": "530102", "name": "", "parent_code": "530100", "level": "county"},       # line 4
        {"code": "530103", "name": "盘龙区", "parent_code": "530100", "level": "borough"},  # line 5
        {"code": "530103001", "name": "拓东", "parent_code": "530100", "level": "township"},  # line 6: wrong parent level
        {"code": "530100", "name": "again", "parent_code": "", "level": "city"},           # line 7: duplicate
        {"code": "530104", "name": "孤儿", "parent_code": "", "level": "county"},           # line 8: needs parent
    ]
    _, problems = check_area_rows(rows, {})
    assert sorted({p.line for p in problems}) == [3, 4, 5, 6, 7, 8]
    assert any("line 7" in p.render("en") and "repeats line 2" in p.render("en") for p in problems)


def test_an_area_cannot_move_to_another_parent():
    known = {"530102001": KnownArea("530102001", "华山街道", "530102", AreaLevel.TOWNSHIP),
             "530103": KnownArea("530103", "盘龙区", "530100", AreaLevel.COUNTY)}
    rows = [{"code": "530102001", "name": "华山街道", "parent_code": "530103", "level": "township"}]
    _, problems = check_area_rows(rows, known)
    assert len(problems) == 1 and "cannot be moved" in problems[0].en


def test_scope_contains_by_path_prefix():
    county = Scope(Role.COUNTY, "530102", "/530100/530102/")
    assert county.contains_path("/530100/530102/530102001/")
    assert not county.contains_path("/530100/530103/530103001/")
    assert not county.contains_path("/530100/")


def test_role_scope_levels():
    assert scope_level_allowed(Role.ADMIN, AreaLevel.CITY)
    assert scope_level_allowed(Role.COUNTY, AreaLevel.COUNTY)
    assert not scope_level_allowed(Role.COUNTY, AreaLevel.TOWNSHIP)
    assert scope_level_allowed(Role.WORKER, AreaLevel.TOWNSHIP)
    assert not scope_level_allowed(Role.STATION, AreaLevel.VILLAGE)
