"""The database's clock: the one reference every app process and machine keeps time by (``domain/clock.py``)."""
from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.engine import Connection

_NOW = {
    # clock_timestamp(): the moment of the call (now() would be the transaction's start).
    "postgresql": "SELECT extract(epoch FROM clock_timestamp())",
    # SQLite reads the machine's clock, in milliseconds; julianday 2440587.5 is the POSIX epoch.
    "sqlite": "SELECT (julianday('now') - 2440587.5) * 86400.0",
}


def database_time(connection: Connection) -> float:
    """The database's time now, in POSIX seconds."""
    return float(connection.execute(text(_NOW[connection.dialect.name])).scalar_one())
