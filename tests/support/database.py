"""Emptying every table between tests, on SQLite and PostgreSQL alike."""
from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.engine import Engine

from server.extensions import db


def empty_all_tables(engine: Engine) -> None:
    tables = [t.name for t in db.metadata.sorted_tables]
    with engine.connect() as connection:
        if engine.dialect.name == "postgresql":
            quoted = ", ".join(f'"{name}"' for name in tables)
            connection.execute(text(f"TRUNCATE {quoted} RESTART IDENTITY CASCADE"))
            connection.commit()
            return
        connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
        for name in reversed(tables):
            connection.execute(text(f'DELETE FROM "{name}"'))
        connection.commit()
        connection.exec_driver_sql("PRAGMA foreign_keys=ON")
