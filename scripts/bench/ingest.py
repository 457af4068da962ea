"""Benchmark 1: ingest rate of Collect submissions through gunicorn, against a bare baseline in the same run.

Bodies are home-visit submissions as ODK Collect sends them (57 answered fields, a new case registered by
each, written as OkHttp writes multipart), XML only or with 1 or 3 photos of 1 MB, each request with a new
instanceID and unique photo bytes. The load generator runs on loopback in 2 processes × (concurrency / 2)
threads with keep-alive connections, for a fixed time per cell, and stops by itself.

Beside Lastmeter runs one job worker, which applies each visit to its case after the 201; the delay from arrival
to application is measured for every visit of a cell.

Run: .venv/bin/python scripts/bench/ingest.py [--seconds 10] [--concurrency 8 32] [--databases sqlite postgresql]
     [--servers sync:3 gthread:5:4]  (gunicorn settings to compare, each for the baseline and Lastmeter)
"""
from __future__ import annotations

import argparse
import http.client
import multiprocessing
import os
import statistics
import tempfile
import threading
import time
import uuid
from pathlib import Path

from common import ROOT, publish, table
from setup import app_config, database, environment, prepare

INSTANCE = "uuid:00000000-0000-4000-8000-000000000000"
CASE = "11111111-1111-4111-8111-111111111111"
PHOTO_NAMES = ("1714558951001.jpg", "1714558951002.jpg", "1714558951003.jpg")
PHOTO_FIELDS = ("photos/photo_home", "photos/photo_situation", "sign/signature")
MB = 1024 * 1024
BOUNDARY = "benchboundary7MA4YWxkTrZu0gW"


def template(xform: str, photos: int) -> bytes:
    from server.domain.instances import build_instance

    values = {"visit_date": "2026-11-20", "case_mode": "new", "location": "25.04061 102.71230 1891 4.8",
              "presence/present_people": "self spouse", "situation/living_conditions": "fair",
              "situation/health_status": "fair", "situation/mental_state": "good",
              "services/needs": "social_assistance social_affairs", "services/services_given": "policy_explanation",
              "referral/referral_made": "no", "risk/risk_flags": "none", "risk_level": "low",
              "registration/reg_name": "王桂英", "registration/reg_gender": "female",
              "registration/reg_birth_date": "1948-03-02", "registration/reg_category": "destitute",
              "registration/reg_village": "530102001001"}
    for field, name in zip(PHOTO_FIELDS, PHOTO_NAMES[:photos]):
        values[field] = name
    entity = {"id": CASE, "create": "1", "update": "0", "label": "王桂英 · 团结社区"}
    return build_instance(xform.encode(), values, INSTANCE, entity=entity, drop=("case",))


def body_parts(xml_template: bytes, photos: int, pool: bytes) -> list[bytes]:
    """The body split where the per-request instanceID, case id and photo bytes go."""
    head = (f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"xml_submission_file\"; "
            f"filename=\"入户访视_2026-11-20_10-22-31.xml\"\r\nContent-Type: text/xml\r\n\r\n").encode()
    parts = [head, xml_template, b"\r\n"]
    for name in PHOTO_NAMES[:photos]:
        parts.append((f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{name}\"\r\n"
                      "Content-Type: image/jpeg\r\n\r\n").encode())
        parts.append(pool)
        parts.append(b"\r\n")
    parts.append(f"--{BOUNDARY}--\r\n".encode())
    return parts


def make_body(parts: list[bytes]) -> bytes:
    instance, case = f"uuid:{uuid.uuid4()}", str(uuid.uuid4())
    out = []
    for part in parts:
        if part is parts[1]:
            out.append(part.replace(INSTANCE.encode(), instance.encode()).replace(CASE.encode(), case.encode()))
        elif len(part) >= MB:
            out.append(b"\xff\xd8\xff\xe0" + os.urandom(32) + part[36:])  # unique bytes: no deduplication
        else:
            out.append(part)
    return b"".join(out)


