import pytest

from server import create_app
from server.config import SETTINGS, load_config
from server.errors import ConfigError


def test_production_without_secret_key_refuses_to_start(tmp_path):
    with pytest.raises(ConfigError) as caught:
        load_config({"LASTMETER_ENV": "production"}, str(tmp_path))
    assert "LASTMETER_SECRET_KEY" in str(caught.value)


def test_create_app_refuses_to_start_without_secret_in_production(tmp_path, monkeypatch):
    monkeypatch.delenv("LASTMETER_SECRET_KEY", raising=False)
    monkeypatch.setenv("LASTMETER_ENV", "production")
    with pytest.raises(ConfigError):
        create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite3'}"})


def test_environment_defaults_to_production(tmp_path):
    with pytest.raises(ConfigError):
        load_config({}, str(tmp_path))


def test_short_secret_refused_in_production(tmp_path):
    with pytest.raises(ConfigError) as caught:
        load_config({"LASTMETER_ENV": "production", "LASTMETER_SECRET_KEY": "short"}, str(tmp_path))
    assert "16" in caught.value.message("en")


def test_development_defaults_live_in_the_instance_folder(tmp_path):
    values = load_config({"LASTMETER_ENV": "development"}, str(tmp_path))
    assert values["DATABASE_URL"] == f"sqlite:///{tmp_path / 'lastmeter.sqlite3'}"
    assert values["MEDIA_ROOT"] == str(tmp_path / "media")
    assert values["SECRET_KEY"]
    assert values["MAX_SUBMISSION_BYTES"] == 100_000_000


def test_environment_values_are_parsed_and_public_url_normalised(tmp_path):
    values = load_config({"LASTMETER_ENV": "production", "LASTMETER_SECRET_KEY": "x" * 32,
                          "LASTMETER_PUBLIC_URL": "https://ssw.km.gov.cn/", "LASTMETER_MAX_SUBMISSION_BYTES": "5000000",
                          "LASTMETER_DATABASE_URL": "postgresql+psycopg://u@db/lastmeter"}, str(tmp_path))
    assert values["PUBLIC_URL"] == "https://ssw.km.gov.cn"
    assert values["MAX_SUBMISSION_BYTES"] == 5_000_000
    assert values["DATABASE_URL"] == "postgresql+psycopg://u@db/lastmeter"


@pytest.mark.parametrize("env", [
    {"LASTMETER_ENV": "staging"},
    {"LASTMETER_ENV": "development", "LASTMETER_PUBLIC_URL": "ssw.km.gov.cn"},
    {"LASTMETER_ENV": "development", "LASTMETER_PUBLIC_URL": "https://ssw.km.gov.cn/?a=1"},
    {"LASTMETER_ENV": "development", "LASTMETER_MAX_SUBMISSION_BYTES": "lots"},
    {"LASTMETER_ENV": "development", "LASTMETER_MAX_SUBMISSION_BYTES": "1000"},
    {"LASTMETER_ENV": "development", "LASTMETER_SATISFACTION_MIN_RESPONSES": "0"},
])
def test_invalid_settings_are_refused_with_the_variable_named(tmp_path, env):
    with pytest.raises(ConfigError) as caught:
        load_config(env, str(tmp_path))
    assert caught.value.details["setting"].startswith("LASTMETER_")


def test_every_setting_is_documented_in_the_readme():
    from pathlib import Path

    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    missing = [s.env_var for s in SETTINGS if s.env_var not in readme]
    assert missing == []


@pytest.mark.parametrize("url, accepted", [("memory://", True), ("redis://10.0.0.5:6379/0", True),
                                           ("rediss://cache.internal:6380/1", True), ("redis:/oops", False),
                                           ("memcached://10.0.0.5", False)])
def test_rate_limit_counters_live_in_memory_or_redis_and_a_typo_stops_the_app(tmp_path, url, accepted):
    environ = {"LASTMETER_ENV": "development", "LASTMETER_RATELIMIT_STORAGE_URL": url}
    if accepted:
        assert load_config(environ, str(tmp_path))["RATELIMIT_STORAGE_URL"] == url
    else:
        with pytest.raises(ConfigError) as caught:
            load_config(environ, str(tmp_path))
        assert "LASTMETER_RATELIMIT_STORAGE_URL" in str(caught.value)


def test_redis_counters_give_up_quickly_and_fall_back_to_the_process(tmp_path):
    from server.config import flask_settings

    redis = flask_settings(load_config({"LASTMETER_ENV": "development",
                                        "LASTMETER_RATELIMIT_STORAGE_URL": "redis://10.0.0.5:6379/0"}, str(tmp_path)))
    assert redis["RATELIMIT_STORAGE_OPTIONS"]["socket_connect_timeout"] <= 1
    assert redis["RATELIMIT_IN_MEMORY_FALLBACK_ENABLED"] is True
    memory = flask_settings(load_config({"LASTMETER_ENV": "development"}, str(tmp_path)))
    assert memory["RATELIMIT_STORAGE_OPTIONS"] == {}
