"""A throwaway PostgreSQL cluster for the test suite (and benchmarks).

``initdb`` + ``pg_ctl`` on a free loopback port, ``trust`` auth, run as the
``postgres`` system user when we are root (PostgreSQL refuses to run as root).
Failing to start raises: the suite must never silently skip PostgreSQL.
"""
from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path


class PostgresUnavailable(RuntimeError):
    pass


def _bindir() -> Path:
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), reverse=True)
    for found in ["/usr/lib/postgresql/15/bin/initdb", *candidates, shutil.which("initdb") or ""]:
        if found and os.path.exists(found):
            return Path(found).parent
    raise PostgresUnavailable("initdb not found: install PostgreSQL (apt-get install postgresql)")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Cluster:
    directory: Path
    port: int
    bindir: Path
    durable: bool = False  # a crash (``-m immediate``) loses no committed transaction, as in production

    @property
    def options(self) -> str:
        speed = "" if self.durable else "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
        return f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1 {speed}-c max_connections=200"

    @property
    def admin_url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        self._run(str(self.bindir / "createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", name)
        return self.url(name)

    def pg_ctl(self, action: str, mode: str = "fast") -> None:
        """``pg_ctl stop|start`` on this cluster; ``restart`` is the two (pg_ctl's own would log to its output,
        which it then never closes)."""
        if action == "restart":
            self.pg_ctl("stop", mode)
            action = "start"
        arguments = ["-m", mode] if action == "stop" else ["-o", self.options, "-l", str(self.directory / "log")]
        self._run(str(self.bindir / "pg_ctl"), "-D", str(self.directory / "data"), *arguments, "-w", "-t", "60", action)

    def stop(self) -> None:
        try:
            self._run(str(self.bindir / "pg_ctl"), "-D", str(self.directory / "data"), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.directory, ignore_errors=True)

    def _run(self, *command: str) -> None:
        result = subprocess.run(_as_postgres(list(command)), capture_output=True, text=True, timeout=120)
        if result.returncode != 0:
            raise PostgresUnavailable(f"{' '.join(command)} failed:\n{result.stdout}\n{result.stderr}")


def _as_postgres(command: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return command
    return ["runuser", "-u", "postgres", "--", *command]


def start_cluster(durable: bool = False) -> Cluster:
    bindir = _bindir()
    directory = Path(tempfile.mkdtemp(prefix="lastmeter-pg-"))
    if os.geteuid() == 0:
        shutil.chown(directory, "postgres", "postgres")
    cluster = Cluster(directory, _free_port(), bindir, durable)
    data = directory / "data"
    cluster._run(str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8",
                 "--locale=C.UTF-8")
    try:
        cluster.pg_ctl("start")
    except PostgresUnavailable:
        log = (directory / "log").read_text(errors="replace") if (directory / "log").exists() else ""
        shutil.rmtree(directory, ignore_errors=True)
        raise PostgresUnavailable(f"PostgreSQL did not start:\n{log}")
    return cluster
