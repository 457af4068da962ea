"""Parsing untrusted XML safely (defusedxml): no entity expansion, no external entities, no DTD tricks."""
from __future__ import annotations

from xml.etree.ElementTree import Element, ParseError

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

from server.errors import BadRequest


def parse_xml(data: bytes, what: str = "XML") -> Element:
    try:
        return SafeET.fromstring(data, forbid_dtd=True)
    except DefusedXmlException as exc:
        raise BadRequest(reason=f"{what} 含有被禁止的 DTD 或实体声明 / {what} contains a forbidden DTD or entity "
                                f"declaration ({exc.__class__.__name__})") from exc
    except (ParseError, LookupError, UnicodeError, ValueError) as exc:  # LookupError: an unknown encoding="…"
        raise BadRequest(reason=f"{what} 格式不正确 / {what} is not well-formed: {exc}") from exc


def local_name(tag: str) -> str:
    """'{http://www.w3.org/2002/xforms}instance' → 'instance'."""
    return tag.rsplit("}", 1)[-1]
