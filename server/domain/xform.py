"""What the server needs to know of an XForm definition, read from its XML.

Pure: bytes in, frozen dataclasses out. Reads the form id, version and title, and
the files the form refers to (the attachments a manifest must list): secondary
instances with a ``src`` (``jr://file-csv/cases.csv``) and media in the itext
(``jr://images/logo.png``). Modelled on what ODK Central computes as a form's
expected attachments.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol
from xml.etree.ElementTree import Element

from server.adapters.xml import local_name, parse_xml
from server.errors import InvalidForm

ENTITIES_NS = "http://www.opendatakit.org/xforms/entities"
JR_PREFIXES = {
    "jr://file-csv/": "file",
    "jr://file/": "file",
    "jr://images/": "image",
    "jr://audio/": "audio",
    "jr://video/": "video",
}


@dataclass(frozen=True)
class FormAttachment:
    name: str
    kind: str  # file | image | audio | video


@dataclass(frozen=True)
class XFormInfo:
    xml_form_id: str
    version: str
    title: str
    attachments: tuple[FormAttachment, ...]


def read_xform_info(xml: bytes, source: str = "XForm") -> XFormInfo:
    root = parse_xml(xml, "XForm")
    model = _first(root, "model")
    if model is None:
        raise InvalidForm(source=source, reason="XForm 缺少 <model> (the XForm has no <model>)")
    instances = [child for child in model if local_name(child.tag) == "instance"]
    primary = next((i for i in instances if i.get("id") is None), instances[0] if instances else None)
    data = next(iter(primary), None) if primary is not None else None
    if data is None or not (data.get("id") or "").strip():
        raise InvalidForm(source=source, reason="XForm 主实例缺少 id (the primary instance has no id attribute)")
    title_element = _first(root, "title")
    title = (title_element.text or "").strip() if title_element is not None else ""
    xml_form_id = data.get("id", "").strip()
    return XFormInfo(
        xml_form_id=xml_form_id,
        version=(data.get("version") or "").strip(),
        title=title or xml_form_id,
        attachments=tuple(_attachments(root, instances)),
    )


def _first(root: Element, name: str) -> Element | None:
    return next((e for e in root.iter() if local_name(e.tag) == name), None)


def _attachments(root: Element, instances: list[Element]) -> list[FormAttachment]:
    found: dict[str, FormAttachment] = {}
    references = [i.get("src") or "" for i in instances]
    references += [(v.text or "").strip() for v in root.iter() if local_name(v.tag) == "value" and v.get("form")]
    for reference in references:
        attachment = _attachment_for(reference)
        if attachment is not None and attachment.name not in found:
            found[attachment.name] = attachment
    return list(found.values())


def _attachment_for(reference: str) -> FormAttachment | None:
    for prefix, kind in JR_PREFIXES.items():
        if reference.startswith(prefix):
            name = reference[len(prefix):]
            if name and "/" not in name and name not in (".", ".."):
                return FormAttachment(name=name, kind=kind)
    return None


# --- the form's fields, for typing submitted values ------------------------------------

@dataclass(frozen=True)
class FieldDef:
    path: str        # relative to the instance root: 'registration/reg_name'
    data_type: str   # the bind type: string, int, decimal, date, dateTime, geopoint, binary, …
    control: str     # the body control: input, select, select1, upload, … ('' for calculates)
    save_to: str = ""  # the entity property this field is saved to (XLSForm save_to)

    @property
    def is_select_multiple(self) -> bool:
        return self.control == "select"

    @property
    def is_binary(self) -> bool:
        return self.data_type == "binary"


@dataclass(frozen=True)
class XFormSchema:
    root_name: str
    fields: dict[str, FieldDef]
    repeats: frozenset[str]
    groups: frozenset[str]

    def binary_paths(self) -> frozenset[str]:
        return frozenset(p for p, f in self.fields.items() if f.is_binary)

    def saved_properties(self) -> dict[str, str]:
        """Entity property → field path, for the fields the form saves to its entity."""
        return {f.save_to: p for p, f in self.fields.items() if f.save_to}


def read_xform_schema(xml: bytes) -> XFormSchema:
    """Fields (by bind) and repeats (by body) of a form, paths relative to the instance root."""
    root = parse_xml(xml, "XForm")
    model = _first(root, "model")
    instance = next((c for c in model if local_name(c.tag) == "instance" and c.get("id") is None), None) \
        if model is not None else None
    data = next(iter(instance), None) if instance is not None else None
    if data is None:
        raise InvalidForm(source="XForm", reason="XForm 缺少主实例 (the XForm has no primary instance)")
    root_name = local_name(data.tag)
    prefix = f"/{root_name}/"
    controls: dict[str, str] = {}
    repeats: set[str] = set()
    body = _first(root, "body")
    for element in (body.iter() if body is not None else ()):
        name = local_name(element.tag)
        if name == "repeat" and element.get("nodeset", "").startswith(prefix):
            repeats.add(element.get("nodeset")[len(prefix):])
        elif element.get("ref", "").startswith(prefix):
            controls[element.get("ref")[len(prefix):]] = name
    fields: dict[str, FieldDef] = {}
    for bind in (b for b in model if local_name(b.tag) == "bind"):
        nodeset = bind.get("nodeset", "")
        if not nodeset.startswith(prefix):
            continue
        path = nodeset[len(prefix):]
        fields[path] = FieldDef(path=path, data_type=bind.get("type", "string"), control=controls.get(path, ""),
                                save_to=bind.get(f"{{{ENTITIES_NS}}}saveto", ""))
    groups = {path.rsplit("/", 1)[0] for path in fields if "/" in path}
    groups |= {g.rsplit("/", i)[0] for g in list(groups) for i in range(1, g.count("/") + 1)}
    return XFormSchema(root_name=root_name, fields=fields, repeats=frozenset(repeats),
                       groups=frozenset(groups - repeats))


class HasXForm(Protocol):
    sha256: str
    xml: bytes


_SCHEMAS: dict[str, XFormSchema] = {}  # XForm hash → its schema
_SCHEMAS_KEPT = 64


def schema_of(form_version: HasXForm) -> XFormSchema:
    """A form version's schema, read once per process: found by the XForm's hash alone, so that the XForm itself
    (tens of kilobytes) is read only the first time."""
    schema = _SCHEMAS.get(form_version.sha256)
    if schema is None:
        schema = read_xform_schema(form_version.xml)
        if len(_SCHEMAS) >= _SCHEMAS_KEPT:
            _SCHEMAS.clear()
        _SCHEMAS[form_version.sha256] = schema
    return schema
