"""student_shared_keys: ID-number and aid-card hashes shared by two or more active students

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


def downgrade():
    op.drop_table("student_shared_keys")
