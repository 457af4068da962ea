"""api sessions

Revision ID: 36b26628a63b
Revises: 8671b923571c
Create Date: 2026-11-28 16:43:52.712367

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '36b26628a63b'
down_revision = '8671b923571c'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('api_session',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_api_session_user_id_user_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_session')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_api_session_token_hash'))
    )
    with op.batch_alter_table('api_session', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_session_user_id'), ['user_id'], unique=False)



def downgrade():
    with op.batch_alter_table('api_session', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_session_user_id'))

    op.drop_table('api_session')
