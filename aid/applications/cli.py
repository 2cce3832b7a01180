"""`flask --app app applications tallies [--compact | --rebuild]`."""
from __future__ import annotations

import click
from flask import Flask
from flask.cli import with_appcontext


def register(app: Flask) -> None:
    @app.cli.group("applications")
    def applications_group():
        """Aid application tools."""

    @applications_group.command("tallies")
    @click.option("--compact", is_flag=True, help="Fold the tallies into one row per key (schedule it on PostgreSQL).")
    @click.option("--rebuild", is_flag=True, help="Recount the tallies from the applications table.")
    @with_appcontext
    def tallies_command(compact: bool, rebuild: bool):
        """Check the application tallies (the queue's tab counts and waiting-work badges) against
        the applications table (exit 1 when they differ); --compact folds PostgreSQL's appended
        rows, --rebuild recounts them."""
        from aid.applications import tallies
        from aid.tallies import run_tally_command

        run_tally_command(tallies, compact=compact, rebuild=rebuild, table_label="申请表", tally_label="资助申请统计")
