"""cases, submissions, collect tokens

Revision ID: 4fe03d5bef13
Revises: 36b26628a63b
Create Date: 2026-11-28 16:47:09.485210

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '4fe03d5bef13'
down_revision = '36b26628a63b'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('blob',
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('md5', sa.String(length=32), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('sha256', name=op.f('pk_blob'))
    )
    op.create_table('case_record',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('label', sa.String(length=200), nullable=False),
    sa.Column('station_code', sa.String(length=12), nullable=False),
    sa.Column('village_code', sa.String(length=12), nullable=True),
    sa.Column('status', sa.Enum('open', 'closed', name='casestatus', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('closed_reason', sa.Text(), nullable=True),
    sa.Column('assigned_worker_id', sa.Integer(), nullable=True),
    sa.Column('properties', sa.JSON(), nullable=False),
    sa.Column('risk_level', sa.Enum('low', 'medium', 'high', name='risklevel', native_enum=False, create_constraint=True, length=20), nullable=True),
    sa.Column('last_visit', sa.Date(), nullable=True),
    sa.Column('next_due', sa.Date(), nullable=True),
    sa.Column('redo', sa.Boolean(), nullable=False),
    sa.Column('redo_reason', sa.Text(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['assigned_worker_id'], ['user_account.id'], name=op.f('fk_case_record_assigned_worker_id_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['station_code'], ['station.code'], name=op.f('fk_case_record_station_code_station')),
    sa.ForeignKeyConstraint(['village_code'], ['area.code'], name=op.f('fk_case_record_village_code_area')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_record'))
    )
    with op.batch_alter_table('case_record', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_record_station_code'), ['station_code'], unique=False)

    op.create_table('collect_token',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('token', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_collect_token_user_id_user_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_collect_token')),
    sa.UniqueConstraint('token', name=op.f('uq_collect_token_token'))
    )
    with op.batch_alter_table('collect_token', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_collect_token_user_id'), ['user_id'], unique=False)

    op.create_table('case_category',
    sa.Column('case_id', sa.String(length=36), nullable=False),
    sa.Column('category', sa.Enum('minimum_allowance', 'destitute', 'temporary_assistance', 'left_behind_elder', 'empty_nest_elder', 'very_old_elder', 'left_behind_child', 'child_in_difficulty', 'disability', 'other', name='casecategory', native_enum=False, create_constraint=True, length=30), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['case_record.id'], name=op.f('fk_case_category_case_id_case_record'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('case_id', 'category', name=op.f('pk_case_category'))
    )
    with op.batch_alter_table('case_category', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_category_category'), ['category'], unique=False)

    op.create_table('submission',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('form_id', sa.Integer(), nullable=False),
    sa.Column('instance_id', sa.String(length=255), nullable=False),
    sa.Column('station_code', sa.String(length=12), nullable=False),
    sa.Column('case_id', sa.String(length=36), nullable=True),
    sa.Column('submitter_id', sa.Integer(), nullable=True),
    sa.Column('review_state', sa.Enum('received', 'edited', 'has_issues', 'approved', 'rejected', name='reviewstate', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['case_record.id'], name=op.f('fk_submission_case_id_case_record'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['form_id'], ['form.id'], name=op.f('fk_submission_form_id_form')),
    sa.ForeignKeyConstraint(['station_code'], ['station.code'], name=op.f('fk_submission_station_code_station')),
    sa.ForeignKeyConstraint(['submitter_id'], ['user_account.id'], name=op.f('fk_submission_submitter_id_user_account'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_submission')),
    sa.UniqueConstraint('instance_id', name=op.f('uq_submission_instance_id'))
    )
    with op.batch_alter_table('submission', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_submission_case_id'), ['case_id'], unique=False)
        batch_op.create_index('ix_submission_form_created', ['form_id', 'created_at', 'id'], unique=False)
        batch_op.create_index('ix_submission_station_created', ['station_code', 'created_at', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_submission_submitter_id'), ['submitter_id'], unique=False)

    op.create_table('submission_version',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('submission_id', sa.Integer(), nullable=False),
    sa.Column('instance_id', sa.String(length=255), nullable=False),
    sa.Column('deprecated_id', sa.String(length=255), nullable=True),
    sa.Column('current', sa.Boolean(), nullable=False),
    sa.Column('form_version_id', sa.Integer(), nullable=False),
    sa.Column('xml', sa.LargeBinary(), nullable=False),
    sa.Column('xml_sha256', sa.String(length=64), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('instance_name', sa.String(length=255), nullable=True),
    sa.Column('latitude', sa.Float(), nullable=True),
    sa.Column('longitude', sa.Float(), nullable=True),
    sa.Column('accuracy', sa.Float(), nullable=True),
    sa.Column('submitter_id', sa.Integer(), nullable=True),
    sa.Column('device_id', sa.String(length=255), nullable=True),
    sa.Column('user_agent', sa.String(length=255), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['form_version_id'], ['form_version.id'], name=op.f('fk_submission_version_form_version_id_form_version')),
    sa.ForeignKeyConstraint(['submission_id'], ['submission.id'], name=op.f('fk_submission_version_submission_id_submission'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['submitter_id'], ['user_account.id'], name=op.f('fk_submission_version_submitter_id_user_account'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_submission_version')),
    sa.UniqueConstraint('instance_id', name=op.f('uq_submission_version_instance_id'))
    )
    with op.batch_alter_table('submission_version', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_submission_version_submission_id'), ['submission_id'], unique=False)

    op.create_table('submission_attachment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('blob_sha256', sa.String(length=64), nullable=True),
    sa.Column('content_type', sa.String(length=100), nullable=True),
    sa.ForeignKeyConstraint(['blob_sha256'], ['blob.sha256'], name=op.f('fk_submission_attachment_blob_sha256_blob')),
    sa.ForeignKeyConstraint(['version_id'], ['submission_version.id'], name=op.f('fk_submission_attachment_version_id_submission_version'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_submission_attachment')),
    sa.UniqueConstraint('version_id', 'name', name='uq_submission_attachment_version_id_name')
    )
    with op.batch_alter_table('submission_attachment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_submission_attachment_blob_sha256'), ['blob_sha256'], unique=False)

    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('digest_ha1', sa.String(length=32), nullable=True))



def downgrade():
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.drop_column('digest_ha1')

    with op.batch_alter_table('submission_attachment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_submission_attachment_blob_sha256'))

    op.drop_table('submission_attachment')
    with op.batch_alter_table('submission_version', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_submission_version_submission_id'))

    op.drop_table('submission_version')
    with op.batch_alter_table('submission', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_submission_submitter_id'))
        batch_op.drop_index('ix_submission_station_created')
        batch_op.drop_index('ix_submission_form_created')
        batch_op.drop_index(batch_op.f('ix_submission_case_id'))

    op.drop_table('submission')
    with op.batch_alter_table('case_category', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_category_category'))

    op.drop_table('case_category')
    with op.batch_alter_table('collect_token', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_collect_token_user_id'))

    op.drop_table('collect_token')
    with op.batch_alter_table('case_record', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_record_station_code'))

    op.drop_table('case_record')
    op.drop_table('blob')
