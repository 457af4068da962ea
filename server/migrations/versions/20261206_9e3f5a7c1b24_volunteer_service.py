"""volunteer service: hours per volunteer and record, certificates

Revision ID: 9e3f5a7c1b24
Revises: 7d2e4b6c8f10
Create Date: 2026-12-06 10:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '9e3f5a7c1b24'
down_revision = '7d2e4b6c8f10'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'volunteer_hours',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('submission_id', sa.Integer(), nullable=False),
        sa.Column('station_code', sa.String(length=12), nullable=False),
        sa.Column('service_date', sa.Date(), nullable=False),
        sa.Column('staff_member_id', sa.Integer(), nullable=True),
        sa.Column('new_name', sa.String(length=50), nullable=True),
        sa.Column('new_gender', sa.String(length=10), nullable=True),
        sa.Column('new_phone', sa.String(length=20), nullable=True),
        sa.Column('minutes', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['submission_id'], ['submission.id'],
                                name=op.f('fk_volunteer_hours_submission_id_submission'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['staff_member_id'], ['staff_member.id'],
                                name=op.f('fk_volunteer_hours_staff_member_id_staff_member'), ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_volunteer_hours')),
    )
    op.create_index('ix_volunteer_hours_submission_id', 'volunteer_hours', ['submission_id'])
    op.create_index('ix_volunteer_hours_station_date', 'volunteer_hours', ['station_code', 'service_date'])
    op.create_index('ix_volunteer_hours_member_date', 'volunteer_hours', ['staff_member_id', 'service_date'])
    op.create_table(
        'volunteer_certificate',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('number', sa.String(length=40), nullable=False),
        sa.Column('token', sa.String(length=40), nullable=False),
        sa.Column('staff_member_id', sa.Integer(), nullable=True),
        sa.Column('volunteer_name', sa.String(length=50), nullable=False),
        sa.Column('station_code', sa.String(length=12), nullable=False),
        sa.Column('station_name', sa.String(length=200), nullable=False),
        sa.Column('period_from', sa.Date(), nullable=False),
        sa.Column('period_to', sa.Date(), nullable=False),
        sa.Column('minutes', sa.Integer(), nullable=False),
        sa.Column('activities', sa.Integer(), nullable=False),
        sa.Column('activity_lines', sa.JSON(), nullable=False),
        sa.Column('issued_on', sa.Date(), nullable=False),
        sa.Column('issued_by_id', sa.Integer(), nullable=True),
        sa.Column('issued_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('revoked_reason', sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(['staff_member_id'], ['staff_member.id'],
                                name=op.f('fk_volunteer_certificate_staff_member_id_staff_member'),
                                ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['issued_by_id'], ['user_account.id'],
                                name=op.f('fk_volunteer_certificate_issued_by_id_user_account'), ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_volunteer_certificate')),
        sa.UniqueConstraint('number', name=op.f('uq_volunteer_certificate_number')),
        sa.UniqueConstraint('token', name=op.f('uq_volunteer_certificate_token')),
    )
    op.create_index('ix_volunteer_certificate_station_code', 'volunteer_certificate', ['station_code'])


def downgrade():
    op.drop_table('volunteer_certificate')
    op.drop_table('volunteer_hours')
