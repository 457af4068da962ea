"""submission_tally: the supervisor list's per-state counts, kept as submissions change, counted once here

Revision ID: c4e8a1d3f5b7
Revises: b3d9e1f2a6c8
Create Date: 2026-12-06 15:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'c4e8a1d3f5b7'
down_revision = 'b3d9e1f2a6c8'
branch_labels = None
depends_on = None

CHINA_DAY = {"sqlite": "date(created_at, '+8 hours')", "postgresql": "(created_at AT TIME ZONE 'Asia/Shanghai')::date"}
MONTH_START = {"sqlite": "date(day, 'start of month')", "postgresql": "date_trunc('month', day)::date"}


def upgrade():
    op.create_table(
        'submission_tally',
        sa.Column('station_code', sa.String(length=12), nullable=False),
        sa.Column('form_id', sa.Integer(), nullable=False),
        sa.Column('span', sa.String(length=5), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('review_state', sa.String(length=20), nullable=False),
        sa.Column('risk_level', sa.String(length=10), nullable=False),
        sa.Column('count', sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(['form_id'], ['form.id'], name=op.f('fk_submission_tally_form_id_form')),
        sa.ForeignKeyConstraint(['station_code'], ['station.code'],
                                name=op.f('fk_submission_tally_station_code_station')),
        sa.PrimaryKeyConstraint('station_code', 'form_id', 'span', 'day', 'review_state', 'risk_level',
                                name=op.f('pk_submission_tally')),
    )
    dialect = op.get_bind().dialect.name
    day, month = CHINA_DAY[dialect], MONTH_START[dialect]
    op.execute(
        "INSERT INTO submission_tally (station_code, form_id, span, day, review_state, risk_level, count) "
        f"SELECT station_code, form_id, 'day', {day}, review_state, coalesce(risk_level, ''), count(*) "
        f"FROM submission GROUP BY station_code, form_id, {day}, review_state, coalesce(risk_level, '')")
    op.execute(
        "INSERT INTO submission_tally (station_code, form_id, span, day, review_state, risk_level, count) "
        f"SELECT station_code, form_id, 'month', {month}, review_state, risk_level, sum(count) "
        f"FROM submission_tally WHERE span = 'day' GROUP BY station_code, form_id, {month}, review_state, risk_level")


def downgrade():
    op.drop_table('submission_tally')
