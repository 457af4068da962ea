"""The job queue backend (Huey): built from one URL, the only module that imports huey.

- ``sqlite:///path/jobs.sqlite3`` — one machine, no extra server (the default, next to the database);
- ``postgresql://user:pass@host/db`` — several machines sharing the PostgreSQL they already use (Huey's
  SQL storage: a task row is claimed with ``SELECT … FOR UPDATE SKIP LOCKED`` and deleted in the same
  transaction, so two workers never take the same job);
- ``memory://`` — tasks run at once inside the caller (tests and one-off commands).
"""
from __future__ import annotations

import sqlite3

from huey import MemoryHuey, SqliteHuey
from huey.api import Huey
from huey.storage import SqliteStorage

from server.adapters.sqlite_wal import ensure_wal
from server.errors import ConfigError


class _SqliteStorage(SqliteStorage):
    """Huey's SQLite storage, but WAL is set as ``sqlite_wal.ensure_wal`` does: several processes opening a
    new queue file together all start (Huey's own pragma failed about one opening in fifty)."""

    def _create_connection(self):
        conn = sqlite3.connect(self.filename, timeout=self._timeout, **self._conn_kwargs)
        conn.isolation_level = None  # autocommit, as Huey's storage expects
        try:
            ensure_wal(conn, self._timeout)
            if self._cache_mb:
                conn.execute(f"pragma cache_size={-1000 * self._cache_mb}")
            conn.execute(f"pragma synchronous={2 if self._fsync else 0}")
        except BaseException:
            conn.close()
            raise
        return conn


def build_queue(url: str, name: str = "lastmeter") -> Huey:
    if url == "memory://":
        return MemoryHuey(name, immediate=True)
    if url.startswith("sqlite:///"):
        # Huey's SQLite storage claims a task inside BEGIN EXCLUSIVE: safe for several local processes.
        return SqliteHuey(name, filename=url[len("sqlite:///"):], timeout=30, fsync=True,
                          storage_class=_SqliteStorage)
    if url.startswith(("postgresql://", "postgresql+psycopg://", "postgres://")):
        from huey.contrib.sql_huey import SqlHuey

        return SqlHuey(name, database="postgresql://" + url.split("://", 1)[1])
    raise ConfigError(setting="LASTMETER_JOBS_URL",
                      reason="must be sqlite:///PATH, postgresql://… or memory:// / 应为 sqlite:///、postgresql:// 或 memory://")


def every_minutes(queue: Huey, name: str, minutes: int, fn):
    """Register ``fn`` to run every ``minutes`` on the consumer that runs the scheduler."""
    from huey import crontab

    return queue.periodic_task(crontab(minute=f"*/{minutes}" if minutes < 60 else "0"), name=name)(fn)


def run_workers(queue: Huey, workers: int, periodic: bool = True) -> None:
    """Run the consumer in this process until SIGTERM/SIGINT: ``workers`` threads claiming tasks."""
    consumer = queue.create_consumer(workers=workers, worker_type="thread", periodic=periodic,
                                     initial_delay=0.05, max_delay=2.0, backoff=1.5, check_worker_health=True)
    consumer.run()
