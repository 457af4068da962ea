"""station plaque links

Revision ID: 3d209e1b3ceb
Revises: e451ce18dab9
Create Date: 2026-11-28 17:48:51.605573

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '3d209e1b3ceb'
down_revision = 'e451ce18dab9'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('station_link',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('station_code', sa.String(length=12), nullable=False),
    sa.Column('token', sa.String(length=32), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['station_code'], ['station.code'], name=op.f('fk_station_link_station_code_station'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_station_link')),
    sa.UniqueConstraint('token', name=op.f('uq_station_link_token'))
    )
    with op.batch_alter_table('station_link', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_station_link_station_code'), ['station_code'], unique=False)



def downgrade():
    with op.batch_alter_table('station_link', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_station_link_station_code'))

    op.drop_table('station_link')
