"""coverage indexes and report snapshots (issue 9: 统计报表 and 应助尽助 at province scale)

Revision ID: 0013
Revises: 0011
"""
from alembic import op
import sqlalchemy as sa

revision = "0013"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "report_snapshots",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("semester", sa.String(length=12), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("computed_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["school_id"], ["schools.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("semester", "school_id"),
    )
    with op.batch_alter_table("report_snapshots", schema=None) as batch_op:
        batch_op.create_index("ix_report_snapshots_school_id", ["school_id"], unique=False)
    op.create_table(
        "report_figures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("semester", sa.String(length=12), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("table_code", sa.String(length=20), nullable=False),
        sa.Column("item", sa.String(length=200), nullable=False),
        sa.Column("detail", sa.String(length=40), nullable=False),
        sa.Column("n1", sa.BigInteger(), nullable=False),
        sa.Column("n2", sa.BigInteger(), nullable=False),
        sa.Column("n3", sa.BigInteger(), nullable=False),
        sa.Column("n4", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["school_id"], ["schools.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("report_figures", schema=None) as batch_op:
        batch_op.create_index("ix_report_figures_semester_school", ["semester", "school_id"], unique=False)
    with op.batch_alter_table("applications", schema=None) as batch_op:
        batch_op.create_index("ix_applications_student_semester_state", ["student_id", "semester", "state"],
                              unique=False)
    with op.batch_alter_table("hardship_applications", schema=None) as batch_op:
        batch_op.create_index("ix_hardship_applications_coverage",
                              ["school_year", "semester", "school_id", "student_id", "state", "level", "categories"],
                              unique=False)


def downgrade():
    op.drop_table("report_figures")
    op.drop_table("report_snapshots")
    with op.batch_alter_table("hardship_applications", schema=None) as batch_op:
        batch_op.drop_index("ix_hardship_applications_coverage")
    with op.batch_alter_table("applications", schema=None) as batch_op:
        batch_op.drop_index("ix_applications_student_semester_state")
