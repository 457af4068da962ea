"""every station has a plaque link: issued when the station is made, no longer by the first plaque download

Revision ID: 0c5e1f3a7b21
Revises: d79fbf26aa5c
Create Date: 2026-12-06 07:00:00

A GET never changes data, so showing a plaque no longer issues its link; stations made before this revision
without an active link get one here, as ``services.feedback.issue_station_link`` makes them.
"""
import secrets
from datetime import datetime, timezone

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0c5e1f3a7b21'
down_revision = 'd79fbf26aa5c'
branch_labels = None
depends_on = None

TOKEN_ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789"
TOKEN_LENGTH = 10


def upgrade():
    bind = op.get_bind()
    station = sa.table("station", sa.column("code", sa.String))
    link = sa.table("station_link", sa.column("station_code", sa.String), sa.column("token", sa.String),
                    sa.column("created_at", sa.DateTime(timezone=True)), sa.column("revoked_at", sa.DateTime(timezone=True)))
    active = sa.select(link.c.station_code).where(link.c.revoked_at.is_(None))
    missing = bind.execute(sa.select(station.c.code).where(station.c.code.not_in(active))).scalars().all()
    now = datetime.now(timezone.utc)
    for code in missing:
        token = "".join(secrets.choice(TOKEN_ALPHABET) for _ in range(TOKEN_LENGTH))
        bind.execute(link.insert().values(station_code=code, token=token, created_at=now, revoked_at=None))


def downgrade():
    pass  # the links issued here stay valid: a plaque may already carry one
