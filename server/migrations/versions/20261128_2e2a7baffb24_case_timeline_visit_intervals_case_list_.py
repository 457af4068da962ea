"""case timeline, visit intervals, case list cache

Revision ID: 2e2a7baffb24
Revises: 4fe03d5bef13
Create Date: 2026-11-28 17:07:14.909702

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '2e2a7baffb24'
down_revision = '4fe03d5bef13'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('visit_interval',
    sa.Column('category', sa.Enum('minimum_allowance', 'destitute', 'temporary_assistance', 'left_behind_elder', 'empty_nest_elder', 'very_old_elder', 'left_behind_child', 'child_in_difficulty', 'disability', 'other', name='casecategory', native_enum=False, create_constraint=True, length=30), nullable=False),
    sa.Column('days', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('category', name=op.f('pk_visit_interval'))
    )
    op.create_table('case_list_cache',
    sa.Column('station_code', sa.String(length=12), nullable=False),
    sa.Column('variant', sa.String(length=40), nullable=False),
    sa.Column('key', sa.String(length=100), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=False),
    sa.Column('md5', sa.String(length=32), nullable=False),
    sa.ForeignKeyConstraint(['station_code'], ['station.code'], name=op.f('fk_case_list_cache_station_code_station'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('station_code', 'variant', name=op.f('pk_case_list_cache'))
    )
    op.create_table('case_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.String(length=36), nullable=False),
    sa.Column('kind', sa.Enum('created', 'imported', 'visited', 'conflict', 'closed', 'reopened', 'returned', name='caseeventkind', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('submission_id', sa.Integer(), nullable=True),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('base_version', sa.Integer(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=True),
    sa.Column('changes', sa.JSON(), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['case_record.id'], name=op.f('fk_case_event_case_id_case_record'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['submission_id'], ['submission.id'], name=op.f('fk_case_event_submission_id_submission'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_case_event_user_id_user_account'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_event'))
    )
    with op.batch_alter_table('case_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_event_case_id'), ['case_id'], unique=False)

    with op.batch_alter_table('case_record', schema=None) as batch_op:
        batch_op.add_column(sa.Column('conflict', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('parent_id', sa.String(length=36), nullable=True))
        batch_op.add_column(sa.Column('registered_on', sa.Date(), nullable=False, server_default=sa.text('CURRENT_DATE')))
        batch_op.create_index(batch_op.f('ix_case_record_parent_id'), ['parent_id'], unique=False)
        batch_op.create_index('ix_case_record_station_status_due', ['station_code', 'status', 'next_due'], unique=False)
        batch_op.create_index('ix_case_record_station_updated', ['station_code', 'updated_at'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_case_record_parent_id_case_record'), 'case_record', ['parent_id'], ['id'], ondelete='SET NULL')

    with op.batch_alter_table('station', schema=None) as batch_op:
        batch_op.add_column(sa.Column('case_list_mode', sa.Enum('station', 'assigned', name='caselistmode', native_enum=False, create_constraint=True, length=20), nullable=False, server_default='station'))



def downgrade():
    with op.batch_alter_table('station', schema=None) as batch_op:
        batch_op.drop_column('case_list_mode')

    with op.batch_alter_table('case_record', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_case_record_parent_id_case_record'), type_='foreignkey')
        batch_op.drop_index('ix_case_record_station_updated')
        batch_op.drop_index('ix_case_record_station_status_due')
        batch_op.drop_index(batch_op.f('ix_case_record_parent_id'))
        batch_op.drop_column('registered_on')
        batch_op.drop_column('parent_id')
        batch_op.drop_column('conflict')

    with op.batch_alter_table('case_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_event_case_id'))

    op.drop_table('case_event')
    op.drop_table('case_list_cache')
    op.drop_table('visit_interval')
