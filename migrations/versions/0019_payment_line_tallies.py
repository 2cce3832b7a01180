"""payment line tallies: lines and amounts per programme, period, school and status, kept by
triggers

The settlement roll-up of a province grouped the programme's ≈ 58,000 payment lines of the
semester on every view (≈ 30 ms of SQLite's fetch alone, the page 72 ms); it now sums the
tallies. Database triggers keep them exact on every write path (ORM, bulk inserts, bank returns,
recoveries), as the student (0014) and application (0017) tallies: SQLite keeps one row per key;
on PostgreSQL the trigger appends rows so concurrent writers never wait on a shared row, and
`flask --app app funds tallies --compact` folds them (readers always sum).

Revision ID: 0019
Revises: 0017
"""
import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0017"
branch_labels = None
depends_on = None

COLUMNS = ("programme_id", "period", "school_id", "status")
KEY = ", ".join(COLUMNS)
SAME_KEY = " AND ".join(f"{c} = {{r}}.{c}" for c in COLUMNS)
SQLITE_ADD = (f"UPDATE payment_line_tallies SET n = n + 1, amount_fen = amount_fen + NEW.amount_fen "
              f"WHERE {SAME_KEY.format(r='NEW')}; "
              f"INSERT INTO payment_line_tallies ({KEY}, n, amount_fen) "
              f"SELECT {', '.join('NEW.' + c for c in COLUMNS)}, 1, NEW.amount_fen "
              f"WHERE NOT EXISTS (SELECT 1 FROM payment_line_tallies WHERE {SAME_KEY.format(r='NEW')});")
SQLITE_REMOVE = (f"UPDATE payment_line_tallies SET n = n - 1, amount_fen = amount_fen - OLD.amount_fen "
                 f"WHERE {SAME_KEY.format(r='OLD')};")
WATCHED = COLUMNS + ("amount_fen",)
CHANGED = " OR ".join(f"OLD.{c} != NEW.{c}" for c in WATCHED)

TRIGGERS = {
    "sqlite": [
        f"CREATE TRIGGER payment_line_tallies_insert AFTER INSERT ON payment_lines BEGIN {SQLITE_ADD} END",
        f"CREATE TRIGGER payment_line_tallies_delete AFTER DELETE ON payment_lines BEGIN {SQLITE_REMOVE} END",
        f"CREATE TRIGGER payment_line_tallies_update AFTER UPDATE OF {', '.join(WATCHED)} ON payment_lines "
        f"WHEN {CHANGED} BEGIN {SQLITE_REMOVE} {SQLITE_ADD} END",
    ],
    "postgresql": [
        f"""CREATE FUNCTION payment_line_tallies_apply() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' AND ({CHANGED.replace('!=', 'IS DISTINCT FROM')}) IS NOT TRUE THEN
    RETURN NULL;
  END IF;
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    INSERT INTO payment_line_tallies ({KEY}, n, amount_fen)
      VALUES ({', '.join('OLD.' + c for c in COLUMNS)}, -1, -OLD.amount_fen);
  END IF;
  IF TG_OP IN ('UPDATE', 'INSERT') THEN
    INSERT INTO payment_line_tallies ({KEY}, n, amount_fen)
      VALUES ({', '.join('NEW.' + c for c in COLUMNS)}, 1, NEW.amount_fen);
  END IF;
  RETURN NULL;
END $$""",
        f"CREATE TRIGGER payment_line_tallies_change AFTER INSERT OR DELETE OR UPDATE OF {', '.join(WATCHED)} "
        f"ON payment_lines FOR EACH ROW EXECUTE FUNCTION payment_line_tallies_apply()",
    ],
}
DROP = {
    "sqlite": ["DROP TRIGGER payment_line_tallies_insert", "DROP TRIGGER payment_line_tallies_delete",
               "DROP TRIGGER payment_line_tallies_update"],
    "postgresql": ["DROP TRIGGER payment_line_tallies_change ON payment_lines",
                   "DROP FUNCTION payment_line_tallies_apply()"],
}


def upgrade():
    op.create_table(
        "payment_line_tallies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("programme_id", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(length=12), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_payment_line_tallies_key", "payment_line_tallies", list(COLUMNS) + ["n", "amount_fen"],
                    unique=False)
    op.execute(f"INSERT INTO payment_line_tallies ({KEY}, n, amount_fen) "
               f"SELECT {KEY}, count(*), sum(amount_fen) FROM payment_lines GROUP BY {KEY}")
    for statement in TRIGGERS[op.get_bind().dialect.name]:
        op.execute(statement)
    op.execute("ANALYZE payment_line_tallies")


def downgrade():
    for statement in DROP[op.get_bind().dialect.name]:
        op.execute(statement)
    op.drop_index("ix_payment_line_tallies_key", table_name="payment_line_tallies")
    op.drop_table("payment_line_tallies")
