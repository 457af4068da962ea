"""Databases for the benchmarks: a SQLite file or a throwaway PostgreSQL 15 cluster, migrated and given a
small station network, the field forms, and a worker with a Collect token."""
from __future__ import annotations

import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from common import ROOT

SECRET = "bench-secret-key-0123456789"


@contextmanager
def database(kind: str) -> Iterator[str]:
    """A URL of an empty database of ``kind`` (sqlite | postgresql), removed afterwards."""
    if kind == "sqlite":
        with tempfile.TemporaryDirectory(prefix="lastmeter-bench-") as folder:
            yield f"sqlite:///{folder}/bench.sqlite3"
        return
    from tests.support.postgres import start_cluster

    cluster = start_cluster()
    try:
        yield cluster.create_database("bench")
    finally:
        cluster.stop()


def app_config(url: str, media: Path) -> dict[str, object]:
    return {"ENV": "production", "SECRET_KEY": SECRET, "DATABASE_URL": url, "MEDIA_ROOT": str(media),
            "PUBLIC_URL": "http://127.0.0.1", "JOBS_URL": f"sqlite:///{media.parent / 'jobs.sqlite3'}"}


def environment(config: dict[str, object]) -> dict[str, str]:
    return {f"LASTMETER_{key}": str(value) for key, value in config.items()}


def prepare(config: dict[str, object], forms: tuple[str, ...] = ("home_visit",)) -> dict[str, str]:
    """Migrate, load two counties with stations, publish forms; returns the worker's token."""
    from flask_migrate import upgrade

    from server import create_app
    from server.adapters.tabular import read_table
    from server.domain.places import AREA_COLUMNS
    from server.domain.stations import StationMode
    from server.extensions import db
    from server.services import accounts, places
    from server.services.forms import publish_form

    app = create_app(config)
    with app.app_context():
        upgrade(directory=str(ROOT / "server" / "migrations"))
        places.import_areas(read_table(ROOT / "tests" / "resources" / "areas_small.csv", AREA_COLUMNS).rows)
        places.create_station("530102001", StationMode.PURCHASED)
        places.create_station("530103001", StationMode.GOVERNMENT)
        for name in forms:
            publish_form((ROOT / "forms" / f"{name}.xlsx").read_bytes(), f"{name}.xlsx")
        worker = accounts.create_user("bench_worker", "worker", "530102001", "Bench-pass-2026")
        db.session.commit()
        token = accounts.active_collect_token(worker) or accounts.issue_collect_token(worker)
        db.session.commit()
        from server.queries import forms as form_queries

        result = {"token": token.token, "worker_id": str(worker.id)}
        for name in forms:
            result[f"xform:{name}"] = form_queries.get_form_by_xml_form_id(name).current_version.xml.decode()
        db.session.remove()
        db.engine.dispose()
    return result
