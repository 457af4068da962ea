"""Every configuration key Lastmeter reads, declared once, with its default.

Settings come from the environment (``LASTMETER_*``) and are checked when the app
starts. Nothing else in the code base reads the environment; everything else reads
``app.config`` through the names declared here.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Mapping
from urllib.parse import urlsplit

from server.errors import ConfigError

ENVIRONMENTS = ("development", "testing", "production")
MEDIA_BACKENDS = ("local", "s3")
MEDIA_DOWNLOADS = ("proxy", "redirect")
S3_ADDRESSING_STYLES = ("auto", "path", "virtual")


def _int(value: str) -> int:
    return int(value.strip())


def _str(value: str) -> str:
    return value.strip()


def _bool(value: str) -> bool:
    text = value.strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    raise ValueError("must be true or false")


@dataclass(frozen=True)
class Setting:
    """One configuration key: its environment variable, default and meaning."""

    key: str
    default: object
    parse: Callable[[str], object]
    doc: str

    @property
    def env_var(self) -> str:
        return f"LASTMETER_{self.key}"


# The single table of settings. ``None`` as a default means "derived at start-up"
# (see ``_derived_defaults``). README.md's configuration table mirrors this list.
SETTINGS: tuple[Setting, ...] = (
    Setting("ENV", "production", _str,
            "development, testing or production. Production refuses to start without a secret key."),
    Setting("SECRET_KEY", None, _str,
            "Signs sessions and tokens. Required outside development/testing."),
    Setting("DATABASE_URL", None, _str,
            "SQLAlchemy URL. Default: a SQLite file `lastmeter.sqlite3` in the instance folder. "
            "PostgreSQL: `postgresql+psycopg://user:pass@host/db`."),
    Setting("MEDIA_ROOT", None, _str,
            "Folder for photos and other media. Default: `media/` in the instance folder. "
            "With MEDIA_BACKEND=s3 it only holds uploads until they are sent to the bucket."),
    Setting("MEDIA_BACKEND", "local", _str,
            "Where media files are kept: local (the MEDIA_ROOT folder) or s3 (an S3-compatible bucket)."),
    Setting("MEDIA_DOWNLOADS", "proxy", _str,
            "How media downloads are served: proxy (through the app) or redirect (302 to a short-lived "
            "signed URL of the bucket; with the local backend downloads are always proxied)."),
    Setting("MEDIA_URL_EXPIRY_SECONDS", 300, _int, "How long a signed media URL stays valid (redirect downloads)."),
    Setting("S3_BUCKET", "", _str, "Bucket for media files; required when MEDIA_BACKEND=s3."),
    Setting("S3_ENDPOINT_URL", "", _str,
            "Endpoint of an S3-compatible service (MinIO, Ceph, Aliyun OSS, Tencent COS); empty: AWS S3."),
    Setting("S3_REGION", "us-east-1", _str, "Region the requests are signed for."),
    Setting("S3_ACCESS_KEY_ID", "", _str,
            "Access key; empty (with the secret empty too): boto3's own credential chain."),
    Setting("S3_SECRET_ACCESS_KEY", "", _str, "Secret of the access key; never logged."),
    Setting("S3_PREFIX", "", _str, "Key prefix for every object, to share a bucket (e.g. `lastmeter`)."),
    Setting("S3_ADDRESSING_STYLE", "auto", _str,
            "auto, path (bucket in the path: MinIO, Ceph) or virtual (bucket in the host name: OSS, COS)."),
    Setting("PUBLIC_URL", "http://127.0.0.1:5000", _str,
            "The externally visible base URL; every absolute URL the server emits starts with it."),
    Setting("MAX_SUBMISSION_BYTES", 100_000_000, _int,
            "Largest submission body accepted (advertised to ODK Collect as X-OpenRosa-Accept-Content-Length)."),
    Setting("STORAGE_MIN_FREE_BYTES", 1_000_000_000, _int,
            "Free disk space under the media folder or the upload spool below which /healthz reports storage degraded."),
    Setting("IMPORT_MAX_BYTES", 10_000_000, _int,
            "Largest file accepted by an import (cases, stations, staff, areas), as uploaded."),
    Setting("IMPORT_MAX_UNPACKED_BYTES", 50_000_000, _int,
            "Largest total size of an imported XLSX's parts once unzipped (a zip bomb is refused before reading)."),
    Setting("IMPORT_MAX_ROWS", 50_000, _int, "Most rows an imported file may hold under its header."),
    Setting("IMPORT_MAX_COLUMNS", 100, _int, "Most columns an imported file may hold."),
    Setting("IMPORT_MAX_LINE_CHARS", 32_767, _int, "Longest line of an imported CSV, or cell of an XLSX (characters)."),
    Setting("API_MAX_JSON_BYTES", 1_000_000, _int,
            "Largest JSON body the REST API accepts (JSON bodies are also refused past 32 levels of nesting)."),
    Setting("ALLOWANCE_LINE_URBAN", 830, _int,
            "Monthly urban minimum-allowance line (yuan) that the household survey compares income with."),
    Setting("ALLOWANCE_LINE_RURAL", 560, _int,
            "Monthly rural minimum-allowance line (yuan) for the household survey."),
    Setting("TRUSTED_PROXIES", 0, _int,
            "Number of reverse proxies in front of the app whose X-Forwarded-* headers are trusted."),
    Setting("MAP_TILES", "", _str,
            "Map tiles of the submission and visit maps: tianditu (天地图, needs MAP_TIANDITU_KEY), amap (高德, "
            "GCJ-02), osm, or custom (MAP_TILE_URL); empty: no tiles — the maps show the points and say so."),
    Setting("MAP_TIANDITU_KEY", "", _str, "The 天地图 browser key (tk) for MAP_TILES=tianditu."),
    Setting("MAP_TILE_URL", "", _str,
            "Leaflet tile URL template for MAP_TILES=custom (set alone, it means custom)."),
    Setting("MAP_TILE_DATUM", "wgs84", _str,
            "Datum of custom tiles: wgs84, or gcj02 for Chinese providers (points are then shifted to match)."),
    Setting("MAP_TILE_ATTRIBUTION", "", _str, "Attribution text a custom tile provider requires."),
    Setting("LOGIN_RATE_LIMIT", "10 per minute", _str,
            "Sign-in attempts allowed per client address (Flask-Limiter syntax)."),
    Setting("SIGN_IN_FAILURE_LIMIT_CLIENT", "30 per 10 minutes", _str,
            "Failed sign-ins (web page, REST sessions, OpenRosa Digest/Basic) allowed per client address; "
            "only failures count, so workers behind one NAT address are not slowed by each other's success."),
    Setting("SIGN_IN_FAILURE_LIMIT_USER", "10 per 10 minutes", _str,
            "Failed sign-ins allowed per username, from any address (guessing one account from many addresses)."),
    Setting("COLLECT_TOKEN_FAILURE_LIMIT", "20 per 10 minutes", _str,
            "Unknown or revoked Collect token URLs (/key/<token>/) allowed per client address."),
    Setting("RATELIMIT_STORAGE_URL", "memory://", _str,
            "Where rate-limit counters live: memory:// (one process) or redis://host:6379/0 (several processes or "
            "machines count together). Redis away: each process counts alone until it answers again."),
    Setting("FEEDBACK_RATE_LIMIT_CLIENT", "10 per 10 minutes", _str,
            "Resident feedback submissions allowed per client address through a plaque link."),
    Setting("FEEDBACK_RATE_LIMIT_STATION", "300 per hour", _str,
            "Resident feedback submissions allowed per plaque link (a flood on one station)."),
    Setting("PLAQUE_FONT", "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc", _str,
            "Font the plaque's text is set in (Debian's fonts-noto-cjk)."),
    Setting("PLAQUE_FONT_INDEX", 2, _int, "Face of a font collection: 2 is Simplified Chinese in Noto Sans CJK."),
    Setting("PLAQUE_LOGO", "", _str, "PNG/JPEG of the social-work logo for plaques; empty: a drawn placeholder."),
    Setting("SATISFACTION_MIN_RESPONSES", 30, _int,
            "Below this many resident responses a satisfaction rate is reported as 'insufficient'."),
    Setting("JOBS_URL", None, _str,
            "Job queue: sqlite:///PATH (one machine; default `jobs.sqlite3` in the instance folder), "
            "postgresql://user:pass@host/db (several machines) or memory:// (run jobs at once, in the caller)."),
    Setting("CLOCK_OFFSET_SECONDS", 0, _int,
            "Shift of this machine's clock as the app reads it (a clock jump), for fault drills and tests; leave 0. "
            "The app keeps time by the database's clock in any case (docs/deploy.md, \"When things break\")."),
    Setting("OUTBOX_POLL_SECONDS", 2, _int,
            "How often each job worker looks for new events to number, alert on and deliver (1–60 s)."),
    Setting("WEBHOOK_TIMEOUT_SECONDS", 10, _int,
            "How long one delivery to a webhook or chat robot may take, connection and answer (1–60 s)."),
    Setting("WEBHOOK_MAX_ATTEMPTS", 12, _int,
            "Attempts of a delivery before it is marked failed (then resent only by hand); 12 spans about 2 days."),
    Setting("WEBHOOK_RETRY_BASE_SECONDS", 60, _int,
            "Wait after the first failed attempt; it doubles after each (with jitter), up to a day."),
    Setting("WEBHOOK_ALLOW_PRIVATE_TARGETS", False, _bool,
            "Allow subscriptions to loopback and private-network addresses (an intranet receiver); off by default."),
    Setting("FORMS_DIR", None, _str,
            "Folder of XLSForms that `publish-forms` publishes by default. Default: `forms/` of the checkout."),
)

SETTINGS_BY_KEY = {s.key: s for s in SETTINGS}


def load_config(
    environ: Mapping[str, str], instance_path: str, overrides: Mapping[str, object] | None = None
) -> dict[str, object]:
    """Build and check the configuration from an environment mapping and overrides.

    Overrides (used by tests) take precedence over the environment and are keyed by
    the bare setting name (``DATABASE_URL``), not the environment variable.
    """
    overrides = dict(overrides or {})
    values: dict[str, object] = {}
    for setting in SETTINGS:
        if setting.key in overrides:
            values[setting.key] = overrides.pop(setting.key)
            continue
        raw = environ.get(setting.env_var)
        if raw is None or raw.strip() == "":
            values[setting.key] = setting.default
            continue
        try:
            values[setting.key] = setting.parse(raw)
        except ValueError as exc:
            raise ConfigError(setting=setting.env_var, reason=str(exc)) from exc
    _apply_derived_defaults(values, instance_path)
    _check(values)
    values.update(overrides)  # Flask-level extras (e.g. TESTING) pass straight through
    return values


def _apply_derived_defaults(values: dict[str, object], instance_path: str) -> None:
    instance = Path(instance_path)
    if values["DATABASE_URL"] is None:
        values["DATABASE_URL"] = f"sqlite:///{instance / 'lastmeter.sqlite3'}"
    if values["MEDIA_ROOT"] is None:
        values["MEDIA_ROOT"] = str(instance / "media")
    if values["JOBS_URL"] is None:
        values["JOBS_URL"] = f"sqlite:///{instance / 'jobs.sqlite3'}"
    if values["FORMS_DIR"] is None:
        values["FORMS_DIR"] = str(Path(__file__).resolve().parent.parent / "forms")
    if values["SECRET_KEY"] is None and values["ENV"] in ("development", "testing"):
        # A fixed key is fine on a laptop; production must set its own.
        values["SECRET_KEY"] = "lastmeter-development-only-key"


def _check(values: dict[str, object]) -> None:
    env = values["ENV"]
    if env not in ENVIRONMENTS:
        raise ConfigError(setting="LASTMETER_ENV", reason=f"must be one of {', '.join(ENVIRONMENTS)}")
    if not values["SECRET_KEY"]:
        raise ConfigError(setting="LASTMETER_SECRET_KEY", reason="required when LASTMETER_ENV=production")
    if env == "production" and len(str(values["SECRET_KEY"])) < 16:
        raise ConfigError(setting="LASTMETER_SECRET_KEY", reason="must be at least 16 characters")
    public = urlsplit(str(values["PUBLIC_URL"]))
    if public.scheme not in ("http", "https") or not public.netloc or public.query or public.fragment:
        raise ConfigError(setting="LASTMETER_PUBLIC_URL",
                          reason="must be an absolute http(s) URL without query, e.g. https://lastmeter.example.cn")
    values["PUBLIC_URL"] = str(values["PUBLIC_URL"]).rstrip("/")
    _check_map_tiles(values)
    if int(values["MAX_SUBMISSION_BYTES"]) < 1_000_000:  # type: ignore[arg-type]
        raise ConfigError(setting="LASTMETER_MAX_SUBMISSION_BYTES", reason="must be at least 1000000")
    for key in ("API_MAX_JSON_BYTES", "IMPORT_MAX_BYTES", "IMPORT_MAX_UNPACKED_BYTES", "IMPORT_MAX_ROWS", "IMPORT_MAX_COLUMNS",
                "IMPORT_MAX_LINE_CHARS"):
        if int(values[key]) < 1:  # type: ignore[arg-type]
            raise ConfigError(setting=f"LASTMETER_{key}", reason="must be at least 1")
    _check_rate_limits(values)
    _check_media(values)
    for key, low, high in (("OUTBOX_POLL_SECONDS", 1, 60), ("WEBHOOK_TIMEOUT_SECONDS", 1, 60),
                           ("WEBHOOK_MAX_ATTEMPTS", 1, 50), ("WEBHOOK_RETRY_BASE_SECONDS", 0, 86_400)):
        if not low <= int(values[key]) <= high:  # type: ignore[arg-type]
            raise ConfigError(setting=f"LASTMETER_{key}", reason=f"must be between {low} and {high}")
    if int(values["SATISFACTION_MIN_RESPONSES"]) < 1:  # type: ignore[arg-type]
        raise ConfigError(setting="LASTMETER_SATISFACTION_MIN_RESPONSES", reason="must be at least 1")


def _check_map_tiles(values: dict[str, object]) -> None:
    from server.domain.tiles import DATUMS, PRESETS

    if not values["MAP_TILES"] and values["MAP_TILE_URL"]:
        values["MAP_TILES"] = "custom"  # a tile URL alone, as before presets existed
    if values["MAP_TILES"] not in ("", *PRESETS):
        raise ConfigError(setting="LASTMETER_MAP_TILES", reason=f"must be empty or one of {', '.join(PRESETS)}")
    if values["MAP_TILE_DATUM"] not in DATUMS:
        raise ConfigError(setting="LASTMETER_MAP_TILE_DATUM", reason="must be wgs84 or gcj02")
    if values["MAP_TILES"] == "tianditu" and not values["MAP_TIANDITU_KEY"]:
        raise ConfigError(setting="LASTMETER_MAP_TIANDITU_KEY", reason="is required with LASTMETER_MAP_TILES=tianditu")
    if values["MAP_TILES"] == "custom" and not values["MAP_TILE_URL"]:
        raise ConfigError(setting="LASTMETER_MAP_TILE_URL", reason="is required with LASTMETER_MAP_TILES=custom")


RATE_LIMIT_STORAGES = ("memory://", "redis://", "rediss://")
# A Redis that does not answer must not hold a sign-in or a visit: give up quickly and count in the process.
RATE_LIMIT_REDIS_OPTIONS = {"socket_connect_timeout": 0.5, "socket_timeout": 0.5}
RATE_LIMIT_KEYS = ("LOGIN_RATE_LIMIT", "SIGN_IN_FAILURE_LIMIT_CLIENT", "SIGN_IN_FAILURE_LIMIT_USER",
                   "COLLECT_TOKEN_FAILURE_LIMIT", "FEEDBACK_RATE_LIMIT_CLIENT", "FEEDBACK_RATE_LIMIT_STATION")


def _check_rate_limits(values: dict[str, object]) -> None:
    """Rate limits in Flask-Limiter's syntax: a typo must stop the app, not switch a limit off."""
    from limits import parse_many

    for key in RATE_LIMIT_KEYS:
        try:
            parse_many(str(values[key]))
        except ValueError:
            raise ConfigError(setting=f"LASTMETER_{key}", reason="must read like '10 per minute'") from None
    if not str(values["RATELIMIT_STORAGE_URL"]).startswith(RATE_LIMIT_STORAGES):
        raise ConfigError(setting="LASTMETER_RATELIMIT_STORAGE_URL",
                          reason="must be memory:// or redis://host:port/db (rediss:// with TLS)")


