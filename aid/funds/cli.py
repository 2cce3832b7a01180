"""`flask --app app funds ...`: maintenance commands for the funds area."""
from __future__ import annotations

import click
from flask import Flask
from flask.cli import with_appcontext
from sqlalchemy import select


def register(app: Flask) -> None:
    @app.cli.group("funds")
    def funds_group():
        """Funds (发放与资金) tools."""

    @funds_group.command("render-ledgers")
    @with_appcontext
    def render_ledgers():
        """Render the ledger of every locked batch that has none (e.g. after a crash mid-job)."""
        from aid.extensions import db
        from aid.funds import ledger
        from aid.funds.models import PaymentBatch

        ids = db.session.execute(select(PaymentBatch.id).where(PaymentBatch.state.in_(("locked", "returned")),
                                                                PaymentBatch.ledger_document_id.is_(None))
                                 .order_by(PaymentBatch.id)).scalars().all()
        for batch_id in ids:
            try:
                doc = ledger.render_and_store(batch_id, None)
                db.session.commit()
                click.echo(f"第{batch_id}号批次：台账已生成（SHA-256 {doc.sha256[:16]}…）")
            except Exception as exc:  # report and go on with the next batch
                db.session.rollback()
                click.echo(f"第{batch_id}号批次：台账生成失败：{exc}", err=True)
        if not ids:
            click.echo("没有缺少台账的已锁定批次")

    @funds_group.command("tallies")
    @click.option("--compact", is_flag=True, help="Fold the tallies into one row per key (schedule it on PostgreSQL).")
    @click.option("--rebuild", is_flag=True, help="Recount the tallies from the payment_lines table.")
    @with_appcontext
    def tallies_command(compact: bool, rebuild: bool):
        """Check the payment line tallies (the settlement roll-up) against the payment_lines table
        (exit 1 when they differ); --compact folds PostgreSQL's appended rows, --rebuild recounts."""
        from aid.funds import tallies
        from aid.tallies import run_tally_command

        run_tally_command(tallies, compact=compact, rebuild=rebuild, table_label="发放明细表", tally_label="发放统计")
