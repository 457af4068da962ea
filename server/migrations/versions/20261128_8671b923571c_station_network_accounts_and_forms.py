"""station network, accounts and forms

Revision ID: 8671b923571c
Revises: 
Create Date: 2026-11-28 16:39:39.442971

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '8671b923571c'
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('area',
    sa.Column('code', sa.String(length=12), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('level', sa.Enum('province', 'city', 'county', 'township', 'village', name='arealevel', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('parent_code', sa.String(length=12), nullable=True),
    sa.Column('path', sa.String(length=120), nullable=False),
    sa.ForeignKeyConstraint(['parent_code'], ['area.code'], name=op.f('fk_area_parent_code_area')),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_area')),
    sa.UniqueConstraint('path', name=op.f('uq_area_path'))
    )
    with op.batch_alter_table('area', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_area_parent_code'), ['parent_code'], unique=False)
        batch_op.create_index('ix_area_path_prefix', ['path'], unique=False, postgresql_ops={'path': 'text_pattern_ops'})

    op.create_table('form',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('xml_form_id', sa.String(length=100), nullable=False),
    sa.Column('state', sa.Enum('open', 'closing', 'closed', name='formstate', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('current_version_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_form')),
    sa.UniqueConstraint('xml_form_id', name=op.f('uq_form_xml_form_id'))
    )
    op.create_table('station',
    sa.Column('code', sa.String(length=12), nullable=False),
    sa.Column('mode', sa.Enum('government', 'purchased', name='stationmode', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('status', sa.Enum('planned', 'operating', 'suspended', 'closed', name='stationstatus', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('established_on', sa.Date(), nullable=True),
    sa.Column('operator_name', sa.String(length=200), nullable=True),
    sa.Column('operator_registration_no', sa.String(length=50), nullable=True),
    sa.Column('operator_inspection', sa.Enum('passed', 'basic_pass', 'failed', 'not_inspected', name='inspectionresult', native_enum=False, create_constraint=True, length=20), nullable=True),
    sa.Column('operator_grade', sa.String(length=20), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['code'], ['area.code'], name=op.f('fk_station_code_area')),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_station'))
    )
    op.create_table('user_account',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('display_name', sa.String(length=100), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('role', sa.Enum('admin', 'county', 'station', 'worker', name='role', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('scope_code', sa.String(length=12), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['scope_code'], ['area.code'], name=op.f('fk_user_account_scope_code_area')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_user_account')),
    sa.UniqueConstraint('username', name=op.f('uq_user_account_username'))
    )
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_user_account_scope_code'), ['scope_code'], unique=False)

    op.create_table('form_version',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('form_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.String(length=100), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('xml', sa.LargeBinary(), nullable=False),
    sa.Column('md5', sa.String(length=32), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('source_name', sa.String(length=200), nullable=False),
    sa.Column('source_sha256', sa.String(length=64), nullable=False),
    sa.Column('attachments', sa.JSON(), nullable=False),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('published_by', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['form_id'], ['form.id'], name=op.f('fk_form_version_form_id_form'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['published_by'], ['user_account.id'], name=op.f('fk_form_version_published_by_user_account'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_form_version')),
    sa.UniqueConstraint('form_id', 'version', name='uq_form_version_form_id_version')
    )
    with op.batch_alter_table('form_version', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_form_version_form_id'), ['form_id'], unique=False)
    # form and form_version point at each other: the second foreign key comes once both exist.
    with op.batch_alter_table('form', schema=None) as batch_op:
        batch_op.create_foreign_key('fk_form_current_version_id_form_version', 'form_version',
                                    ['current_version_id'], ['id'])

    op.create_table('staff_member',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('station_code', sa.String(length=12), nullable=False),
    sa.Column('name', sa.String(length=50), nullable=False),
    sa.Column('role', sa.Enum('head', 'deputy_head', 'staff', 'volunteer', name='staffrole', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('origin', sa.Enum('operator', 'converted_clerk', 'township', 'volunteer', name='stafforigin', native_enum=False, create_constraint=True, length=30), nullable=False),
    sa.Column('gender', sa.String(length=10), nullable=True),
    sa.Column('birth_date', sa.Date(), nullable=True),
    sa.Column('education', sa.Enum('primary', 'junior_middle', 'senior_middle', 'college', 'bachelor', 'postgraduate', name='education', native_enum=False, create_constraint=True, length=20), nullable=True),
    sa.Column('certificate', sa.Enum('none', 'assistant', 'intermediate', 'senior', name='certificate', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('local_hukou', sa.Boolean(), nullable=False),
    sa.Column('ethnicity', sa.String(length=20), nullable=True),
    sa.Column('phone', sa.String(length=20), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['station_code'], ['station.code'], name=op.f('fk_staff_member_station_code_station'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_staff_member_user_id_user_account'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_staff_member'))
    )
    with op.batch_alter_table('staff_member', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_staff_member_station_code'), ['station_code'], unique=False)



def downgrade():
    with op.batch_alter_table('staff_member', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_staff_member_station_code'))

    op.drop_table('staff_member')
    with op.batch_alter_table('form_version', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_form_version_form_id'))

    with op.batch_alter_table('form', schema=None) as batch_op:
        batch_op.drop_constraint('fk_form_current_version_id_form_version', type_='foreignkey')
    op.drop_table('form_version')
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_user_account_scope_code'))

    op.drop_table('user_account')
    op.drop_table('station')
    op.drop_table('form')
    with op.batch_alter_table('area', schema=None) as batch_op:
        batch_op.drop_index('ix_area_path_prefix', postgresql_ops={'path': 'text_pattern_ops'})
        batch_op.drop_index(batch_op.f('ix_area_parent_code'))

    op.drop_table('area')
