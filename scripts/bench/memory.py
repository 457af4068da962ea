"""Benchmark 2: memory of the server while it receives a 100 MB submission.

One gunicorn worker (deploy/gunicorn.conf.py, WEB_CONCURRENCY=1) on SQLite; a visit with a 99 MB video
streamed from a file by the client, as Collect sends it. Reported: the worker's resident memory before, its
high-water mark after (VmHWM), and the growth. The body is never held in memory: the multipart parser
writes parts to spool files that are hashed as they are written.

Run: .venv/bin/python scripts/bench/memory.py
"""
from __future__ import annotations

import http.client
import os
import tempfile
import uuid
from pathlib import Path

from common import publish, table
from ingest import BOUNDARY, body_parts, make_body, run_server, stop, template
from setup import app_config, database, environment, prepare

TARGET_MB = 20
SIZE = 99_000_000  # with the XML and framing just under the 100 MB (10^8 bytes) limit


def status_kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


def worker_pid(master: int) -> int:
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    return int(children[0])


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="lastmeter-memory-") as folder, database("sqlite") as url:
        work = Path(folder)
        config = app_config(url, work / "media")
        prepared = prepare(config)
        xml = template(prepared["xform:home_visit"], 1).replace(b"uuid:00000000-0000-4000-8000-000000000000",
                                                                 f"uuid:{uuid.uuid4()}".encode())
        body = work / "body"
        with open(body, "wb") as out:
            out.write((f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"xml_submission_file\"; "
                       "filename=\"visit.xml\"\r\nContent-Type: text/xml\r\n\r\n").encode() + xml + b"\r\n")
            out.write((f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"1714558951001.jpg\"; "
                       "filename=\"1714558951001.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n").encode())
            out.write(b"\xff\xd8\xff\xe0")
            remaining = SIZE
            while remaining:
                chunk = os.urandom(min(remaining, 4 * 1024 * 1024))
                out.write(chunk)
                remaining -= len(chunk)
            out.write(f"\r\n--{BOUNDARY}--\r\n".encode())
        env = {**environment(config), "WEB_CONCURRENCY": "1", "GUNICORN_THREADS": "1"}
        process, port = run_server(env, "server.wsgi:app", work / "gunicorn.log")
        try:
            pid = worker_pid(process.pid)
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
            # warm up: the first request loads what every request needs (form schema, templates…)
            warm = make_body(body_parts(template(prepared["xform:home_visit"], 0), 0, b""))
            connection.request("POST", f"/key/{prepared['token']}/submission", body=warm, headers={
                "Content-Type": f"multipart/form-data; boundary={BOUNDARY}", "X-OpenRosa-Version": "1.0"})
            connection.getresponse().read()
            Path(f"/proc/{pid}/clear_refs").write_text("5")  # reset the high-water mark to now
            before = status_kb(pid, "VmRSS")
            with open(body, "rb") as stream:
                connection.request("POST", f"/key/{prepared['token']}/submission", body=stream, headers={
                    "Content-Type": f"multipart/form-data; boundary={BOUNDARY}", "X-OpenRosa-Version": "1.0",
                    "Content-Length": str(body.stat().st_size)})
                response = connection.getresponse()
                response.read()
            connection.close()
            peak = status_kb(pid, "VmHWM")
            after = status_kb(pid, "VmRSS")
            status = response.status
        finally:
            stop(process)
    growth = (peak - before) / 1024
    rows = [(f"{(SIZE + len(xml)) / 1e6:.0f} MB", status, f"{before / 1024:.1f} MB", f"{peak / 1024:.1f} MB",
             f"{after / 1024:.1f} MB", f"{growth:.1f} MB", "yes" if growth <= TARGET_MB else "no")]
    body_text = table(("submission", "answer", "worker RSS before", "high-water mark", "RSS after", "growth",
                       f"≤ {TARGET_MB} MB"), rows)
    body_text += ("\n\nThe photo field references a 99 MB file (random bytes behind a JPEG signature); the worker streams "
                  "each part to a spool file hashed as it is written, then renames it into the media folder.")
    publish("memory", "2. Server memory while receiving a 100 MB submission", "scripts/bench/memory.py", body_text)


if __name__ == "__main__":
    main()
