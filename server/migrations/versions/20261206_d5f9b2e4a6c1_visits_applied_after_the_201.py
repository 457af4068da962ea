"""submission_version.applied_at: a visit is applied to its case after the 201, by the applier; empty while it waits

Revision ID: d5f9b2e4a6c1
Revises: c4e8a1d3f5b7
Create Date: 2026-12-06 15:30:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'd5f9b2e4a6c1'
down_revision = 'c4e8a1d3f5b7'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('submission_version', schema=None, recreate='never') as batch_op:
        batch_op.add_column(sa.Column('applied_at', sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE submission_version SET applied_at = created_at")  # every earlier visit was applied at once
    op.create_index('ix_submission_version_applied', 'submission_version', ['applied_at', 'id'], unique=False)


def downgrade():
    op.drop_index('ix_submission_version_applied', table_name='submission_version')
    with op.batch_alter_table('submission_version', schema=None, recreate='never') as batch_op:
        batch_op.drop_column('applied_at')
