"""Gunicorn's access log without secrets: a Collect token URL (/key/<token>/…) is a password, so the
token is replaced by its first four characters before the line is written."""
from __future__ import annotations

from gunicorn.glogging import Logger

from server.domain.redaction import redact


class RedactingLogger(Logger):
    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        for key in ("r", "U", "q", "f"):
            if isinstance(atoms.get(key), str):
                atoms[key] = redact(atoms[key])
        return atoms
