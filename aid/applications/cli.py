"""`flask --app app applications tallies [--compact | --rebuild]`."""
from __future__ import annotations

import sys

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
        from aid.extensions import db

        if rebuild:
            click.echo(f"已重新统计：{tallies.rebuild()} 组", err=True)
        if compact:
            click.echo(f"已合并：剩余 {tallies.compact()} 行", err=True)
        db.session.commit()
        differences = tallies.check()
        for key, tally, actual in differences:
            click.echo(f"{'/'.join(map(str, key))}\t统计 {tally}\t实际 {actual}")
        if differences:
            click.echo(f"{len(differences)} 组统计与申请表不一致；可用 --rebuild 重新统计。", err=True)
            sys.exit(1)
        click.echo("资助申请统计与申请表一致。", err=True)
