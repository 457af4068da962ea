"""visit date and satisfaction columns

Revision ID: be63ad8a5e97
Revises: 3d209e1b3ceb
Create Date: 2026-11-28 17:57:56.373063

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'be63ad8a5e97'
down_revision = '3d209e1b3ceb'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('submission', schema=None) as batch_op:
        batch_op.add_column(sa.Column('visit_date', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('satisfaction', sa.Integer(), nullable=True))
        batch_op.create_index('ix_submission_case_visit', ['case_id', 'visit_date'], unique=False)
        batch_op.create_index('ix_submission_form_visit', ['form_id', 'visit_date'], unique=False)
    # Submissions received before this column existed: the day they arrived (UTC) stands in.
    day = "date(created_at)" if op.get_bind().dialect.name == "sqlite" else "CAST(created_at AS DATE)"
    op.execute(f"UPDATE submission SET visit_date = {day} WHERE visit_date IS NULL")



def downgrade():
    with op.batch_alter_table('submission', schema=None) as batch_op:
        batch_op.drop_index('ix_submission_form_visit')
        batch_op.drop_index('ix_submission_case_visit')
        batch_op.drop_column('satisfaction')
        batch_op.drop_column('visit_date')

