"""stored red-flag counts per jurisdiction root (issue 9: 首页, 监督检查总览, 红旗清单 at province scale)

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


def downgrade():
    op.drop_table("stored_flag_counts")
