"""student tallies: counts per school, study mode, status and registration state, kept by triggers

Province-wide counts (电子注册's per-school table, dashboards) sum a few thousand tally rows
instead of counting 200,000 students per request. Database triggers keep the tallies exact on
every write path, ORM or bulk. SQLite (one writer at a time) keeps one row per key; on
PostgreSQL the trigger appends +1/-1 rows instead of updating a shared row, so concurrent
writers never wait on (or deadlock over) a tally row; `flask --app app students
compact-tallies` folds them (readers always sum, so both shapes read the same).

Revision ID: 0014
Revises: 0010
"""
import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0010"
branch_labels = None
depends_on = None

KEY = "school_id, study_mode, status, registration_state"
SAME_KEY = ("school_id = {r}.school_id AND study_mode = {r}.study_mode AND status = {r}.status "
            "AND registration_state = {r}.registration_state")
SQLITE_ADD = (f"UPDATE student_tallies SET n = n + 1 WHERE {SAME_KEY.format(r='NEW')}; "
              f"INSERT INTO student_tallies ({KEY}, n) SELECT NEW.school_id, NEW.study_mode, NEW.status, "
              f"NEW.registration_state, 1 WHERE NOT EXISTS "
              f"(SELECT 1 FROM student_tallies WHERE {SAME_KEY.format(r='NEW')});")
SQLITE_REMOVE = f"UPDATE student_tallies SET n = n - 1 WHERE {SAME_KEY.format(r='OLD')};"
CHANGED = " OR ".join(f"OLD.{c} != NEW.{c}" for c in KEY.split(", "))

TRIGGERS = {
    "sqlite": [
        f"CREATE TRIGGER student_tallies_insert AFTER INSERT ON students BEGIN {SQLITE_ADD} END",
        f"CREATE TRIGGER student_tallies_delete AFTER DELETE ON students BEGIN {SQLITE_REMOVE} END",
        f"CREATE TRIGGER student_tallies_update AFTER UPDATE OF {KEY} ON students WHEN {CHANGED} "
        f"BEGIN {SQLITE_REMOVE} {SQLITE_ADD} END",
    ],
    "postgresql": [
        f"""CREATE FUNCTION student_tallies_apply() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' AND ({CHANGED.replace('!=', 'IS DISTINCT FROM')}) IS NOT TRUE THEN
    RETURN NULL;
  END IF;
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    INSERT INTO student_tallies ({KEY}, n) VALUES (OLD.school_id, OLD.study_mode, OLD.status, OLD.registration_state, -1);
  END IF;
  IF TG_OP IN ('UPDATE', 'INSERT') THEN
    INSERT INTO student_tallies ({KEY}, n) VALUES (NEW.school_id, NEW.study_mode, NEW.status, NEW.registration_state, 1);
  END IF;
  RETURN NULL;
END $$""",
        f"CREATE TRIGGER student_tallies_change AFTER INSERT OR DELETE OR UPDATE OF {KEY} ON students "
        f"FOR EACH ROW EXECUTE FUNCTION student_tallies_apply()",
    ],
}
DROP = {
    "sqlite": ["DROP TRIGGER student_tallies_insert", "DROP TRIGGER student_tallies_delete",
               "DROP TRIGGER student_tallies_update"],
    "postgresql": ["DROP TRIGGER student_tallies_change ON students", "DROP FUNCTION student_tallies_apply()"],
}


def upgrade():
    op.create_table(
        "student_tallies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("study_mode", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("registration_state", sa.String(length=16), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_student_tallies_key", "student_tallies",
                    ["school_id", "study_mode", "status", "registration_state"], unique=False)
    op.execute(f"INSERT INTO student_tallies ({KEY}, n) SELECT {KEY}, count(*) FROM students GROUP BY {KEY}")
    for statement in TRIGGERS[op.get_bind().dialect.name]:
        op.execute(statement)


def downgrade():
    for statement in DROP[op.get_bind().dialect.name]:
        op.execute(statement)
    op.drop_index("ix_student_tallies_key", table_name="student_tallies")
    op.drop_table("student_tallies")
