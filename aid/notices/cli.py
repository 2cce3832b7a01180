"""`flask --app app notices close-expired`: end every notice whose period is over
and whose objections are resolved (idempotent; the public page hides expired
notices whether or not this has run)."""
from __future__ import annotations

import click
from flask import Flask
from flask.cli import with_appcontext


def register(app: Flask) -> None:
    @app.cli.group("notices")
    def notices_group():
        """Public notice (公示) tools."""

    @notices_group.command("close-expired")
    @with_appcontext
    def close_expired():
        """End the notices whose period is over; their items move on."""
        from aid.extensions import db
        from aid.notices.service import close_expired as run

        ended = run()
        db.session.commit()
        click.echo(f"已结束{ended}份公示期满的公示。")
