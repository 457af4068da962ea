"""Queries on forms and their versions."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import defer

from server.extensions import db
from server.models import Form, FormVersion


def get_form_by_xml_form_id(xml_form_id: str) -> Form | None:
    return db.session.scalars(select(Form).where(Form.xml_form_id == xml_form_id)).first()


def get_form_version(form_id: int, version: str) -> FormVersion | None:
    """A form's version; its XForm is read only when asked for (every submission looks its version up, and the
    schema is kept per process by the XForm's hash: ``domain.xform.schema_of``)."""
    query = select(FormVersion).where(FormVersion.form_id == form_id, FormVersion.version == version) \
        .options(defer(FormVersion.xml))
    return db.session.scalars(query).first()


def list_forms() -> list[Form]:
    return list(db.session.scalars(select(Form).order_by(Form.xml_form_id)))


def get_form_version_by_source(source_sha256: str) -> FormVersion | None:
    return db.session.scalars(select(FormVersion).where(FormVersion.source_sha256 == source_sha256)).first()
