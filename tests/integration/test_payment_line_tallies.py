"""The payment line tallies (migration 0019) that the settlement roll-up reads: exact after every
write, on both engines (tests/conftest.py checks them after every test as well), folded and
rebuilt by `flask --app app funds tallies`."""
from __future__ import annotations

from sqlalchemy import func, select, text, update

from aid.extensions import db
from aid.funds import tallies
from aid.funds.models import PaymentLine, PaymentLineTally
from tests.integration.test_funds_scale import ledgers  # noqa: F401  (several schools, statuses, periods)


def _any_lines():
    return db.session.scalar(select(func.count()).select_from(PaymentLine))


def test_sql_writes_outside_the_orm_keep_the_tallies_exact(ledgers):  # noqa: F811
    assert _any_lines() > 0 and tallies.check() == []
    some = db.session.scalar(select(PaymentLine.id).where(PaymentLine.status == "paid").limit(1))
    db.session.execute(update(PaymentLine).where(PaymentLine.id == some).values(status="recovered"))
    db.session.execute(update(PaymentLine).where(PaymentLine.status == "pending").values(amount_fen=PaymentLine.amount_fen + 1))
    db.session.execute(text("DELETE FROM payment_lines WHERE status = 'failed' AND carried_to_id IS NULL "
                            "AND id NOT IN (SELECT carried_to_id FROM payment_lines WHERE carried_to_id IS NOT NULL)"))
    db.session.commit()
    assert tallies.check() == []


def test_the_cli_reports_a_difference_and_rebuild_and_compact_repair_it(ledgers, app):  # noqa: F811
    runner = app.test_cli_runner()
    assert runner.invoke(args=["funds", "tallies"]).exit_code == 0
    db.session.execute(update(PaymentLineTally).values(n=PaymentLineTally.n + 1))  # as after a failed restore
    db.session.commit()
    result = runner.invoke(args=["funds", "tallies"])
    assert result.exit_code == 1 and "统计" in result.output and "实际" in result.output
    assert runner.invoke(args=["funds", "tallies", "--rebuild"]).exit_code == 0
    rows = db.session.scalar(select(func.count()).select_from(PaymentLineTally))
    assert runner.invoke(args=["funds", "tallies", "--compact"]).exit_code == 0
    assert db.session.scalar(select(func.count()).select_from(PaymentLineTally)) == rows
    assert tallies.check() == []
