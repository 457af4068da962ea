"""Several processes opening the same new SQLite file at once (gunicorn forks its workers together): every
one of them gets a WAL connection, for the app's database and for the job queue (server/adapters/sqlite_wal.py)."""
import multiprocessing


def _open_queue(path: str, barrier, results) -> None:
    from server.adapters.queue import build_queue

    barrier.wait()
    try:
        build_queue("sqlite:///" + path)
        results.put("ok")
    except Exception as exc:  # reported to the parent, which fails the test with it
        results.put(repr(exc))


def _together(opener, folder, trials: int = 40, processes: int = 6) -> list[str]:
    """Each trial, ``processes`` forked processes open one new file at the same instant; what each reported."""
    ctx = multiprocessing.get_context("fork")
    outcomes: list[str] = []
    for trial in range(trials):
        results, barrier = ctx.Queue(), ctx.Barrier(processes)
        started = [ctx.Process(target=opener, args=(str(folder / f"file{trial}.sqlite3"), barrier, results))
                   for _ in range(processes)]
        for process in started:
            process.start()
        outcomes += [results.get(timeout=60) for _ in started]
        for process in started:
            process.join()
    return outcomes


def test_processes_opening_a_new_sqlite_queue_together_all_start(tmp_path):
    # Gunicorn forks its workers together and each opens the queue file; switching a new file to WAL
    # while another process does the same can answer "database is locked" at once, without SQLite's
    # busy wait, and a worker that fails there fails the whole server's boot. Huey's own storage failed
    # about one opening in fifty here; the queue's storage retries.
    assert [outcome for outcome in _together(_open_queue, tmp_path) if outcome != "ok"] == []


def _open_database(path: str, barrier, results) -> None:
    from sqlalchemy import create_engine, text

    from server import _configure_sqlite

    engine = create_engine(f"sqlite:///{path}")
    _configure_sqlite(engine)
    barrier.wait()
    try:
        with engine.connect() as connection:
            results.put(connection.execute(text("PRAGMA journal_mode")).scalar())
    except Exception as exc:  # reported to the parent, which fails the test with it
        results.put(repr(exc))


def test_processes_opening_a_new_sqlite_database_together_all_get_wal(tmp_path):
    # The same race for the app's own database file, opened by every gunicorn worker.
    assert [outcome for outcome in _together(_open_database, tmp_path) if outcome != "wal"] == []
