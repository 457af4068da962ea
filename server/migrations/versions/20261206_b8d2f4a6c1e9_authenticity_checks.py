"""Authenticity checks: a photo's perceptual hash, each visit's flags with what they rest on, a county's thresholds

Revision ID: b8d2f4a6c1e9
Revises: f5fcf6dca9ae
Create Date: 2026-12-06 23:50:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'b8d2f4a6c1e9'
down_revision = 'f5fcf6dca9ae'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('blob', schema=None, recreate='never') as batch_op:
        batch_op.add_column(sa.Column('phash', sa.String(length=16), nullable=True))

    op.create_table('visit_flag',
    sa.Column('submission_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=30), nullable=False),
    sa.Column('detail', sa.JSON(), nullable=False),
    sa.Column('raised_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['submission_id'], ['submission.id'], name=op.f('fk_visit_flag_submission_id_submission'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('submission_id', 'code', name=op.f('pk_visit_flag'))
    )
    with op.batch_alter_table('visit_flag', schema=None) as batch_op:
        batch_op.create_index('ix_visit_flag_code', ['code', 'submission_id'], unique=False)

    op.create_table('authenticity_thresholds',
    sa.Column('county_code', sa.String(length=12), nullable=False),
    sa.Column('values', sa.JSON(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['county_code'], ['area.code'], name=op.f('fk_authenticity_thresholds_county_code_area')),
    sa.ForeignKeyConstraint(['updated_by_id'], ['user_account.id'], name=op.f('fk_authenticity_thresholds_updated_by_id_user_account'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('county_code', name=op.f('pk_authenticity_thresholds'))
    )


def downgrade():
    op.drop_table('authenticity_thresholds')
    with op.batch_alter_table('visit_flag', schema=None) as batch_op:
        batch_op.drop_index('ix_visit_flag_code')
    op.drop_table('visit_flag')
    with op.batch_alter_table('blob', schema=None, recreate='never') as batch_op:
        batch_op.drop_column('phash')
