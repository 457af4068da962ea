"""blob.image_check: whether a stored photo can be shown, found by the thumbnail job, not the request

Revision ID: b3d9e1f2a6c8
Revises: 9e3f5a7c1b24
Create Date: 2026-12-06 13:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'b3d9e1f2a6c8'
down_revision = '9e3f5a7c1b24'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('blob', schema=None, recreate='never') as batch_op:
        batch_op.add_column(sa.Column('image_check', sa.String(length=20), nullable=True))


def downgrade():
    with op.batch_alter_table('blob', schema=None, recreate='never') as batch_op:
        batch_op.drop_column('image_check')
