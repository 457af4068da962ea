"""resident feedback excluded from indicators only with a reason, by county supervisors and admins

Revision ID: 3c5e0f4a7b21
Revises: 0c5e1f3a7b21
Create Date: 2026-12-06 06:40:00

Feedback rejected before this revision: kept out of the indicators (reason ``unstated``) when the last rejection
was a county supervisor's or an admin's; counted again (state back to ``received``) when it was the station's own,
which the station judged by the rate was never entitled to do (docs/indicators.md). The history keeps both.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '3c5e0f4a7b21'
down_revision = '0c5e1f3a7b21'
branch_labels = None
depends_on = None

REJECTED_FEEDBACK = """
    SELECT s.id, (SELECT u.role FROM submission_event e LEFT JOIN user_account u ON u.id = e.user_id
                  WHERE e.submission_id = s.id AND e.review_state = 'rejected'
                  ORDER BY e.id DESC LIMIT 1) AS role
    FROM submission s JOIN form f ON f.id = s.form_id
    WHERE f.xml_form_id = 'resident_feedback' AND s.review_state = 'rejected'
"""


def upgrade():
    with op.batch_alter_table('submission', schema=None, recreate='never') as batch_op:
        batch_op.add_column(sa.Column('exclusion_reason', sa.String(length=30), nullable=True))
        batch_op.add_column(sa.Column('exclusion_note', sa.Text(), nullable=True))

    with op.batch_alter_table('submission_event', schema=None, recreate='never') as batch_op:
        batch_op.add_column(sa.Column('reason', sa.String(length=30), nullable=True))

    connection = op.get_bind()
    for submission_id, role in connection.execute(sa.text(REJECTED_FEEDBACK)).all():
        if role in ('admin', 'county'):
            connection.execute(sa.text("UPDATE submission SET exclusion_reason = 'unstated' WHERE id = :id"),
                               {"id": submission_id})
        else:
            connection.execute(sa.text("UPDATE submission SET review_state = 'received' WHERE id = :id"),
                               {"id": submission_id})


def downgrade():
    connection = op.get_bind()
    connection.execute(sa.text("UPDATE submission SET review_state = 'rejected' WHERE exclusion_reason IS NOT NULL"))
    # ALTER TABLE … DROP COLUMN (SQLite ≥ 3.35), never a copy of the table: dropping the old submission table with
    # foreign keys on would delete its versions and events by cascade.
    with op.batch_alter_table('submission_event', schema=None, recreate='never') as batch_op:
        batch_op.drop_column('reason')

    with op.batch_alter_table('submission', schema=None, recreate='never') as batch_op:
        batch_op.drop_column('exclusion_note')
        batch_op.drop_column('exclusion_reason')
