"""stored red-flag counts per jurisdiction root; hardship (state, school_id) index for the home
page's waiting-work counts (issue 9: 首页, 监督检查总览, 红旗清单 at province scale)

Revision ID: 0016
Revises: 0012
"""
from alembic import op
import sqlalchemy as sa

revision = "0016"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "stored_flag_counts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("authority_id", sa.Integer(), nullable=False),
        sa.Column("flag_code", sa.String(length=40), nullable=False),
        sa.Column("available", sa.Boolean(), nullable=False),
        sa.Column("open_count", sa.Integer(), nullable=False),
        sa.Column("reviewed_count", sa.Integer(), nullable=False),
        sa.Column("computed_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["authority_id"], ["authorities.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("authority_id", "flag_code"),
    )
    with op.batch_alter_table("hardship_applications", schema=None) as batch_op:
        batch_op.create_index("ix_hardship_applications_state_school", ["state", "school_id"], unique=False)
    # planner statistics for the new index at once (SQLite otherwise keeps the one-column state index)
    op.execute("ANALYZE hardship_applications")


def downgrade():
    with op.batch_alter_table("hardship_applications", schema=None) as batch_op:
        batch_op.drop_index("ix_hardship_applications_state_school")
    op.drop_table("stored_flag_counts")
