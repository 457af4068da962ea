"""Put a SQLite connection in WAL mode, safely when several processes open the same file at once.

Switching a file to WAL takes an exclusive lock, and SQLite can answer ``database is locked`` at once,
without its busy wait, when another process opens or converts the file at that instant (gunicorn forks
its workers together, and each opens the database and the job queue). The mode is persistent, so it is
set only when the file is not in WAL yet, and a lock is retried until ``timeout`` seconds have passed.
Used by the app's engine and by the job queue's storage.
"""
from __future__ import annotations

import sqlite3
import time


def ensure_wal(connection: sqlite3.Connection, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    delay = 0.01
    while True:
        try:
            cursor = connection.cursor()
            try:
                if cursor.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
                    cursor.execute("PRAGMA journal_mode=WAL")
                return
            finally:
                cursor.close()
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(delay)
            delay = min(delay * 2, 0.25)
