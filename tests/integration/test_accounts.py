import pytest

from server.domain.access import Role
from server.errors import Conflict, InvalidCredentials, InvalidValue, NotFound
from server.extensions import db
from server.models import Area, Station
from server.queries import places as place_queries
from server.services import accounts


def test_create_user_hashes_the_password_and_authenticates(make_user):
    user = make_user("zhangsan", "county", "530102", "Kunming-2026")
    assert user.password_hash.startswith("scrypt:")
    assert "Kunming-2026" not in user.password_hash
    assert accounts.authenticate("ZhangSan", "Kunming-2026").id == user.id
    with pytest.raises(InvalidCredentials):
        accounts.authenticate("zhangsan", "kunming-2026")
    with pytest.raises(InvalidCredentials):
        accounts.authenticate("nobody", "Kunming-2026")


def test_inactive_user_cannot_sign_in(make_user):
    user = make_user("lisi", "worker", "530102001", "Kunming-2026")
    user.active = False
    db.session.commit()
    with pytest.raises(InvalidCredentials):
        accounts.authenticate("lisi", "Kunming-2026")


@pytest.mark.parametrize("role,scope", [
    ("county", "530100"),         # a county user scoped to the city
    ("county", "530102001"),      # … or to a township
    ("admin", "530102"),          # an admin scoped to a county
    ("station", "530102"),        # a station user needs a township
    ("worker", "530102001001"),   # … not a village
])
def test_role_needs_a_scope_of_the_right_level(network, role, scope):
    with pytest.raises(InvalidValue):
        accounts.create_user("someone", role, scope, "Kunming-2026")


def test_station_roles_need_a_station(network):
    with pytest.raises(NotFound):
        accounts.create_user("someone", "worker", "530102002", "Kunming-2026")  # 护国街道 has no station


@pytest.mark.parametrize("username,password", [("ab", "Kunming-2026"), ("张三", "Kunming-2026"),
                                               ("zhangsan", "short1"), ("zhangsan", "12345678901"),
                                               ("zhangsan", "onlyletters")])
def test_bad_username_or_weak_password_refused(network, username, password):
    with pytest.raises(InvalidValue):
        accounts.create_user(username, "admin", "530100", password)


def test_duplicate_username_refused(make_user):
    make_user("wangwu", "admin", "530100")
    with pytest.raises(Conflict):
        accounts.create_user("WangWu", "admin", "530100", "Kunming-2026")


def test_county_scope_contains_its_townships_and_stations_only(make_user):
    scope = accounts.scope_of(make_user("wuhua", "county", "530102"))
    townships = {a.code for a in place_queries.list_areas_in_scope(scope) if a.level == "township"}
    assert townships == {"530102001", "530102002"}
    assert [s.code for s in place_queries.list_stations_in_scope(scope)] == ["530102001"]
    assert scope.contains_path(db.session.get(Area, "530102001001").path)
    assert not scope.contains_path(db.session.get(Area, "530103001").path)


def test_station_scope_is_its_own_station(make_user):
    scope = accounts.scope_of(make_user("huashan", "station", "530102001"))
    assert scope.is_station_bound
    assert [s.code for s in place_queries.list_stations_in_scope(scope)] == ["530102001"]


def test_admin_scope_is_the_whole_city(make_user):
    scope = accounts.scope_of(make_user("city", "admin", "530100"))
    assert scope.role == Role.ADMIN
    assert len(place_queries.list_stations_in_scope(scope)) == 2


def test_create_user_command(runner, network):
    result = runner.invoke(args=["create-user", "laowang", "--role", "station", "--scope", "530103001",
                                 "--password", "Panlong-2026"])
    assert result.exit_code == 0, result.output
    assert accounts.authenticate("laowang", "Panlong-2026").scope_code == "530103001"
    again = runner.invoke(args=["create-user", "laowang", "--role", "station", "--scope", "530103001",
                                "--password", "Panlong-2026"])
    assert again.exit_code == 1 and "409.1" in again.output


def test_station_official_name_is_derived_from_the_areas(network):
    station = db.session.get(Station, "530102001")
    assert station.official_name == "昆明市五华区华山街道社会工作服务站"
    db.session.get(Area, "530102001").name = "华山新街道"
    db.session.flush()
    assert station.official_name == "昆明市五华区华山新街道社会工作服务站"


def test_ended_sessions_are_purged_after_thirty_days_and_live_ones_kept(make_user):
    from datetime import datetime, timedelta, timezone

    from sqlalchemy import select

    from server.jobs import purge_sessions
    from server.models import ApiSession

    make_user("purge_me", "county", "530102", "Secret-pass-1")
    now = datetime.now(timezone.utc)
    _, live = accounts.open_api_session("purge_me", "Secret-pass-1", now=now)
    _, expired = accounts.open_api_session("purge_me", "Secret-pass-1", now=now - timedelta(days=40))
    _, signed_out = accounts.open_api_session("purge_me", "Secret-pass-1", now=now - timedelta(days=35))
    accounts.close_api_session(signed_out, now=now - timedelta(days=35))
    _, recent = accounts.open_api_session("purge_me", "Secret-pass-1", now=now - timedelta(days=2))
    accounts.close_api_session(recent, now=now - timedelta(days=2))  # ended, but not yet 30 days ago
    db.session.commit()
    kept_ids = {live.id, recent.id}
    assert purge_sessions() == 2
    db.session.commit()
    assert set(db.session.scalars(select(ApiSession.id))) == kept_ids
