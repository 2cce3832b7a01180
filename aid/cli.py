"""Command-line tools: `flask --app app <command>`."""
from __future__ import annotations

import sys

import click
from flask import Flask
from flask.cli import with_appcontext


def register_cli(app: Flask) -> None:
    @app.cli.group("audit")
    def audit_group():
        """Audit trail tools."""

    @audit_group.command("verify")
    @with_appcontext
    def audit_verify():
        """Check the hash chain; exits 1 and names the first bad event."""
        from aid.audit.service import verify_chain

        result = verify_chain()
        click.echo(result.message)
        sys.exit(0 if result.ok else 1)

    @app.cli.command("demo")
    @click.option("--quiet", is_flag=True, help="Do not print the logins.")
    @with_appcontext
    def demo(quiet):
        """Build the demo district (idempotent) and print one login per role."""
        from aid.demo import build_demo, demo_logins

        created = build_demo()
        click.echo("演示数据已创建。" if created else "演示数据已存在，未做改动。")
        if not quiet:
            click.echo("ROLE USERNAME PASSWORD")
            for role, username, password in demo_logins():
                click.echo(f"{role} {username} {password}")

    from aid import AREAS, area_module
    for area in AREAS:
        module = area_module(area, "cli")
        if module is not None:
            module.register(app)