def _check_media(values: dict[str, object]) -> None:
    """Media backend and downloads; the S3 settings only matter (and are only checked) with the s3 backend."""
    if values["MEDIA_BACKEND"] not in MEDIA_BACKENDS:
        raise ConfigError(setting="LASTMETER_MEDIA_BACKEND", reason="must be local or s3")
    if values["MEDIA_DOWNLOADS"] not in MEDIA_DOWNLOADS:
        raise ConfigError(setting="LASTMETER_MEDIA_DOWNLOADS", reason="must be proxy or redirect")
    # SigV4 signatures are valid for at most seven days.
    if not 1 <= int(values["MEDIA_URL_EXPIRY_SECONDS"]) <= 604_800:  # type: ignore[arg-type]
        raise ConfigError(setting="LASTMETER_MEDIA_URL_EXPIRY_SECONDS", reason="must be between 1 and 604800")
    if values["MEDIA_BACKEND"] != "s3":
        return
    if not values["S3_BUCKET"]:
        raise ConfigError(setting="LASTMETER_S3_BUCKET", reason="required when LASTMETER_MEDIA_BACKEND=s3")
    endpoint = urlsplit(str(values["S3_ENDPOINT_URL"]))
    if values["S3_ENDPOINT_URL"] and (endpoint.scheme not in ("http", "https") or not endpoint.netloc):
        raise ConfigError(setting="LASTMETER_S3_ENDPOINT_URL",
                          reason="must be an absolute http(s) URL, e.g. https://oss-cn-hangzhou.aliyuncs.com")
    if bool(values["S3_ACCESS_KEY_ID"]) != bool(values["S3_SECRET_ACCESS_KEY"]):
        raise ConfigError(setting="LASTMETER_S3_SECRET_ACCESS_KEY",
                          reason="and LASTMETER_S3_ACCESS_KEY_ID must be set together")
    if values["S3_ADDRESSING_STYLE"] not in S3_ADDRESSING_STYLES:
        raise ConfigError(setting="LASTMETER_S3_ADDRESSING_STYLE", reason="must be auto, path or virtual")


