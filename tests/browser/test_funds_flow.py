"""Issue 7's story in a real browser: the school builds a grant batch and sees
the held students with their reasons, the leader locks it, and the ledger PDF
prints with the signature column and the total in capital numerals."""
import io

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from aid.extensions import db
from tests.browser.conftest import login
from tests.funds_support import approved, give_card, grant
from tests.world import add_student

pytestmark = pytest.mark.browser
SEM = "2026-spring"


def test_build_lock_and_print_the_ledger(world, live_server, browser):
    objs = world.obj["A1"]
    prog = grant()
    for i, name in enumerate(["赵一", "钱二"]):
        s = add_student(objs.school, objs.school_class, name)
        give_card(s, 300 + i)
        approved(s, prog, amount_fen=100000, semester=SEM)
    held = add_student(objs.school, objs.school_class, "周休学", status="休学")
    approved(held, prog, amount_fen=100000, semester=SEM)
    db.session.commit()
    prog_id = prog.id

    officer = browser.new_context(locale="zh-CN").new_page()
    login(officer, live_server, "a1_officer")
    officer.wait_for_url(f"{live_server}/home")
    officer.goto(f"{live_server}/funds/batches/new")
    officer.select_option("select[name=programme_id]", str(prog_id))
    officer.select_option("select[name=period]", SEM)
    officer.get_by_role("button", name="生成批次").click()
    expect(officer.locator("main")).to_contain_text("周休学")
    expect(officer.locator("main")).to_contain_text("休学")
    batch_url = officer.url

    leader = browser.new_context(locale="zh-CN").new_page()
    leader.on("dialog", lambda d: d.accept())
    login(leader, live_server, "a1_leader")
    leader.wait_for_url(f"{live_server}/home")
    leader.goto(batch_url)
    leader.get_by_role("button", name="锁定批次并生成台账").click()
    expect(leader.locator("main")).to_contain_text("已锁定")
    pdf = leader.request.get(batch_url.rstrip("/") + "/ledger")
    assert pdf.ok and pdf.headers["content-type"] == "application/pdf"
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.body())).pages)
    for expected in ("学生签名", "赵一", "钱二", "2,000.00", "贰仟元整"):
        assert expected in text, expected
    assert "周休学" not in text
