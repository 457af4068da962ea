"""Filling a form's blank instance in tests, through the server's own builder."""
from __future__ import annotations

import uuid

from server.domain.instances import build_instance


def fill_instance(xform: bytes, values: dict[str, str], instance_id: str | None = None,
                  entity: dict[str, str] | None = None, drop: tuple[str, ...] = (),
                  repeats: dict | None = None) -> bytes:
    return build_instance(xform, values, instance_id or f"uuid:{uuid.uuid4()}", entity=entity, drop=drop,
                          repeats=repeats)
