"""Media storage settings: the backend, downloads and the S3 bucket, checked at start-up."""
import pytest

from server.config import load_config
from server.errors import ConfigError
from server.media import build_storage
from server.media.s3 import S3Storage
from server.media.storage import LocalStorage

DEV = {"LASTMETER_ENV": "development"}
S3 = {**DEV, "LASTMETER_MEDIA_BACKEND": "s3", "LASTMETER_S3_BUCKET": "lastmeter-media",
      "LASTMETER_S3_ENDPOINT_URL": "http://127.0.0.1:9000", "LASTMETER_S3_ACCESS_KEY_ID": "minio",
      "LASTMETER_S3_SECRET_ACCESS_KEY": "minio-secret-key"}


def test_media_defaults_to_the_local_folder_proxied(tmp_path):
    values = load_config(DEV, str(tmp_path))
    assert (values["MEDIA_BACKEND"], values["MEDIA_DOWNLOADS"], values["MEDIA_URL_EXPIRY_SECONDS"]) == (
        "local", "proxy", 300)
    assert isinstance(build_storage(values), LocalStorage)


def test_s3_backend_builds_the_bucket_storage_with_its_spool_in_the_media_folder(tmp_path):
    values = load_config({**S3, "LASTMETER_S3_PREFIX": "/lastmeter/", "LASTMETER_MEDIA_DOWNLOADS": "redirect"},
                         str(tmp_path))
    storage = build_storage(values)
    try:
        assert isinstance(storage, S3Storage)
        assert storage.bucket == "lastmeter-media" and storage.prefix == "lastmeter/"
        assert storage.tmp == tmp_path / "media" / "tmp"
        assert storage.key_of("a" * 64) == f"lastmeter/blobs/aa/aa/{'a' * 64}"
    finally:
        storage.close()


@pytest.mark.parametrize("env, variable", [
    ({**DEV, "LASTMETER_MEDIA_BACKEND": "ftp"}, "LASTMETER_MEDIA_BACKEND"),
    ({**DEV, "LASTMETER_MEDIA_DOWNLOADS": "direct"}, "LASTMETER_MEDIA_DOWNLOADS"),
    ({**DEV, "LASTMETER_MEDIA_URL_EXPIRY_SECONDS": "0"}, "LASTMETER_MEDIA_URL_EXPIRY_SECONDS"),
    ({**DEV, "LASTMETER_MEDIA_URL_EXPIRY_SECONDS": "604801"}, "LASTMETER_MEDIA_URL_EXPIRY_SECONDS"),
    ({**DEV, "LASTMETER_MEDIA_URL_EXPIRY_SECONDS": "five minutes"}, "LASTMETER_MEDIA_URL_EXPIRY_SECONDS"),
    ({**S3, "LASTMETER_S3_BUCKET": ""}, "LASTMETER_S3_BUCKET"),
    ({**S3, "LASTMETER_S3_ENDPOINT_URL": "127.0.0.1:9000"}, "LASTMETER_S3_ENDPOINT_URL"),
    ({**S3, "LASTMETER_S3_SECRET_ACCESS_KEY": ""}, "LASTMETER_S3_SECRET_ACCESS_KEY"),
    ({**S3, "LASTMETER_S3_ADDRESSING_STYLE": "dns"}, "LASTMETER_S3_ADDRESSING_STYLE"),
])
def test_bad_media_settings_are_refused_with_the_variable_named(tmp_path, env, variable):
    with pytest.raises(ConfigError) as caught:
        load_config(env, str(tmp_path))
    assert caught.value.details["setting"] == variable


def test_the_secret_key_is_never_in_a_configuration_error(tmp_path):
    with pytest.raises(ConfigError) as caught:
        load_config({**S3, "LASTMETER_S3_ACCESS_KEY_ID": ""}, str(tmp_path))
    assert "minio-secret-key" not in str(caught.value.to_dict())


def test_s3_settings_are_not_checked_while_the_backend_is_local(tmp_path):
    values = load_config({**DEV, "LASTMETER_S3_ENDPOINT_URL": "not a url"}, str(tmp_path))
    assert values["MEDIA_BACKEND"] == "local"
