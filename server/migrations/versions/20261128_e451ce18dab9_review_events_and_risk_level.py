"""review events and risk level

Revision ID: e451ce18dab9
Revises: 2e2a7baffb24
Create Date: 2026-11-28 17:36:24.602458

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e451ce18dab9'
down_revision = '2e2a7baffb24'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('submission_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('submission_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.Enum('review', 'comment', 'returned', name='submissioneventkind', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('review_state', sa.Enum('received', 'edited', 'has_issues', 'approved', 'rejected', name='reviewstate', native_enum=False, create_constraint=True, length=20), nullable=True),
    sa.Column('body', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['submission_id'], ['submission.id'], name=op.f('fk_submission_event_submission_id_submission'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_submission_event_user_id_user_account'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_submission_event'))
    )
    with op.batch_alter_table('submission_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_submission_event_submission_id'), ['submission_id'], unique=False)

    with op.batch_alter_table('submission', schema=None) as batch_op:
        batch_op.add_column(sa.Column('risk_level', sa.String(length=10), nullable=True))
        batch_op.create_index('ix_submission_created', ['created_at', 'id'], unique=False)
        batch_op.create_index('ix_submission_review_created', ['review_state', 'created_at', 'id'], unique=False)



def downgrade():
    with op.batch_alter_table('submission', schema=None) as batch_op:
        batch_op.drop_index('ix_submission_review_created')
        batch_op.drop_index('ix_submission_created')
        batch_op.drop_column('risk_level')

    with op.batch_alter_table('submission_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_submission_event_submission_id'))

    op.drop_table('submission_event')
