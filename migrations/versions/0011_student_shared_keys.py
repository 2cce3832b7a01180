"""student_shared_keys: ID-number and aid-card hashes shared by two or more active students;
covering indexes for the 长期空挂 and 非在籍学生获批资助 red-flag counts

The duplicate-ID and shared-card red flags count from this table (kept on every student write by
aid.students.shared_keys) instead of grouping every student on each view. Filled here from the
existing register: one grouping per kind.

Revision ID: 0011
Revises: 0015
"""
import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0015"
branch_labels = None
depends_on = None

ACTIVE = "('在籍', '休学')"


def upgrade():
    op.create_table(
        "student_shared_keys",
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("kind", "key_hash", name=op.f("pk_student_shared_keys")),
    )
    for kind, column in (("id", "id_number_hash"), ("card", "aid_card_hash")):
        op.execute(
            f"INSERT INTO student_shared_keys (kind, key_hash) "
            f"SELECT '{kind}', {column} FROM students WHERE {column} IS NOT NULL "
            f"GROUP BY {column} HAVING count(CASE WHEN status IN {ACTIVE} THEN 1 END) > 1")
    with op.batch_alter_table("students", schema=None) as batch_op:
        batch_op.create_index("ix_students_status_mode_school_updated",
                              ["status", "study_mode", "school_id", "updated_at"], unique=False)
    with op.batch_alter_table("applications", schema=None) as batch_op:
        batch_op.create_index("ix_applications_student_state_school", ["student_id", "state", "school_id"],
                              unique=False)
    # planner statistics for the new indexes at once: without them SQLite keeps preferring the
    # one-column student_id index it has statistics for (and reads the table)
    for table in ("students", "applications", "student_shared_keys"):
        op.execute(f"ANALYZE {table}")


def downgrade():
    with op.batch_alter_table("applications", schema=None) as batch_op:
        batch_op.drop_index("ix_applications_student_state_school")
    with op.batch_alter_table("students", schema=None) as batch_op:
        batch_op.drop_index("ix_students_status_mode_school_updated")
    op.drop_table("student_shared_keys")
