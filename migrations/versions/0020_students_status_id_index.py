"""students: index (status, id) instead of (status) — PostgreSQL reads the ids of the students
on a hold status (休学, 退学, 转出) from the index alone for the recovery page (SQLite's index
already carried the rowid)

Revision ID: 0020
Revises: 0019
"""
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_students_status_id", "students", ["status", "id"], unique=False)
    op.drop_index("ix_students_status", table_name="students")
    # the planner needs the new index's statistics: without them SQLite walks (status, id) for
    # "class_id IS NULL AND status = ?" on the data-quality page (7 → 109 ms at province scale)
    op.execute("ANALYZE students")


def downgrade():
    op.create_index("ix_students_status", "students", ["status"], unique=False)
    op.drop_index("ix_students_status_id", table_name="students")
