"""Building a filled instance of a form from its XForm, as ODK Collect saves one.

Pure. Used wherever the server itself speaks for a form — the plaque's web feedback
page, demo visits — so that those submissions have exactly the shape of one sent from
a phone and are read by the same code.
"""
from __future__ import annotations

import copy
from functools import lru_cache
from xml.etree import ElementTree as ET

from server.adapters.xml import local_name, parse_xml

XFORMS_NS = "http://www.w3.org/2002/xforms"
JR_TEMPLATE = "{http://openrosa.org/javarosa}template"


def build_instance(xform: bytes, values: dict[str, str], instance_id: str,
                   entity: dict[str, str] | None = None, drop: tuple[str, ...] = (),
                   repeats: dict[str, list[dict[str, str]]] | None = None) -> bytes:
    """Fill the form's blank primary instance.

    ``values`` by path ('registration/reg_name'); ``entity`` sets the attributes (and ``label``)
    of meta/entity as the phone computes them; ``drop`` removes non-relevant nodes, which
    Collect leaves out; ``repeats`` adds repeat instances from the form's template.
    """
    blank, blank_templates = _blank_instance(xform)
    data = copy.deepcopy(blank)
    templates = {path: copy.deepcopy(t) for path, t in blank_templates.items()}
    for path, rows in (repeats or {}).items():
        parent, name = _parent_of(data, path)
        position = _position_after_last(parent, name)
        blanks = [c for c in parent if local_name(c.tag) == name]
        for blank in blanks:  # the empty first instance pyxform puts beside the template
            parent.remove(blank)
        position -= len(blanks)
        for offset, row in enumerate(rows):
            item = copy.deepcopy(templates[path])
            for child_path, value in row.items():
                _node(item, child_path).text = value
            parent.insert(position + offset, item)
    for path, value in values.items():
        _node(data, path).text = value
    meta = _node(data, "meta")
    _node(meta, "instanceID").text = instance_id
    entity_element = next((c for c in meta if local_name(c.tag) == "entity"), None)
    if entity and entity_element is not None:
        for name, value in entity.items():
            if name == "label":
                _node(entity_element, "label").text = value
            else:
                entity_element.set(name, value)
    for path in drop:
        parent, name = _parent_of(data, path)
        parent.remove(_node(parent, name))
    ET.register_namespace("", XFORMS_NS)
    body = ET.tostring(data, encoding="unicode").replace(f' xmlns="{XFORMS_NS}"', "")
    return ("<?xml version='1.0' ?>" + body).encode("utf-8")


@lru_cache(maxsize=16)
def _blank_instance(xform: bytes) -> tuple[ET.Element, dict[str, ET.Element]]:
    """The form's blank primary instance and its repeat templates (parsed once per form version)."""
    root = parse_xml(xform, "XForm")
    model = next(e for e in root.iter() if local_name(e.tag) == "model")
    primary = next(c for c in model if local_name(c.tag) == "instance" and c.get("id") is None)
    data = copy.deepcopy(next(iter(primary)))
    return data, _take_templates(data)


def _take_templates(data: ET.Element) -> dict[str, ET.Element]:
    """Remove repeat templates (they are not part of a saved instance) and keep them by path."""
    templates: dict[str, ET.Element] = {}

    def walk(element: ET.Element, path: str) -> None:
        for child in list(element):
            child_path = f"{path}{local_name(child.tag)}"
            if child.get(JR_TEMPLATE) is not None:
                element.remove(child)
                del child.attrib[JR_TEMPLATE]
                templates[child_path] = child
            else:
                walk(child, child_path + "/")

    walk(data, "")
    return templates


def _node(element: ET.Element, path: str) -> ET.Element:
    for name in path.split("/"):
        element = next(c for c in element if local_name(c.tag) == name)
    return element


def _parent_of(data: ET.Element, path: str) -> tuple[ET.Element, str]:
    *parents, name = path.split("/")
    return (_node(data, "/".join(parents)) if parents else data), name


def _position_after_last(parent: ET.Element, name: str) -> int:
    positions = [i for i, c in enumerate(parent) if local_name(c.tag) == name]
    return positions[-1] + 1 if positions else len(parent)
