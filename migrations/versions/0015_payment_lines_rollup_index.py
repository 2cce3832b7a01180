"""payment lines: a covering index for the settlement roll-up (per programme and period,
per school and status: sums and distinct students from the index alone)

Revision ID: 0015
Revises: 0014
"""
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("payment_lines", schema=None) as batch_op:
        batch_op.create_index("ix_payment_lines_rollup",
                              ["programme_id", "period", "school_id", "status", "student_id", "amount_fen"],
                              unique=False)


def downgrade():
    with op.batch_alter_table("payment_lines", schema=None) as batch_op:
        batch_op.drop_index("ix_payment_lines_rollup")
