"""`flask --app app supervision redraw ROLLCALL_ID`: reproduce a roll-call sample from its seed;
`flask --app app supervision refresh-flags`: store the red-flag counts (schedulable)."""
from __future__ import annotations

import sys

import click
from flask import Flask
from flask.cli import with_appcontext


def register(app: Flask) -> None:
    @app.cli.group("supervision")
    def supervision_group():
        """Supervision tools."""

    @supervision_group.command("redraw")
    @click.argument("rollcall_id", type=int)
    @with_appcontext
    def redraw(rollcall_id):
        """Redraw a roll-call sample from its recorded seed; exit 1 if it differs from the record."""
        from aid.extensions import db
        from aid.supervision.models import RollCall
        from aid.supervision.service import redraw_check

        rc = db.session.get(RollCall, rollcall_id)
        if rc is None:
            click.echo(f"没有编号为 {rollcall_id} 的点名抽验记录", err=True)
            sys.exit(2)
        check = redraw_check(rc)
        click.echo(f"点名抽验 #{rc.id}：{rc.school.name}，{rc.kind_label}")
        click.echo(f"随机种子：{check.seed}")
        click.echo(f"抽样时名单：{check.population_size} 人，摘要{'一致' if check.population_digest_ok else '不一致'}")
        click.echo("记录的样本：" + ",".join(map(str, check.recorded)))
        click.echo("重新抽取：  " + ",".join(map(str, check.redrawn)))
        click.echo("复核一致" if check.matches else "复核不一致")
        sys.exit(0 if check.matches else 1)

    @supervision_group.command("refresh-flags")
    @with_appcontext
    def refresh_flags():
        """Recount and store the red-flag counts of every bureau's and the province's jurisdiction."""
        from aid.supervision.flag_store import refresh_all

        count = refresh_all()  # commits
        click.echo(f"已统计{count}个管辖范围的风险提示条数。")
