"""submission flags, detected attachment types, case erasure, audit log

Revision ID: d79fbf26aa5c
Revises: fa958d3f3c41
Create Date: 2026-11-28 22:05:20.848599

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd79fbf26aa5c'
down_revision = 'fa958d3f3c41'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('audit_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('action', sa.String(length=40), nullable=False),
    sa.Column('object_type', sa.String(length=20), nullable=False),
    sa.Column('object_id', sa.String(length=255), nullable=True),
    sa.Column('detail', sa.JSON(), nullable=True),
    sa.Column('client_ip', sa.String(length=45), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_audit_event_user_id_user_account'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_event'))
    )
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.create_index('ix_audit_event_created', ['created_at', 'id'], unique=False)
        batch_op.create_index('ix_audit_event_object', ['object_type', 'object_id'], unique=False)
        batch_op.create_index('ix_audit_event_user', ['user_id', 'created_at'], unique=False)

    with op.batch_alter_table('case_record', schema=None) as batch_op:
        batch_op.add_column(sa.Column('erased_at', sa.DateTime(timezone=True), nullable=True))

    with op.batch_alter_table('submission', schema=None) as batch_op:
        batch_op.add_column(sa.Column('flags', sa.JSON(), nullable=True))

    with op.batch_alter_table('submission_attachment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('detected_type', sa.String(length=100), nullable=True))



def downgrade():
    with op.batch_alter_table('submission_attachment', schema=None) as batch_op:
        batch_op.drop_column('detected_type')

    with op.batch_alter_table('submission', schema=None) as batch_op:
        batch_op.drop_column('flags')

    with op.batch_alter_table('case_record', schema=None) as batch_op:
        batch_op.drop_column('erased_at')

    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_event_user')
        batch_op.drop_index('ix_audit_event_object')
        batch_op.drop_index('ix_audit_event_created')

    op.drop_table('audit_event')
