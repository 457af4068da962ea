"""case closing reasons and workers' proposals to close

Revision ID: 5b1c0e7a9d42
Revises: d79fbf26aa5c
Create Date: 2026-12-06 06:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5b1c0e7a9d42'
down_revision = 'd79fbf26aa5c'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('case_record', schema=None) as batch_op:
        batch_op.add_column(sa.Column('closing_reason', sa.String(length=30), nullable=True))
        batch_op.add_column(sa.Column('close_proposal_reason', sa.String(length=30), nullable=True))
        batch_op.add_column(sa.Column('close_proposal_note', sa.Text(), nullable=True))


def downgrade():
    with op.batch_alter_table('case_record', schema=None) as batch_op:
        batch_op.drop_column('close_proposal_note')
        batch_op.drop_column('close_proposal_reason')
        batch_op.drop_column('closing_reason')
