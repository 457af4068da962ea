"""Settings of auth hygiene: rate limits are checked at start-up, SQL parameters never reach a log."""
import pytest

from server.config import flask_settings, load_config
from server.errors import ConfigError

TESTING = {"LASTMETER_ENV": "testing"}


@pytest.mark.parametrize("key", ["SIGN_IN_FAILURE_LIMIT_CLIENT", "SIGN_IN_FAILURE_LIMIT_USER",
                                 "COLLECT_TOKEN_FAILURE_LIMIT", "LOGIN_RATE_LIMIT"])
def test_a_mistyped_rate_limit_stops_the_app(tmp_path, key):
    with pytest.raises(ConfigError) as caught:
        load_config({**TESTING, f"LASTMETER_{key}": "ten a minute"}, str(tmp_path))
    assert f"LASTMETER_{key}" in caught.value.message("en")
    assert load_config({**TESTING, f"LASTMETER_{key}": "5 per 15 minutes"}, str(tmp_path))[key] == "5 per 15 minutes"


@pytest.mark.parametrize("url", ["sqlite:///x.sqlite3", "postgresql+psycopg://u:p@h/db"])
def test_sql_parameters_are_hidden_from_logs_and_errors(tmp_path, url):
    settings = flask_settings(load_config({**TESTING, "LASTMETER_DATABASE_URL": url}, str(tmp_path)))
    assert settings["SQLALCHEMY_ENGINE_OPTIONS"]["hide_parameters"] is True
