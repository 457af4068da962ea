"""station compliance data

Revision ID: fa958d3f3c41
Revises: be63ad8a5e97
Create Date: 2026-11-28 18:17:58.607351

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'fa958d3f3c41'
down_revision = 'be63ad8a5e97'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('station', schema=None) as batch_op:
        batch_op.add_column(sa.Column('setup_funding_yuan', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('flagship_projects', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('plaque_issued_on', sa.Date(), nullable=True))



def downgrade():
    with op.batch_alter_table('station', schema=None) as batch_op:
        batch_op.drop_column('plaque_issued_on')
        batch_op.drop_column('flagship_projects')
        batch_op.drop_column('setup_funding_yuan')

