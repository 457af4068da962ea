"""submission_version.export_key, export_cells, export_repeat_rows: each version's answers kept as the CSV export
writes them (services/export_cells.py); empty until the applier or the export-cells job writes them

Revision ID: c4e7a9b2d5f1
Revises: b8d2f4a6c1e9
Create Date: 2026-12-07 03:00:00

"""
import sqlalchemy as sa
from alembic import op


revision = 'c4e7a9b2d5f1'
down_revision = 'b8d2f4a6c1e9'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('submission_version', recreate='never') as batch_op:  # added in place: no copy of the table
        batch_op.add_column(sa.Column('export_key', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('export_cells', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('export_repeat_rows', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('submission_version') as batch_op:
        batch_op.drop_column('export_repeat_rows')
        batch_op.drop_column('export_cells')
        batch_op.drop_column('export_key')
