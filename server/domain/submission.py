"""Reading a submitted instance: its envelope (form, version, instanceID…) and its values.

Pure: bytes and a form schema in, frozen dataclasses and plain dicts out. Follows
ODK Central's reading of an instance (OPENROSA.md §3.3): namespace prefixes are
ignored, the form id and version are attributes of the root element, the instanceID
is ``meta/instanceID``. Values are typed by the form's own binds: numbers, dates,
geopoints, select_multiple lists, repeats as lists of dicts, groups as nested dicts.
"""
from __future__ import annotations

import hashlib
import math
import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from xml.etree.ElementTree import Element

from server.adapters.xml import local_name, parse_xml
from server.domain.clock import today_in_china
from server.domain.filetypes import unsafe_file_name
from server.domain.xform import XFormSchema
from server.errors import BadRequest, InvalidValue, LastmeterError

MAX_ID_LENGTH = 255
DATE_PATTERN = re.compile(r"^-?\d{4}-\d{2}-\d{2}$")
TRUTHY = ("1", "true")
MAX_DEPTH = 32  # XLSForm groups and repeats nest a few levels; deeper is an attack on the recursion below


class UnsafeFileName(LastmeterError):
    code = "400.9"
    zh = "附件名“{name}”不能使用：{reason}"
    en = "The attachment name '{name}' cannot be used: {reason}"

    def __init__(self, name: str, reason: str) -> None:
        shown = "".join(c if c.isprintable() else f"\\u{ord(c):04x}" for c in name[:80])
        super().__init__(name=shown, reason=reason)


def check_file_name(name: str) -> str:
    """The name, if a server may keep a file under it; UnsafeFileName otherwise."""
    reason = unsafe_file_name(name)
    if reason is not None:
        raise UnsafeFileName(name, reason)
    return name


@dataclass(frozen=True)
class EntityAction:
    """The ODK entity block of ``meta/entity`` (entities spec 2024.1)."""

    dataset: str
    entity_id: str
    create: bool
    update: bool
    base_version: str
    label: str


@dataclass(frozen=True)
class SubmissionEnvelope:
    xml_form_id: str
    version: str
    instance_id: str
    deprecated_id: str | None
    instance_name: str | None
    entity: EntityAction | None
    root: Element

    @property
    def root_name(self) -> str:
        return local_name(self.root.tag)


def read_envelope(xml: bytes) -> SubmissionEnvelope:
    """Form id, version and ids of a submitted instance; BadRequest if they cannot be read."""
    root = parse_xml(xml, "xml_submission_file")
    if _depth(root) > MAX_DEPTH:
        raise BadRequest(reason=f"XML 嵌套超过 {MAX_DEPTH} 层 / the XML nests deeper than {MAX_DEPTH} levels")
    xml_form_id = (root.get("id") or "").strip()
    if not xml_form_id:
        raise BadRequest(reason="提交的 XML 缺少表单 id 属性 / Required parameter form ID xml attribute missing.")
    meta = _child(root, "meta")
    instance_id = _text(_child(meta, "instanceID")) if meta is not None else ""
    instance_id = instance_id or _text(_child(root, "instanceID"))
    if not instance_id:
        # Without an instanceID Central invents a random one, so a retry duplicates the visit.
        # Derived from the bytes, the same XML sent twice is recognised as the same submission.
        instance_id = "sha256:" + hashlib.sha256(xml).hexdigest()
    if len(instance_id) > MAX_ID_LENGTH:
        raise BadRequest(reason=f"instanceID 超过 {MAX_ID_LENGTH} 个字符 / instanceID longer than {MAX_ID_LENGTH}")
    deprecated_id = _text(_child(meta, "deprecatedID")) if meta is not None else ""
    instance_name = _text(_child(meta, "instanceName")) if meta is not None else ""
    return SubmissionEnvelope(
        xml_form_id=xml_form_id[:MAX_ID_LENGTH],
        version=(root.get("version") or "").strip(),
        instance_id=instance_id,
        deprecated_id=deprecated_id or None,
        instance_name=instance_name or None,
        entity=_entity(meta),
        root=root,
    )


def _depth(root: Element) -> int:
    """How deep the elements nest, counted without recursion (the input may be millions of levels deep)."""
    deepest, level = 0, [(root, 1)]
    while level:
        element, depth = level.pop()
        deepest = max(deepest, depth)
        if depth <= MAX_DEPTH:
            level.extend((child, depth + 1) for child in element)
    return deepest


def _child(element: Element | None, name: str) -> Element | None:
    if element is None:
        return None
    return next((c for c in element if local_name(c.tag) == name), None)


def _text(element: Element | None) -> str:
    return (element.text or "").strip() if element is not None else ""


def _entity(meta: Element | None) -> EntityAction | None:
    entity = _child(meta, "entity")
    if entity is None:
        return None
    return EntityAction(
        dataset=entity.get("dataset", ""),
        entity_id=(entity.get("id") or "").removeprefix("uuid:"),
        create=(entity.get("create") or "").strip().lower() in TRUTHY,
        update=(entity.get("update") or "").strip().lower() in TRUTHY,
        base_version=entity.get("baseVersion") or "",
        label=_text(_child(entity, "label")),
    )


# --- typed values ---------------------------------------------------------------------

