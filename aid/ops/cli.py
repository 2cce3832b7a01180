"""`flask --app app backup PATH` and `flask --app app restore PATH`."""
import sys
from pathlib import Path

import click
from flask.cli import with_appcontext


def register(app):
    @app.cli.command("backup")
    @click.argument("path", type=click.Path(path_type=Path))
    @with_appcontext
    def backup_command(path):
        """Consistent copy of the database, the data key and stored documents."""
        from aid.ops.backup import BackupError, backup

        try:
            manifest = backup(path)
        except BackupError as exc:
            click.echo(str(exc), err=True)
            sys.exit(1)
        click.echo(f"备份完成：{path}（{manifest['database']}，密钥{'已' if manifest['key'] else '未'}包含）")

    @app.cli.command("restore")
    @click.argument("path", type=click.Path(exists=True, path_type=Path))
    @click.option("--force", is_flag=True, help="Overwrite a different data key.")
    @with_appcontext
    def restore_command(path, force):
        """Bring a backup made by `backup` back into the configured database."""
        from aid.ops.backup import BackupError, restore

        try:
            restore(path, force=force)
        except BackupError as exc:
            click.echo(str(exc), err=True)
            sys.exit(1)
        click.echo(f"已从 {path} 恢复")
