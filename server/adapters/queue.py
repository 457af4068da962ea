"""The job queue backend (Huey): built from one URL, the only module that imports huey.

- ``sqlite:///path/jobs.sqlite3`` — one machine, no extra server (the default, next to the database);
- ``postgresql://user:pass@host/db`` — several machines sharing the PostgreSQL they already use (Huey's
  SQL storage: a task row is claimed with ``SELECT … FOR UPDATE SKIP LOCKED`` and deleted in the same
  transaction, so two workers never take the same job);
- ``memory://`` — tasks run at once inside the caller (tests and one-off commands).
"""
from __future__ import annotations

from huey import MemoryHuey, SqliteHuey
from huey.api import Huey

from server.errors import ConfigError


def build_queue(url: str, name: str = "lastmeter") -> Huey:
    if url == "memory://":
        return MemoryHuey(name, immediate=True)
    if url.startswith("sqlite:///"):
        # Huey's SQLite storage claims a task inside BEGIN EXCLUSIVE: safe for several local processes.
        return SqliteHuey(name, filename=url[len("sqlite:///"):], journal_mode="wal", timeout=30, fsync=True)
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
