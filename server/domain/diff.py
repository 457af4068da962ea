"""What changed between two versions of a submission's values. Pure."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Change:
    path: str
    before: Any
    after: Any


def flatten(values: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """{'a': {'b': 1}, 'r': [{'x': 2}]} → {'a/b': 1, 'r[1]/x': 2} (repeats numbered from 1)."""
    flat: dict[str, Any] = {}
    for key, value in values.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(flatten(value, path + "/"))
        elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            for index, item in enumerate(value, 1):
                flat.update(flatten(item, f"{path}[{index}]/"))
        else:
            flat[path] = value
    return flat


def diff_values(before: dict[str, Any], after: dict[str, Any], ignore: tuple[str, ...] = ("meta/",)) -> list[Change]:
    old, new = flatten(before), flatten(after)
    changes = [Change(path, old.get(path), new.get(path)) for path in sorted(set(old) | set(new))
               if old.get(path) != new.get(path)]
    return [c for c in changes if not c.path.startswith(ignore)]