def _load_process(port: int, path: str, parts: list[bytes], threads: int, seconds: float, queue) -> None:
    results: list[tuple[int, float]] = []
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def run() -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        mine = []
        while time.monotonic() < deadline:
            body = make_body(parts)
            started = time.monotonic()
            try:
                connection.request("POST", path, body=body, headers={
                    "Content-Type": f"multipart/form-data; boundary={BOUNDARY}", "X-OpenRosa-Version": "1.0",
                    "User-Agent": "org.odk.collect.android/v2026.2.1 bench"})
                response = connection.getresponse()
                response.read()
                mine.append((response.status, time.monotonic() - started))
            except (OSError, http.client.HTTPException):
                mine.append((0, time.monotonic() - started))
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        connection.close()
        with lock:
            results.extend(mine)

    workers = [threading.Thread(target=run) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    queue.put(results)


def load(port: int, path: str, parts: list[bytes], concurrency: int, seconds: float) -> dict[str, float]:
    processes = 2
    queue = multiprocessing.get_context("fork").Queue()
    started = time.monotonic()
    children = [multiprocessing.get_context("fork").Process(
        target=_load_process, args=(port, path, parts, concurrency // processes, seconds, queue))
        for _ in range(processes)]
    for child in children:
        child.start()
    results = []
    for _ in children:
        results.extend(queue.get(timeout=seconds + 300))
    for child in children:
        child.join(timeout=60)
    elapsed = time.monotonic() - started
    ok = [latency for status, latency in results if status == 201]
    return {"rate": len(ok) / elapsed, "ok": len(ok), "errors": len(results) - len(ok),
            "p50": statistics.median(ok) if ok else float("nan"),
            "p95": statistics.quantiles(ok, n=20)[-1] if len(ok) >= 20 else float("nan")}


def run_server(env: dict[str, str], target: str, log: Path, pythonpath: str | None = None):
    """gunicorn with deploy/gunicorn.conf.py serving ``target``; returns (process, port)."""
    import subprocess

    from tests.support.gunicorn import GUNICORN, free_port

    port = free_port()
    full = {**os.environ, **env, "GUNICORN_BIND": f"127.0.0.1:{port}", "PYTHONWARNINGS": "ignore"}
    if pythonpath:
        full["PYTHONPATH"] = pythonpath
    out = open(log, "ab")
    process = subprocess.Popen([str(GUNICORN), "-c", str(ROOT / "deploy" / "gunicorn.conf.py"), target], cwd=ROOT,
                               env=full, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    out.close()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("HEAD", "/submission")
            connection.getresponse().read()
            connection.close()
            return process, port
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError(f"gunicorn did not start: {log.read_text()[-2000:]}")


def stop(process) -> None:
    import signal

    os.killpg(process.pid, signal.SIGTERM)
    process.wait(timeout=60)


def measure(server: dict[str, str], args, pool: bytes, work: Path) -> dict[tuple[str, int, int], dict[str, float]]:
    """Every cell for one gunicorn setting: the bare baseline and Lastmeter on each database, same bodies."""
    rates: dict[tuple[str, int, int], dict[str, float]] = {}
    spool = work / "baseline-spool"
    spool.mkdir(exist_ok=True)
    process, port = run_server({**server, "BASELINE_SPOOL": str(spool)}, "baseline_app:app", work / "baseline.log",
                               pythonpath=str(ROOT / "scripts" / "bench"))
    try:
        with database("sqlite") as url:  # only to build the XForm the bodies fill
            xforms = prepare(app_config(url, work / "xform-media"))
        for photos in args.photos:
            parts = body_parts(template(xforms["xform:home_visit"], photos), photos, pool)
            for concurrency in args.concurrency:
                rates[("baseline", photos, concurrency)] = load(port, "/submission", parts, concurrency, args.seconds)
                print(server, "baseline", photos, concurrency, rates[("baseline", photos, concurrency)], flush=True)
    finally:
        stop(process)
    for kind in args.databases:
        with database(kind) as url:
            config = app_config(url, work / f"{kind}-media-{uuid.uuid4().hex[:6]}")
            prepared = prepare(config)
            process, port = run_server({**environment(config), **server}, "server.wsgi:app", work / f"{kind}.log")
            applier = None if args.no_worker else run_job_worker(environment(config), work / f"{kind}-worker.log")
            try:
                path = f"/key/{prepared['token']}/submission"
                for photos in args.photos:
                    parts = body_parts(template(prepared["xform:home_visit"], photos), photos, pool)
                    for concurrency in args.concurrency:
                        started = time.time()
                        cell = load(port, path, parts, concurrency, args.seconds)
                        cell.update(application(config, started, wait=0 if args.no_worker else 300))
                        rates[(kind, photos, concurrency)] = cell
                        print(server, kind, photos, concurrency, cell, flush=True)
            finally:
                if applier is not None:
                    stop(applier)
                stop(process)
    return rates


def run_job_worker(env: dict[str, str], log: Path):
    """One ``flask jobs-worker`` beside the server, as deploy/ runs it: it applies each visit to its case after
    the 201 (and makes the photos' thumbnails), sharing the machine's cores with the server."""
    import subprocess
    import sys

    out = open(log, "ab")
    process = subprocess.Popen([sys.executable, "-m", "flask", "--app", "server", "jobs-worker", "--threads", "1"],
                               cwd=ROOT, env={**os.environ, **env, "PYTHONWARNINGS": "ignore"}, stdout=out,
                               stderr=subprocess.STDOUT, start_new_session=True, preexec_fn=_ahead_of_the_servers)
    out.close()
    return process


def _ahead_of_the_servers() -> None:
    """The job worker's priority over the web workers, as deploy/lastmeter-jobs.service gives it (``Nice=-5``):
    under a load that takes every core, visits are still applied as they come; the phones wait a little longer."""
    try:
        os.nice(WORKER_NICE)
    except PermissionError:  # not root: the worker runs at the servers' priority, and the table says less
        pass


WORKER_NICE = -5


def application(config: dict[str, object], since: float, wait: float = 300) -> dict[str, float]:
    """Once the load has stopped, wait until every visit it sent is applied to its case; then the delay from
    each version's arrival to its application (p50, p95, max) and how long the backlog took to clear."""
    from datetime import datetime, timezone

    from sqlalchemy import create_engine, text

    engine = create_engine(str(config["DATABASE_URL"]))
    load_ended = time.monotonic()
    try:
        with engine.connect() as connection:
            while True:
                pending = connection.execute(text(
                    "SELECT count(*) FROM submission_version WHERE applied_at IS NULL")).scalar()
                connection.commit()
                if not pending or time.monotonic() - load_ended >= wait:
                    break
                time.sleep(0.1)
            drained = time.monotonic() - load_ended
            rows = connection.execute(text("SELECT created_at, applied_at FROM submission_version "
                                           "WHERE created_at >= :since AND applied_at IS NOT NULL"),
                                      {"since": datetime.fromtimestamp(since, timezone.utc)}).all()
    finally:
        engine.dispose()
    delays = sorted((_instant(applied) - _instant(created)).total_seconds() for created, applied in rows)
    if not delays:
        return {"applied": 0, "apply_p50": float("nan"), "apply_p95": float("nan"), "apply_max": float("nan"),
                "drained": drained, "pending": pending}
    return {"applied": len(delays), "apply_p50": statistics.median(delays),
            "apply_p95": delays[int(0.95 * (len(delays) - 1))], "apply_max": delays[-1], "drained": drained,
            "pending": pending}


def _instant(value):
    """A stored instant (SQLite gives text without an offset, PostgreSQL an aware datetime) as aware UTC."""
    from datetime import datetime, timezone

    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def gunicorn_setting(text: str) -> dict[str, str]:
    """``sync:3`` or ``gthread:5:4`` (worker class, workers, threads) as deploy/gunicorn.conf.py's environment."""
    kind, workers, *threads = text.split(":")
    return {"GUNICORN_WORKER_CLASS": kind, "WEB_CONCURRENCY": workers, "GUNICORN_THREADS": threads[0] if threads else "1"}


def label(server: dict[str, str]) -> str:
    workers, kind = server["WEB_CONCURRENCY"], server["GUNICORN_WORKER_CLASS"]
    return f"{workers} {kind}" + (f" × {server['GUNICORN_THREADS']} threads" if kind == "gthread" else "")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[8, 32])
    parser.add_argument("--databases", nargs="+", default=["sqlite", "postgresql"])
    parser.add_argument("--photos", type=int, nargs="+", default=[0, 1, 3])
    parser.add_argument("--no-worker", action="store_true",
                        help="no job worker: only what the request does (visits are left unapplied)")
    parser.add_argument("--servers", nargs="+", default=["sync:3"],
                        help="gunicorn settings to compare: CLASS:WORKERS[:THREADS], e.g. sync:3 gthread:5:4")
    args = parser.parse_args()
    pool = os.urandom(MB)
    servers = [gunicorn_setting(text) for text in args.servers]
    rows = []
    with tempfile.TemporaryDirectory(prefix="lastmeter-ingest-") as folder:
        for server in servers:
            rates = measure(server, args, pool, Path(folder))
            for photos in args.photos:
                for concurrency in args.concurrency:
                    base = rates[("baseline", photos, concurrency)]
                    row = [label(server), ("XML only" if not photos else f"{photos} × 1 MB photo"), concurrency,
                           f"{base['rate']:.0f}/s"]
                    for kind in args.databases:
                        cell = rates[(kind, photos, concurrency)]
                        ratio = cell["rate"] / base["rate"] if base["rate"] else float("nan")
                        row.append(f"{cell['rate']:.0f}/s ({ratio:.2f}×), p95 {cell['p95'] * 1000:.0f} ms"
                                   + (f", {cell['errors']:.0f} errors" if cell["errors"] else "")
                                   + f"; applied p95 {cell['apply_p95']:.1f} s, max {cell['apply_max']:.1f} s"
                                   + (f", {cell['pending']:.0f} never applied" if cell["pending"] else ""))
                    rows.append(row)
    header = ["gunicorn", "body", "concurrency", "bare baseline"] + [f"Lastmeter on {kind}" for kind in args.databases]
    body = table(header, rows)
    body += (f"\n\n{args.seconds:.0f} s per cell; `deploy/gunicorn.conf.py` with the setting of each row for both the "
             "baseline and Lastmeter (`--servers`), and one job worker beside Lastmeter (`flask jobs-worker --threads "
             "1`, at `nice -5` as `deploy/lastmeter-jobs.service` runs it), which applies each visit to its case after the 201; the load generator shares the machine's cores. "
             "\"Applied\": from a visit's arrival to its application (registering its new case), over the cell's "
             "visits, measured once the backlog left by the load has cleared. Targets: XML only ≥ 0.5× the baseline, "
             "one 1 MB photo ≥ 0.8×; applied p95 < 2 s under the same load.")
    publish("ingest", "1. Ingest rate through gunicorn, against a bare baseline", "scripts/bench/ingest.py", body)


if __name__ == "__main__":
    main()
