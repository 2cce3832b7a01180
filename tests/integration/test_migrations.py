"""The Alembic migrations build exactly the schema the models describe (on the
engine under test: SQLite by default, PostgreSQL in the second pass of .ci/run)."""
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from aid.extensions import db


def test_migrations_match_models(ctx):
    with db.engine.connect() as conn:
        mc = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(mc, db.metadata)
    assert diff == [], f"models and migrations disagree: {diff}"


def test_single_head(ctx):
    from alembic.script import ScriptDirectory

    migrate = ctx.extensions["migrate"]
    heads = ScriptDirectory.from_config(migrate.migrate.get_config(migrate.directory)).get_heads()
    assert len(heads) == 1, f"migration branches must be merged into one head: {heads}"
