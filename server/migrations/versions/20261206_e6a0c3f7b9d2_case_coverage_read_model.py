"""case_record.counted_visit_on and category_key: coverage's read model on the case row (queries/coverage_model.py)

Revision ID: e6a0c3f7b9d2
Revises: d5f9b2e4a6c1
Create Date: 2026-12-06 18:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'e6a0c3f7b9d2'
down_revision = 'd5f9b2e4a6c1'
branch_labels = None
depends_on = None

# The visit forms as they stand at this revision (server/domain/cases.py VISIT_FORMS); a migration reads no app code.
VISIT_FORMS = ("home_visit", "household_survey", "elder_patrol", "child_followup")


def upgrade():
    with op.batch_alter_table('case_record', schema=None, recreate='never') as batch_op:
        batch_op.add_column(sa.Column('counted_visit_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('category_key', sa.String(length=200), server_default='', nullable=False))
    forms = ", ".join(f"'{name}'" for name in VISIT_FORMS)
    # Each case's latest visit that counts: a visit form's submission, not rejected (updated_at is left alone).
    # One grouped pass, written with UPDATE … FROM (SQLite 3.33+ and PostgreSQL).
    op.execute(f"""
        UPDATE case_record SET counted_visit_on = latest.day
        FROM (SELECT submission.case_id AS case_id, max(submission.visit_date) AS day
              FROM submission JOIN form ON form.id = submission.form_id
              WHERE form.xml_form_id IN ({forms}) AND submission.review_state != 'rejected'
                AND submission.visit_date IS NOT NULL AND submission.case_id IS NOT NULL
              GROUP BY submission.case_id) AS latest
        WHERE case_record.id = latest.case_id""")
    # Its categories, sorted and comma-joined: built here rather than with the dialects' string aggregates,
    # whose order SQLite does not promise.
    connection = op.get_bind()
    keys: dict[str, list[str]] = {}
    for case_id, category in connection.execute(sa.text("SELECT case_id, category FROM case_category")):
        keys.setdefault(case_id, []).append(category)
    if keys:
        connection.execute(sa.text("UPDATE case_record SET category_key = :key WHERE id = :id"),
                           [{"id": case_id, "key": ",".join(sorted(found))} for case_id, found in sorted(keys.items())])
    op.create_index('ix_case_record_coverage', 'case_record',
                    ['station_code', 'status', 'category_key', 'registered_on', 'counted_visit_on', 'village_code'],
                    unique=False)


def downgrade():
    op.drop_index('ix_case_record_coverage', table_name='case_record')
    with op.batch_alter_table('case_record', schema=None, recreate='never') as batch_op:
        batch_op.drop_column('category_key')
        batch_op.drop_column('counted_visit_on')
