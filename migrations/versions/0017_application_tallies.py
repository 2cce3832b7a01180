"""application tallies: counts per school, semester, programme, level and state, kept by triggers;
index (state, semester DESC, school_id) for the hardship list filtered by state

The approval queue's tabs and the waiting-work badges (home panel, navigation) sum a few
thousand tally rows instead of counting a province's 260,000 applications per request (they
were capped at 10,000 and still walked up to 10,000 index entries per tab). Database triggers
keep the tallies exact on every write path, ORM or bulk, as the student tallies (0014) do:
SQLite (one writer at a time) keeps one row per key; on PostgreSQL the trigger appends +1/-1
rows so concurrent writers never wait on a shared row, and `flask --app app applications
tallies --compact` folds them (readers always sum, so both shapes read the same).

The hardship list filtered by state over many schools sorted a province's 20,000 filed
determinations per page; the new index gives that state's rows in the list's order.

Revision ID: 0017
Revises: 0018
"""
import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0018"
branch_labels = None
depends_on = None

COLUMNS = ("school_id", "semester", "programme_id", "level", "state")
KEY = ", ".join(COLUMNS)
SAME_KEY = " AND ".join(f"{c} = {{r}}.{c}" for c in COLUMNS)
SQLITE_ADD = (f"UPDATE application_tallies SET n = n + 1 WHERE {SAME_KEY.format(r='NEW')}; "
              f"INSERT INTO application_tallies ({KEY}, n) SELECT {', '.join('NEW.' + c for c in COLUMNS)}, 1 "
              f"WHERE NOT EXISTS (SELECT 1 FROM application_tallies WHERE {SAME_KEY.format(r='NEW')});")
SQLITE_REMOVE = f"UPDATE application_tallies SET n = n - 1 WHERE {SAME_KEY.format(r='OLD')};"
CHANGED = " OR ".join(f"OLD.{c} != NEW.{c}" for c in COLUMNS)

TRIGGERS = {
    "sqlite": [
        f"CREATE TRIGGER application_tallies_insert AFTER INSERT ON applications BEGIN {SQLITE_ADD} END",
        f"CREATE TRIGGER application_tallies_delete AFTER DELETE ON applications BEGIN {SQLITE_REMOVE} END",
        f"CREATE TRIGGER application_tallies_update AFTER UPDATE OF {KEY} ON applications WHEN {CHANGED} "
        f"BEGIN {SQLITE_REMOVE} {SQLITE_ADD} END",
    ],
    "postgresql": [
        f"""CREATE FUNCTION application_tallies_apply() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' AND ({CHANGED.replace('!=', 'IS DISTINCT FROM')}) IS NOT TRUE THEN
    RETURN NULL;
  END IF;
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    INSERT INTO application_tallies ({KEY}, n) VALUES ({', '.join('OLD.' + c for c in COLUMNS)}, -1);
  END IF;
  IF TG_OP IN ('UPDATE', 'INSERT') THEN
    INSERT INTO application_tallies ({KEY}, n) VALUES ({', '.join('NEW.' + c for c in COLUMNS)}, 1);
  END IF;
  RETURN NULL;
END $$""",
        f"CREATE TRIGGER application_tallies_change AFTER INSERT OR DELETE OR UPDATE OF {KEY} ON applications "
        f"FOR EACH ROW EXECUTE FUNCTION application_tallies_apply()",
    ],
}
DROP = {
    "sqlite": ["DROP TRIGGER application_tallies_insert", "DROP TRIGGER application_tallies_delete",
               "DROP TRIGGER application_tallies_update"],
    "postgresql": ["DROP TRIGGER application_tallies_change ON applications",
                   "DROP FUNCTION application_tallies_apply()"],
}


def upgrade():
    op.create_table(
        "application_tallies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("semester", sa.String(length=12), nullable=False),
        sa.Column("programme_id", sa.Integer(), nullable=False),
        sa.Column("level", sa.String(length=20), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_application_tallies_key", "application_tallies", list(COLUMNS), unique=False)
    op.create_index("ix_application_tallies_semester_state", "application_tallies",
                    ["semester", "state", "school_id", "n"], unique=False)
    op.execute(f"INSERT INTO application_tallies ({KEY}, n) SELECT {KEY}, count(*) FROM applications GROUP BY {KEY}")
    for statement in TRIGGERS[op.get_bind().dialect.name]:
        op.execute(statement)
    op.execute("ANALYZE application_tallies")
    op.create_index("ix_hardship_applications_state_semester_desc_school", "hardship_applications",
                    ["state", sa.text("semester DESC"), "school_id"], unique=False)
    op.execute("ANALYZE hardship_applications")  # the planner needs the new index's statistics


def downgrade():
    op.drop_index("ix_hardship_applications_state_semester_desc_school", table_name="hardship_applications")
    for statement in DROP[op.get_bind().dialect.name]:
        op.execute(statement)
    op.drop_index("ix_application_tallies_semester_state", table_name="application_tallies")
    op.drop_index("ix_application_tallies_key", table_name="application_tallies")
    op.drop_table("application_tallies")
