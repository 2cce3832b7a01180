"""coverage indexes and report snapshots (issue 9: 统计报表 and 应助尽助 at province scale)

Revision ID: 0013
Revises: 0010
"""
from alembic import op

revision = "0013"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("applications", schema=None) as batch_op:
        batch_op.create_index("ix_applications_student_semester_state", ["student_id", "semester", "state"],
                              unique=False)
    with op.batch_alter_table("hardship_applications", schema=None) as batch_op:
        batch_op.create_index("ix_hardship_applications_coverage",
                              ["school_year", "semester", "school_id", "student_id", "state", "level", "categories"],
                              unique=False)


def downgrade():
    with op.batch_alter_table("hardship_applications", schema=None) as batch_op:
        batch_op.drop_index("ix_hardship_applications_coverage")
    with op.batch_alter_table("applications", schema=None) as batch_op:
        batch_op.drop_index("ix_applications_student_semester_state")
