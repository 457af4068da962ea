"""OpenRosa XML documents, rendered in one place (form list, manifest, integrity, responses).

Pure: plain values in, UTF-8 bytes out. Every element of a form list or manifest is in
the document's default namespace — Collect silently skips children in any other
(OPENROSA.md §1.3) — and every text is escaped.
"""
from __future__ import annotations

from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

XFORMS_LIST_NS = "http://openrosa.org/xforms/xformsList"
MANIFEST_NS = "http://openrosa.org/xforms/xformsManifest"
RESPONSE_NS = "http://openrosa.org/http/response"
DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n'


@dataclass(frozen=True)
class FormListEntry:
    xml_form_id: str
    name: str
    version: str
    md5: str
    download_url: str
    manifest_url: str | None


@dataclass(frozen=True)
class ManifestFile:
    filename: str
    md5: str
    download_url: str
    entity_list: bool = False
    integrity_url: str | None = None


def render_form_list(entries: list[FormListEntry]) -> bytes:
    parts = [DECLARATION, f'<xforms xmlns="{XFORMS_LIST_NS}">\n']
    for entry in entries:
        parts.append("  <xform>\n")
        parts.append(f"    <formID>{escape(entry.xml_form_id)}</formID>\n")
        parts.append(f"    <name>{escape(entry.name or entry.xml_form_id)}</name>\n")
        parts.append(f"    <version>{escape(entry.version)}</version>\n")
        parts.append(f"    <hash>md5:{entry.md5}</hash>\n")
        parts.append(f"    <downloadUrl>{escape(entry.download_url)}</downloadUrl>\n")
        if entry.manifest_url:
            parts.append(f"    <manifestUrl>{escape(entry.manifest_url)}</manifestUrl>\n")
        parts.append("  </xform>\n")
    parts.append("</xforms>\n")
    return "".join(parts).encode("utf-8")


def render_manifest(files: list[ManifestFile]) -> bytes:
    parts = [DECLARATION, f'<manifest xmlns="{MANIFEST_NS}">\n']
    for file in files:
        kind = ' type="entityList"' if file.entity_list else ""
        parts.append(f"  <mediaFile{kind}>\n")
        parts.append(f"    <filename>{escape(file.filename)}</filename>\n")
        parts.append(f"    <hash>md5:{file.md5}</hash>\n")
        parts.append(f"    <downloadUrl>{escape(file.download_url)}</downloadUrl>\n")
        if file.integrity_url:
            parts.append(f"    <integrityUrl>{escape(file.integrity_url)}</integrityUrl>\n")
        parts.append("  </mediaFile>\n")
    parts.append("</manifest>\n")
    return "".join(parts).encode("utf-8")


def render_integrity(states: list[tuple[str, bool]]) -> bytes:
    """The entity integrity document: for each id Collect asked about, whether it is deleted."""
    parts = [DECLARATION, "<data>\n  <entities>\n"]
    for entity_id, deleted in states:
        parts.append(f"    <entity id={quoteattr(entity_id)}>\n"
                     f"      <deleted>{'true' if deleted else 'false'}</deleted>\n    </entity>\n")
    parts.append("  </entities>\n</data>\n")
    return "".join(parts).encode("utf-8")


def render_response(message: str, nature: str = "") -> bytes:
    """OpenRosaResponse envelope; Collect shows the first <message> to the worker."""
    return (f'{DECLARATION}<OpenRosaResponse xmlns="{RESPONSE_NS}" items="0">\n'
            f"  <message nature={quoteattr(nature)}>{escape(message)}</message>\n"
            "</OpenRosaResponse>\n").encode("utf-8")
