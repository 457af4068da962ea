"""Filling a form's blank primary instance, as ODK Collect does when a worker saves a form."""
from __future__ import annotations

import copy
import uuid
from xml.etree import ElementTree as ET

XF = "{http://www.w3.org/2002/xforms}"


def fill_instance(xform: bytes, values: dict[str, str], instance_id: str | None = None,
                  entity: dict[str, str] | None = None, drop: tuple[str, ...] = ()) -> bytes:
    """``values`` by path; ``entity`` sets meta/entity attributes (and ``label``) as the phone computes
    them; ``drop`` removes non-relevant groups, as Collect leaves them out of the saved instance."""
    root = ET.fromstring(xform)
    primary = next(i for i in root.iter(f"{XF}instance") if i.get("id") is None)
    data = copy.deepcopy(next(iter(primary)))
    for element in list(data.iter()):
        for child in list(element):
            if child.get("{http://openrosa.org/javarosa}template") is not None:
                element.remove(child)  # repeat templates are not part of a saved instance
    for path, value in values.items():
        node = data
        for name in path.split("/"):
            node = next(c for c in node if c.tag.rsplit("}", 1)[-1] == name)
        node.text = value
    meta = next(c for c in data if c.tag.endswith("meta"))
    next(c for c in meta if c.tag.endswith("instanceID")).text = instance_id or f"uuid:{uuid.uuid4()}"
    entity_element = next((c for c in meta if c.tag.endswith("entity")), None)
    if entity is not None and entity_element is not None:
        for name, value in entity.items():
            if name == "label":
                next(c for c in entity_element if c.tag.endswith("label")).text = value
            else:
                entity_element.set(name, value)
    for path in drop:
        parent = data
        *parents, last = path.split("/")
        for name in parents:
            parent = next(c for c in parent if c.tag.rsplit("}", 1)[-1] == name)
        parent.remove(next(c for c in parent if c.tag.rsplit("}", 1)[-1] == last))
    body = ET.tostring(data, encoding="unicode").replace(f' xmlns="{XF[1:-1]}"', "")
    return ("<?xml version='1.0' ?>" + body).encode("utf-8")
