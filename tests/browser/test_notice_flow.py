"""Issue 6's story in a real browser: a school posts a grant notice, it appears on
the public page, an objection is recorded and resolved, the notice ends on the
right working day and the items move on."""
from datetime import date

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from aid.applications.models import Application
from aid.extensions import db
from aid.notices import service
from aid.notices.models import Notice
from tests.areas import notices as fx
from tests.browser.conftest import login
from tests.world import add_student

pytestmark = pytest.mark.browser


@pytest.fixture
def clock(monkeypatch):
    class Clock:
        today = date(2025, 9, 29)

    c = Clock()
    monkeypatch.setattr(service, "local_today", lambda: c.today)
    monkeypatch.setattr("aid.notices.views.local_today", lambda: c.today)
    return c


def _read(fn):
    db.session.commit()
    try:
        return fn()
    finally:
        db.session.commit()


def test_post_object_resolve_end(world, clock, live_server, browser):
    objs = world.obj["A1"]
    prog = fx.programme("browser_grant", "national_grant", "国家助学金")
    first = fx.application(add_student(objs.school, objs.school_class, "公示生甲"), prog, level="一等")
    second = fx.application(add_student(objs.school, objs.school_class, "公示生乙"), prog, level="二等")
    db.session.commit()
    ids = [first.id, second.id]

    officer = browser.new_context(locale="zh-CN").new_page()
    officer.on("dialog", lambda d: d.accept())
    login(officer, live_server, "a1_officer")
    officer.wait_for_url(f"{live_server}/home")
    officer.goto(f"{live_server}/notices/new")
    officer.select_option("select[name=kind]", "grant")  # htmx reloads the candidates
    officer.fill("input[name=first_day]", "2025-09-29")
    officer.fill("input[name=end_day]", "2025-10-11")
    for name in ("公示生甲", "公示生乙"):
        officer.check(f"input[aria-label='选择 {name}']")
    officer.get_by_role("button", name="保存公示草稿").click()
    officer.get_by_role("button", name="提交审批").click()

    leader = browser.new_context(locale="zh-CN").new_page()
    leader.on("dialog", lambda d: d.accept())
    login(leader, live_server, "a1_leader")
    leader.wait_for_url(f"{live_server}/home")
    notice_id = _read(lambda: db.session.scalars(select(Notice.id).order_by(Notice.id.desc())).first())
    leader.goto(f"{live_server}/notices/{notice_id}")
    leader.get_by_role("button", name="审批同意").click()
    leader.get_by_role("button", name="发布公示").click()
    expect(leader.locator("main")).to_contain_text("2025年10月11日")
    assert _read(lambda: {a.state for a in db.session.scalars(select(Application).where(Application.id.in_(ids)))}) \
        == {"on_notice"}

    public = browser.new_context(locale="zh-CN").new_page()
    public.goto(f"{live_server}/public/notices/{notice_id}")
    expect(public.locator("body")).to_contain_text("公示生甲")
    expect(public.locator("body")).to_contain_text("2025年10月11日")

    # an objection during the period, recorded without a page reload
    clock.today = date(2025, 10, 9)
    officer.goto(f"{live_server}/notices/{notice_id}")
    officer.select_option("select[name=item_id]", label="公示生乙")
    officer.fill("input[name=received_on]", "2025-10-09")
    officer.fill("input[name=received_by]", "王老师")
    officer.fill("textarea[name=content]", "该生家庭情况与申请不符")
    officer.get_by_role("button", name="登记异议").click()
    expect(officer.locator("#notice-objections")).to_contain_text("该生家庭情况与申请不符")

    # after the last working day (Saturday 2025-10-11, a make-up day) the notice is off the public page
    clock.today = date(2025, 10, 13)
    public.goto(f"{live_server}/public/notices")
    expect(public.locator("body")).not_to_contain_text("公示生甲")
    officer.goto(f"{live_server}/notices/{notice_id}")
    officer.fill("textarea[name=outcome]", "经核实情况属实，撤出公示")
    officer.check("input[name=withdraw_item]")
    officer.get_by_role("button", name="处理完毕").click()
    expect(officer.locator("main")).to_contain_text("经核实情况属实")
    states = _read(lambda: {a.student.name: a.state for a in db.session.scalars(
        select(Application).where(Application.id.in_(ids)))})
    assert states == {"公示生甲": "noticed", "公示生乙": "returned"}
    assert _read(lambda: db.session.get(Notice, notice_id).state) == "ended"
