"""`flask --app app calendar deadline YYYY-MM-DD N`: the deadline on the product's calendar."""
from __future__ import annotations

import sys
from datetime import date

import click
from flask import Flask
from flask.cli import with_appcontext


def register(app: Flask) -> None:
    @app.cli.group("calendar")
    def calendar_group():
        """Working-day calendar tools."""

    @calendar_group.command("deadline")
    @click.argument("event_date")
    @click.argument("n", type=int)
    @with_appcontext
    def deadline(event_date, n):
        """Print the Nth working day after EVENT_DATE (the event day is not counted)."""
        from aid.changes.calendar import get_calendar
        from aid.core.workdays import CalendarUnavailable

        try:
            start = date.fromisoformat(event_date)
        except ValueError:
            click.echo(f"日期格式应为 YYYY-MM-DD：{event_date}", err=True)
            sys.exit(2)
        try:
            result = get_calendar().deadline_after(start, n)
        except CalendarUnavailable as exc:
            click.echo(str(exc), err=True)
            sys.exit(1)
        except ValueError as exc:
            click.echo(str(exc), err=True)
            sys.exit(2)
        click.echo(result.isoformat())
