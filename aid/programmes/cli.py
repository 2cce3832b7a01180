"""`flask --app app programmes seed`: the shipped national programmes as data."""
import click
from flask import Flask
from flask.cli import with_appcontext


def register(app: Flask) -> None:
    @app.cli.group("programmes")
    def programmes_group():
        """Aid programmes."""

    @programmes_group.command("seed")
    @with_appcontext
    def seed():
        """Create the 2023 national programmes and the 2025-spring grant change (idempotent)."""
        from aid.extensions import db
        from aid.hardship.service import seed_categories
        from aid.programmes.service import seed_defaults

        created = seed_defaults()
        categories = seed_categories()
        db.session.commit()
        click.echo(f"新建政策版本 {created} 个，困难类别 {categories} 个。")
