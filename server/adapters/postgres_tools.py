"""PostgreSQL's own client programs (pg_dump, pg_restore), the only module that runs them."""
from __future__ import annotations

import glob
import os
import shutil
import subprocess
from pathlib import Path

from sqlalchemy.engine import make_url

from server.errors import LastmeterError


class ToolFailed(LastmeterError):
    code = "500.4"
    zh = "{tool} 失败：{reason}"
    en = "{tool} failed: {reason}"


def _program(name: str) -> str:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)
    if candidates:
        return candidates[0]
    raise ToolFailed(tool=name, reason="not installed (Debian: apt-get install postgresql-client)")


def _libpq(url: str) -> tuple[list[str], dict[str, str]]:
    """Connection arguments and environment for a SQLAlchemy URL; the password travels in PGPASSWORD only."""
    parsed = make_url(url)
    args = ["-h", parsed.host or "localhost", "-p", str(parsed.port or 5432), "-d", parsed.database or ""]
    if parsed.username:
        args += ["-U", parsed.username]
    env = dict(os.environ)
    if parsed.password:
        env["PGPASSWORD"] = parsed.password
    return args, env


def dump(url: str, out: Path) -> None:
    args, env = _libpq(url)
    _run([_program("pg_dump"), "--format=custom", "--no-owner", "--no-privileges", "--file", str(out), *args],
         env, "pg_dump")


def restore(url: str, source: Path) -> None:
    args, env = _libpq(url)
    _run([_program("pg_restore"), "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction",
          *args, str(source)], env, "pg_restore")


def _run(command: list[str], env: dict[str, str], tool: str) -> None:
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=6 * 3600)
    if result.returncode != 0:
        raise ToolFailed(tool=tool, reason=(result.stderr or result.stdout).strip()[-500:])
