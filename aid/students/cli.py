"""`flask --app app students import FILE --school CODE [--dry-run]`;
`flask --app app students tallies [--compact | --rebuild]`;
`flask --app app students rebuild-shared-keys`."""
from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import Flask
from flask.cli import with_appcontext


def register(app: Flask) -> None:
    @app.cli.group("students")
    def students_group():
        """Student register tools."""

    @students_group.command("import")
    @click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
    @click.option("--school", "school_code", required=True, help="School code (学校代码).")
    @click.option("--dry-run", is_flag=True, help="Validate only; write nothing.")
    @with_appcontext
    def import_command(file: Path, school_code: str, dry_run: bool):
        """Import a roster (.xlsx). Prints ROW<TAB>COLUMN<TAB>MESSAGE per problem; writes
        nothing and exits 1 when there is any problem."""
        from sqlalchemy import select

        from aid.extensions import db
        from aid.org.models import School
        from aid.students import importer

        school = db.session.execute(select(School).where(School.code == school_code)).scalar_one_or_none()
        if school is None:
            click.echo(f"-\t-\t学校代码 {school_code} 不存在")
            sys.exit(2)
        try:
            if not file.exists():
                raise importer.ImportFileError(f"文件 {file} 不存在")
            if file.stat().st_size > importer.MAX_BYTES:
                raise importer.ImportFileError("文件超过10 MB，请拆分后分批导入")
            analysis = importer.analyse(file.read_bytes(), school.id)
        except importer.ImportFileError as exc:
            click.echo(f"-\t-\t{exc}")
            sys.exit(1)
        for note in analysis.notes:
            click.echo(note.line() + "（提示，不影响导入）", err=True)
        for problem in analysis.problems:
            click.echo(problem.line())
        if analysis.problems:
            click.echo(f"共 {len(analysis.problems)} 处问题，未写入任何数据。", err=True)
            sys.exit(1)
        if dry_run:
            click.echo(f"校验通过：{analysis.total} 行（全日制 {analysis.counts['full_time']}，"
                       f"非全日制 {analysis.counts['part_time']}）；--dry-run 未写入。", err=True)
            return
        try:
            written = importer.write_rows(None, school.id, analysis, file.name)
            db.session.commit()
        except Exception:
            db.session.rollback()
            raise
        click.echo(f"已导入 {written} 名学生（全日制 {analysis.counts['full_time']}，"
                   f"非全日制 {analysis.counts['part_time']}）。", err=True)

    @students_group.command("tallies")
    @click.option("--compact", is_flag=True, help="Fold the tallies into one row per key (schedule it on PostgreSQL).")
    @click.option("--rebuild", is_flag=True, help="Recount the tallies from the students table.")
    @with_appcontext
    def tallies_command(compact: bool, rebuild: bool):
        """Check the student tallies against the students table (exit 1 when they differ);
        --compact folds PostgreSQL's appended rows, --rebuild recounts them."""
        from aid.students import tallies
        from aid.tallies import run_tally_command

        run_tally_command(tallies, compact=compact, rebuild=rebuild, table_label="学生表", tally_label="学生统计")

    @students_group.command("rebuild-shared-keys")
    @with_appcontext
    def rebuild_shared_keys_command():
        """Recompute the ID-number and aid-card values shared by active students (the red flags'
        candidates) from the whole register: a repair after writes made outside the application."""
        from aid.extensions import db
        from aid.students.shared_keys import rebuild_shared_keys

        counts = rebuild_shared_keys()
        db.session.commit()
        click.echo(f"共用身份证号 {counts.get('id', 0)} 组，共用资助卡号 {counts.get('card', 0)} 组。")
