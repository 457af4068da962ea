"""Publishing forms: XLSForm in, a new validated XForm version out.

Each publish of a changed form creates a new version; earlier versions stay known so
that phones still holding them can submit. A version number may not be reused for
different content: the designer must bump `version` in the settings sheet.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from server.adapters.xlsform import xlsform_to_xform
from server.domain.xform import read_xform_info
from server.errors import FormVersionConflict, InvalidForm
from server import jobs
from server.extensions import db
from server.models import Form, FormVersion
from server.queries import forms as queries


class PublishOutcome(StrEnum):
    CREATED = "created"          # a form never seen before
    NEW_VERSION = "new_version"  # a new version of a known form
    UNCHANGED = "unchanged"      # this version is already published with this content


@dataclass(frozen=True)
class PublishResult:
    xml_form_id: str
    version: str
    title: str
    outcome: PublishOutcome
    warnings: tuple[str, ...]


def publish_form(source: bytes, filename: str, published_by: int | None = None) -> PublishResult:
    source_sha256 = hashlib.sha256(source).hexdigest()
    known = queries.get_form_version_by_source(source_sha256)
    if known is not None:  # the very same file again: nothing to convert, nothing to publish
        return PublishResult(known.form.xml_form_id, known.version, known.title, PublishOutcome.UNCHANGED, ())
    converted = xlsform_to_xform(source, filename)
    info = read_xform_info(converted.xml, filename)
    if not info.version:
        raise InvalidForm(source=filename, reason="settings 表必须填写 version（如 2026112801） "
                                                  "(the settings sheet needs a version, e.g. 2026112801)")
    form = queries.get_form_by_xml_form_id(info.xml_form_id)
    outcome = PublishOutcome.NEW_VERSION
    if form is None:
        form = Form(xml_form_id=info.xml_form_id)
        db.session.add(form)
        db.session.flush()
        outcome = PublishOutcome.CREATED
    existing = queries.get_form_version(form.id, info.version)
    sha256 = hashlib.sha256(converted.xml).hexdigest()
    if existing is not None:
        if existing.sha256 == sha256 or existing.source_sha256 == source_sha256:
            return PublishResult(info.xml_form_id, info.version, existing.title, PublishOutcome.UNCHANGED,
                                 converted.warnings)
        raise FormVersionConflict(xml_form_id=info.xml_form_id, version=info.version)
    version = FormVersion(
        form_id=form.id, version=info.version, title=info.title, xml=converted.xml,
        md5=hashlib.md5(converted.xml).hexdigest(), sha256=sha256, source_name=Path(filename).name,
        source_sha256=source_sha256, attachments=[{"name": a.name, "kind": a.kind} for a in info.attachments],
        published_by=published_by)
    db.session.add(version)
    db.session.flush()
    if form.current_version_id is not None:  # columns may have changed: kept export cells may be stale
        jobs.after_commit("export-cells")
    form.current_version_id = version.id
    db.session.flush()
    return PublishResult(info.xml_form_id, info.version, info.title, outcome, converted.warnings)


def xlsform_files(folder: str | Path) -> list[Path]:
    """The XLSForms of a folder, in name order (Excel's lock files `~$…` left out)."""
    return sorted(p for p in Path(folder).glob("*.xlsx") if not p.name.startswith("~$"))
