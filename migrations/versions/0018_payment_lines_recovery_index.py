"""payment lines: indexes for the recovery page — the paid lines of the students who can be
held, probed per student without reading the table rows, and the recovered lines newest first

Revision ID: 0018
Revises: 0016
"""
from alembic import op

revision = "0018"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("payment_lines", schema=None) as batch_op:
        batch_op.create_index("ix_payment_lines_recovery", ["student_id", "status", "school_id", "period"],
                              unique=False)
        batch_op.create_index("ix_payment_lines_recovered", ["status", "recovered_at"], unique=False)


def downgrade():
    with op.batch_alter_table("payment_lines", schema=None) as batch_op:
        batch_op.drop_index("ix_payment_lines_recovered")
        batch_op.drop_index("ix_payment_lines_recovery")
