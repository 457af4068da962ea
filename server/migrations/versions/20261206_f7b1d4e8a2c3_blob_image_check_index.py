"""ix_blob_image_check: the files no thumbnail job has looked at yet, found at once by the inspect-photos sweep

Revision ID: f7b1d4e8a2c3
Revises: e6a0c3f7b9d2
Create Date: 2026-12-06 19:00:00

"""
from alembic import op


revision = 'f7b1d4e8a2c3'
down_revision = 'e6a0c3f7b9d2'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_blob_image_check', 'blob', ['image_check', 'created_at'], unique=False)


def downgrade():
    op.drop_index('ix_blob_image_check', table_name='blob')
