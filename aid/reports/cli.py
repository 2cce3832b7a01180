"""`flask --app app reports refresh [--semester 2026-autumn ...]`: store every school's report
figures for the semesters (default: the current one); schedulable, e.g. hourly or nightly."""
from __future__ import annotations

import click
from flask import Flask
from flask.cli import with_appcontext


def register(app: Flask) -> None:
    @app.cli.group("reports")
    def reports_group():
        """Statistics report tools."""

    @reports_group.command("refresh")
    @click.option("--semester", "semesters", multiple=True, help="e.g. 2026-autumn (repeatable; default: current)")
    @with_appcontext
    def refresh(semesters):
        """Recompute the stored report figures of every school (bureau and province reports)."""
        from aid.programmes.semesters import Semester
        from aid.reports.service import recent_semesters, refresh_all

        try:
            chosen = [Semester.parse(s) for s in semesters] or recent_semesters(1)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--semester") from None
        for semester in chosen:
            count = refresh_all(semester)  # commits
            click.echo(f"{semester.label}：已汇总{count}所学校的统计数据。")