def read_values(envelope: SubmissionEnvelope, schema: XFormSchema) -> dict[str, Any]:
    """The instance's values as nested dicts, typed by the form's binds."""
    return _read_group(envelope.root, "", schema)


def _read_group(element: Element, path: str, schema: XFormSchema) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for child in element:
        name = local_name(child.tag)
        child_path = f"{path}{name}"
        if child_path == "meta/entity":
            continue  # kept as the envelope's EntityAction
        if child_path in schema.repeats:
            values.setdefault(name, []).append(_read_group(child, child_path + "/", schema))
        elif len(child) or child_path in schema.groups:
            values[name] = _read_group(child, child_path + "/", schema)
        else:
            values[name] = typed_value(child.text, schema.fields.get(child_path), child_path)
    return values


def typed_value(raw: str | None, field: Any, path: str) -> Any:
    text = (raw or "").strip()
    if text == "":
        return None
    data_type = field.data_type if field is not None else "string"
    if field is not None and field.is_select_multiple:
        return text.split()
    parser = _PARSERS.get(data_type)
    if parser is None:
        return raw  # free text is kept exactly as typed
    try:
        return parser(text)
    except (ValueError, OverflowError) as exc:
        raise InvalidValue(field=path, reason=f"“{text[:80]}” 不是有效的 {data_type} / not a valid {data_type}: {exc}")


def _int(text: str) -> int:
    return int(text)


def _decimal(text: str) -> float | None:
    if text in ("NaN", "Infinity", "-Infinity"):
        return None  # a calculation on unanswered questions; refusing it would strand the visit on the phone
    value = float(text)
    if not math.isfinite(value):
        raise ValueError("not a finite number")
    return value


def _date(text: str) -> str:
    if not DATE_PATTERN.match(text):
        raise ValueError("expected YYYY-MM-DD")
    date.fromisoformat(text)
    return text


def _datetime(text: str) -> str:
    datetime.fromisoformat(text.replace("Z", "+00:00"))
    return text


def _time(text: str) -> str:
    datetime.fromisoformat("2000-01-01T" + text.replace("Z", "+00:00"))
    return text


def parse_geopoint(text: str) -> dict[str, float | None]:
    parts = text.split()
    if len(parts) < 2 or len(parts) > 4:
        raise ValueError("expected 'latitude longitude [altitude [accuracy]]'")
    numbers = [float(p) for p in parts] + [None] * (4 - len(parts))
    if not all(n is None or math.isfinite(n) for n in numbers):
        raise ValueError("coordinates must be finite numbers")
    latitude, longitude, altitude, accuracy = numbers
    if not -90 <= latitude <= 90 or not -180 <= longitude <= 180:  # type: ignore[operator]
        raise ValueError("latitude must be within ±90 and longitude within ±180")
    if accuracy is not None and accuracy < 0:
        raise ValueError("accuracy cannot be negative")
    return {"latitude": latitude, "longitude": longitude, "altitude": altitude, "accuracy": accuracy}


def _geotrace(text: str) -> list[dict[str, float | None]]:
    return [parse_geopoint(p) for p in text.split(";") if p.strip()]


_PARSERS = {
    "int": _int,
    "integer": _int,
    "decimal": _decimal,
    "date": _date,
    "dateTime": _datetime,
    "time": _time,
    "geopoint": parse_geopoint,
    "geotrace": _geotrace,
    "geoshape": _geotrace,
}


def referenced_files(envelope: SubmissionEnvelope, schema: XFormSchema) -> list[str]:
    """File names the instance refers to in binary fields (and meta/audit): the attachments it expects."""
    binary = schema.binary_paths() | {"meta/audit"}
    names: list[str] = []
    _collect_files(envelope.root, "", binary, names)
    return names


def _collect_files(element: Element, path: str, binary: frozenset[str], names: list[str]) -> None:
    for child in element:
        child_path = f"{path}{local_name(child.tag)}"
        if len(child):
            _collect_files(child, child_path + "/", binary, names)
        elif child_path in binary:
            name = (child.text or "").strip()
            if name and name not in names:
                names.append(check_file_name(name))


_ABSENT = object()


def _lookup(data: dict[str, Any], path: str) -> Any:
    node: Any = data
    for name in path.split("/"):
        if not isinstance(node, dict) or name not in node:
            return _ABSENT
        node = node[name]
    return node


def value_at(data: dict[str, Any], path: str) -> Any:
    """The value at a path like 'registration/reg_name'; None when it (or a group on the way) is absent."""
    value = _lookup(data, path)
    return None if value is _ABSENT else value


def has_value_at(data: dict[str, Any], path: str) -> bool:
    """Collect leaves non-relevant questions out of the XML: absent means 'not asked', not 'blank'."""
    return _lookup(data, path) is not _ABSENT


def recorded_day(data: dict[str, Any], received: datetime | None) -> date:
    """The day the visit (or feedback) happened: the form's visit date, else its start; never later than
    the day it reached the server (a phone with a wrong clock cannot move it into the future)."""
    received_day = today_in_china(received)
    for key in ("visit_date", "service_date", "today", "start"):
        value = data.get(key)
        if isinstance(value, str) and len(value) >= 10:
            try:
                return min(date.fromisoformat(value[:10]), received_day)
            except ValueError:
                continue
    return received_day
