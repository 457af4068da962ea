"""Secrets kept out of log lines. A Collect token URL (``/key/<token>/…``) is a password: only the token's first
four characters are kept, enough to tell two phones apart in a log. Used by gunicorn's access log
(``adapters/gunicorn_log.py``) and by the app's own loggers (Flask reports a crash with the request path).

Pure: the standard library's logging only.
"""
from __future__ import annotations

import logging
import re

# Everything up to the next path separator, query or quote: a percent-encoded token is a token too.
TOKEN_IN_PATH = re.compile(r"(/key/)([^/?#\s\"]{0,4})[^/?#\s\"]*")


def redact(text: str) -> str:
    return TOKEN_IN_PATH.sub(r"\1\2…", text)


class RedactingFilter(logging.Filter):
    """Rewrites a record whose message names a token URL; never drops a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = redact(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True
