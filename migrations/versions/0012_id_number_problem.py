"""students.id_number_problem: the ID check stored at write time, for the data-quality page;
index (school_id, id_number_hash) for its duplicates section; index (semester DESC, school_id) for the
hardship list's order; index happened_on for the status-change queue's order

Revision ID: 0012
Revises: 0013

Existing rows are checked once here with the same plain function the writes use
(aid.core.identity.id_number_problem), decrypting each ID number with the instance's data key.
"""
import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0013"
branch_labels = None
depends_on = None

BATCH = 2000


def upgrade():
    with op.batch_alter_table("students", schema=None) as batch_op:
        batch_op.add_column(sa.Column("id_number_problem", sa.String(length=200), nullable=True))
        batch_op.create_index("ix_students_idproblem_school", ["id_number_problem", "school_id"], unique=False)
        batch_op.create_index("ix_students_school_idhash", ["school_id", "id_number_hash"], unique=False)
    with op.batch_alter_table("hardship_applications", schema=None) as batch_op:
        batch_op.create_index("ix_hardship_applications_semester_desc_school", [sa.text("semester DESC"), "school_id"],
                              unique=False)
    with op.batch_alter_table("status_changes", schema=None) as batch_op:
        batch_op.create_index("ix_status_changes_happened_on", ["happened_on"], unique=False)
    fill(op.get_bind())


def fill(conn) -> int:
    """Set id_number_problem on every student from the stored ID, birth date and gender; returns
    how many records have a problem."""
    from cryptography.exceptions import InvalidTag
    from flask import current_app

    from aid.core.identity import id_number_problem

    students = sa.table("students", sa.column("id", sa.Integer), sa.column("id_number_enc", sa.LargeBinary),
                        sa.column("birth_date", sa.Date), sa.column("gender", sa.String),
                        sa.column("id_number_problem", sa.String))
    if conn.execute(sa.select(students.c.id).limit(1)).first() is None:
        return 0
    cipher = current_app.extensions["aid_cipher"]
    found, last = 0, 0
    while True:
        rows = conn.execute(sa.select(students.c.id, students.c.id_number_enc, students.c.birth_date,
                                      students.c.gender).where(students.c.id > last)
                            .order_by(students.c.id).limit(BATCH)).all()
        if not rows:
            return found
        last = rows[-1].id
        updates = []
        for row in rows:
            try:
                number = cipher.decrypt(row.id_number_enc) if row.id_number_enc else None
            except InvalidTag:  # a value sealed with another key: shown on the page, not a failed upgrade
                problem = "身份证号码无法解密（数据密钥不符）"
            else:
                problem = id_number_problem(number, row.birth_date, row.gender)
            if problem:
                updates.append({"sid": row.id, "problem": problem[:200]})
        if updates:
            found += len(updates)
            conn.execute(students.update().where(students.c.id == sa.bindparam("sid"))
                         .values(id_number_problem=sa.bindparam("problem")), updates)


def downgrade():
    op.drop_index("ix_status_changes_happened_on", table_name="status_changes")
    op.drop_index("ix_hardship_applications_semester_desc_school", table_name="hardship_applications")
    # plain ALTER TABLE ... DROP COLUMN (SQLite >= 3.35): a batch copy of students would trip the
    # foreign keys that point at it
    op.drop_index("ix_students_school_idhash", table_name="students")
    op.drop_index("ix_students_idproblem_school", table_name="students")
    op.drop_column("students", "id_number_problem")