def flask_settings(values: Mapping[str, object]) -> dict[str, object]:
    """Flask and Flask-SQLAlchemy keys derived from Lastmeter's own settings."""
    url = str(values["DATABASE_URL"])
    # Bound values (Collect tokens, hashes) stay out of SQL logs and database error messages.
    from server.adapters.json_codec import loads

    # JSON columns read with orjson (``adapters/json_codec.py``): an export reads a million answer sets.
    engine_options: dict[str, object] = {"hide_parameters": True, "json_deserializer": loads}
    if url.startswith("postgresql"):
        engine_options["pool_pre_ping"] = True
    return {
        "SECRET_KEY": values["SECRET_KEY"],
        "SQLALCHEMY_DATABASE_URI": url,
        "SQLALCHEMY_ENGINE_OPTIONS": engine_options,
        # A little head-room over the advertised limit for multipart framing.
        "MAX_CONTENT_LENGTH": int(values["MAX_SUBMISSION_BYTES"]) + 1_000_000,  # type: ignore[arg-type]
        "TESTING": values["ENV"] == "testing",
        "JSON_AS_ASCII": False,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": str(values["PUBLIC_URL"]).startswith("https://"),
        "SESSION_COOKIE_NAME": "lastmeter_session",
        "PERMANENT_SESSION_LIFETIME": 12 * 3600,
        "RATELIMIT_STORAGE_URI": values["RATELIMIT_STORAGE_URL"],
        "RATELIMIT_STORAGE_OPTIONS": RATE_LIMIT_REDIS_OPTIONS if str(values["RATELIMIT_STORAGE_URL"]).startswith(
            "redis") else {},
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,  # Redis away: per-process counting (server/throttle.py)
        "RATELIMIT_HEADERS_ENABLED": True,
        # A CSRF token lives as long as its session (itself ended by the server at 12 h or sign-out): a timed
        # token would be judged by the machine's clock, which Flask-WTF reads directly — one jump and every open
        # form's token is "expired" or "from the future", and the user's work refused.
        "WTF_CSRF_TIME_LIMIT": None,
        "BABEL_DEFAULT_LOCALE": "zh",
        "BABEL_TRANSLATION_DIRECTORIES": "translations",
    }


def environment() -> Mapping[str, str]:
    """The process environment; the one place the code base reads it."""
    return os.environ
