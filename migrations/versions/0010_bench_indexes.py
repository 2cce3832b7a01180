"""bench indexes: found by the province-scale benchmark (docs/performance.md)

Revision ID: 0010
Revises: 0005
"""
from alembic import op

revision = "0010"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("applications", schema=None) as batch_op:
        batch_op.create_index("ix_applications_semester_state", ["semester", "state", "school_id"],
                              unique=False)
    with op.batch_alter_table("students", schema=None) as batch_op:
        batch_op.create_index("ix_students_school_mode_regstate", ["school_id", "study_mode", "registration_state"],
                              unique=False)


def downgrade():
    with op.batch_alter_table("applications", schema=None) as batch_op:
        batch_op.drop_index("ix_applications_semester_state")
    with op.batch_alter_table("students", schema=None) as batch_op:
        batch_op.drop_index("ix_students_school_mode_regstate")
