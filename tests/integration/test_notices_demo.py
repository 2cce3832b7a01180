"""The demo district has a notice in its posting period today (public, with its
stored PDF) and one that has ended, whose items moved on."""
from __future__ import annotations

import hashlib

from sqlalchemy import select

from aid.extensions import db
from aid.hardship.models import HardshipApplication
from aid.notices.models import Notice
from aid.printing.service import verify_document


def test_demo_notices(app, ctx):
    from aid.demo import build_demo

    assert build_demo()
    notices = {n.state: n for n in db.session.execute(select(Notice)).scalars()}
    current, ended = notices["posted"], notices["ended"]
    assert current.kind == "grant" and len(current.items) == 8 and verify_document(current.document)
    assert any(o.state == "open" for o in current.objections)
    anon = app.test_client()
    assert current.title in anon.get("/public/notices").get_data(as_text=True)
    pdf = anon.get(f"/public/notices/{current.id}/pdf")
    assert hashlib.sha256(pdf.data).hexdigest() == current.document.sha256
    assert anon.get(f"/public/notices/{ended.id}").status_code == 404
    assert ended.kind == "hardship" and all(o.state == "resolved" for o in ended.objections)
    states = {db.session.get(HardshipApplication, i.source_id).state for i in ended.items}
    assert states == {"noticed"}


def test_home_panel_and_period_hint(world, client, auth):
    auth.login("a1_officer")
    home = client.get("/home").get_data(as_text=True)
    assert "待公示" in home and world.obj["A1"].notice.title in home
    hint = client.get("/notices/period-hint?first_day=2025-09-29", headers={"HX-Request": "true"})
    assert "最早可于2025年10月11日结束" in hint.get_data(as_text=True)
    bad = client.get("/notices/period-hint?first_day=xx", headers={"HX-Request": "true"})
    assert "请填写有效的开始日期" in bad.get_data(as_text=True)
