"""Published forms and every version of them, XForm bytes stored exactly as produced."""
from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Optional

from sqlalchemy import JSON, ForeignKey, Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.extensions import db
from server.models.types import UTCDateTime, str_enum, utcnow


class FormState(StrEnum):
    """As in ODK Central: open forms are listed and take submissions; closed forms do neither."""

    OPEN = "open"
    CLOSING = "closing"  # not listed any more, still accepts submissions from phones that have it
    CLOSED = "closed"


class Form(db.Model):
    __tablename__ = "form"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    xml_form_id: Mapped[str] = mapped_column(String(100), unique=True)
    state: Mapped[FormState] = mapped_column(str_enum(FormState), default=FormState.OPEN)
    current_version_id: Mapped[Optional[int]] = mapped_column(
        ForeignKey("form_version.id", use_alter=True, name="fk_form_current_version_id_form_version"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    current_version: Mapped[Optional["FormVersion"]] = relationship(foreign_keys=[current_version_id],
                                                                    post_update=True)
    versions: Mapped[list["FormVersion"]] = relationship(
        back_populates="form", foreign_keys="FormVersion.form_id", order_by="FormVersion.id")


class FormVersion(db.Model):
    __tablename__ = "form_version"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    form_id: Mapped[int] = mapped_column(ForeignKey("form.id", ondelete="CASCADE"), index=True)
    version: Mapped[str] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(String(200))
    xml: Mapped[bytes] = mapped_column(LargeBinary)
    md5: Mapped[str] = mapped_column(String(32))
    sha256: Mapped[str] = mapped_column(String(64))
    source_name: Mapped[str] = mapped_column(String(200))
    source_sha256: Mapped[str] = mapped_column(String(64))
    # Files the XForm refers to (cases.csv, villages.csv, …), in the order the XForm names them.
    attachments: Mapped[list] = mapped_column(JSON, default=list)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    published_by: Mapped[Optional[int]] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))

    form: Mapped[Form] = relationship(back_populates="versions", foreign_keys=[form_id])

    __table_args__ = (UniqueConstraint("form_id", "version", name="uq_form_version_form_id_version"),)
