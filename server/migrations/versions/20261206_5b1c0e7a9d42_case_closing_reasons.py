"""case closing reasons, workers' proposals to close, and their timeline events

Revision ID: 5b1c0e7a9d42
Revises: 3c5e0f4a7b21
Create Date: 2026-12-06 06:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5b1c0e7a9d42'
down_revision = '3c5e0f4a7b21'
branch_labels = None
depends_on = None

OLD_KINDS = ('created', 'imported', 'visited', 'conflict', 'closed', 'reopened', 'returned')
NEW_KINDS = OLD_KINDS + ('close_proposed', 'proposal_dismissed')


def _kinds(kinds):
    return "kind IN (" + ", ".join(f"'{k}'" for k in kinds) + ")"


def upgrade():
    with op.batch_alter_table('case_event', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_case_event_caseeventkind'), type_='check')
        batch_op.create_check_constraint('caseeventkind', _kinds(NEW_KINDS))
    with op.batch_alter_table('case_record', schema=None) as batch_op:
        batch_op.add_column(sa.Column('closing_reason', sa.String(length=30), nullable=True))
        batch_op.add_column(sa.Column('close_proposal_reason', sa.String(length=30), nullable=True))
        batch_op.add_column(sa.Column('close_proposal_note', sa.Text(), nullable=True))


def downgrade():
    op.execute("DELETE FROM case_event WHERE kind IN ('close_proposed', 'proposal_dismissed')")
    with op.batch_alter_table('case_event', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_case_event_caseeventkind'), type_='check')
        batch_op.create_check_constraint('caseeventkind', _kinds(OLD_KINDS))
    # In place, never by copying the table: with foreign keys on, SQLite would cascade the copy's drop into every
    # case's events, categories and visits.
    with op.batch_alter_table('case_record', schema=None, recreate='never') as batch_op:
        batch_op.drop_column('close_proposal_note')
        batch_op.drop_column('close_proposal_reason')
        batch_op.drop_column('closing_reason')
