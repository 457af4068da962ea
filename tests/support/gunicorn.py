"""The real production server in a test: gunicorn with deploy/gunicorn.conf.py on a free loopback port."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

ROOT = Path(__file__).parents[2]
GUNICORN = Path(sys.executable).parent / "gunicorn"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Gunicorn:
    def __init__(self, env: dict[str, str], log: Path, workers: int = 2) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        self.env = {**os.environ, **env, "GUNICORN_BIND": f"127.0.0.1:{self.port}",
                    "WEB_CONCURRENCY": str(workers), "PYTHONWARNINGS": "ignore"}
        self.process: subprocess.Popen | None = None

    def start(self, wait: float = 60) -> None:
        with open(self.log, "ab") as out:
            self.process = subprocess.Popen(
                [str(GUNICORN), "-c", str(ROOT / "deploy" / "gunicorn.conf.py"), "server.wsgi:app"],
                cwd=ROOT, env=self.env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.process.returncode}: {self.log.read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(f"{self.url}/healthz", timeout=2) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"gunicorn did not answer within {wait} s: {self.log.read_text()[-2000:]}")

    def kill(self) -> None:
        """SIGKILL the whole process group: master and workers die mid-whatever they were doing."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()


@contextmanager
def gunicorn(env: dict[str, str], log: Path, workers: int = 2) -> Iterator[Gunicorn]:
    server = Gunicorn(env, log, workers)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def app_env(app) -> dict[str, str]:
    """The environment that makes gunicorn's workers build the same app as the test's ``app`` fixture."""
    config = app.config
    return {"LASTMETER_ENV": "production", "LASTMETER_SECRET_KEY": config["SECRET_KEY"],
            "LASTMETER_DATABASE_URL": config["SQLALCHEMY_DATABASE_URI"], "LASTMETER_MEDIA_ROOT": str(config["MEDIA_ROOT"]),
            "LASTMETER_PUBLIC_URL": config["PUBLIC_URL"]}
