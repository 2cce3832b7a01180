"""`flask --app app backup PATH` and `flask --app app restore PATH`."""
import sys
from pathlib import Path

import click
from flask.cli import with_appcontext


def register(app):
    @app.cli.command("bench-data")
    @click.option("--schools", default=150, show_default=True)
    @click.option("--students", default=200000, show_default=True)
    @click.option("--seed", default=1, show_default=True)
    @with_appcontext
    def bench_data(schools, students, seed):
        """Fill an empty database with a province-scale data set (deterministic)."""
        import time

        from aid.ops.benchdata import build

        t0 = time.perf_counter()
        try:
            ctx = build(schools, students, seed)
        except RuntimeError as exc:
            click.echo(str(exc), err=True)
            sys.exit(1)
        click.echo(f"基准数据已生成：{len(ctx.school_ids)} 所学校，{len(ctx.student_ids)} 名学生，"
                   f"用时 {time.perf_counter() - t0:.1f} 秒 " + ", ".join(f"{k}={v:.1f}s" for k, v in ctx.timings.items()))
        click.echo("ROLE USERNAME PASSWORD")
        for role, username, password in ctx.logins:
            click.echo(f"{role} {username} {password}")

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
