"""Issue 3's story in a real browser: a school officer imports a roster, fixes the
rows the preview flags, confirms, sees the students in the full-time tab,
submits them, and the bureau verifies them."""
import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from aid.extensions import db
from aid.students.models import Student
from tests.browser.conftest import login
from tests.students_helpers import good_row, xlsx

pytestmark = pytest.mark.browser


def _states() -> set[str]:
    """Read in a short transaction: an open one would hold SQLite's lock against the server."""
    db.session.commit()
    states = set(db.session.scalars(select(Student.registration_state).where(Student.register_no.like("BR00%"))))
    db.session.commit()
    return states


def test_import_fix_confirm_submit_verify(world, live_server, page, tmp_path, browser):
    cls = world.obj["A1"].school_class.name
    bad = good_row(11, cls, "BR002", "林二")
    bad[2] = "350104200803091234"  # wrong check digit
    (tmp_path / "bad.xlsx").write_bytes(xlsx([good_row(10, cls, "BR001", "林一"), bad]))
    (tmp_path / "good.xlsx").write_bytes(xlsx([good_row(10, cls, "BR001", "林一"), good_row(12, cls, "BR002", "林二")]))

    login(page, live_server, "a1_officer")
    page.wait_for_url(f"{live_server}/home")
    page.goto(f"{live_server}/students/import")
    page.set_input_files("input[type=file]", str(tmp_path / "bad.xlsx"))
    page.get_by_role("button", name="上传并校验").click()
    expect(page.locator("main")).to_contain_text("第3行")
    expect(page.locator("main")).to_contain_text("校验位错误")
    assert page.locator("text=确认导入").count() == 0
    assert _states() == set()

    page.get_by_role("button", name="重新上传").click()
    page.set_input_files("input[type=file]", str(tmp_path / "good.xlsx"))
    page.get_by_role("button", name="上传并校验").click()
    page.get_by_role("button", name="确认导入 2 名学生").click()
    expect(page.locator("main")).to_contain_text("林一")
    expect(page.locator("main")).to_contain_text("林二")
    assert "mode=full_time" in page.url

    page.goto(f"{live_server}/students/registration")
    for name in ("林一", "林二"):
        page.check(f"input[aria-label='选择{name}']")
    page.get_by_role("button", name="报送所选学生").click()
    expect(page.locator("#flashes")).to_contain_text("已报送 2 名学生")
    assert _states() == {"submitted"}

    bureau = browser.new_context(locale="zh-CN").new_page()
    login(bureau, live_server, "a_bureau")
    bureau.wait_for_url(f"{live_server}/home")
    bureau.goto(f"{live_server}/students/registration")
    for name in ("林一", "林二"):
        bureau.check(f"input[aria-label='选择{name}']")
    bureau.get_by_role("button", name="审核通过所选学生").click()
    expect(bureau.locator("#flashes")).to_contain_text("已审核通过 2 名学生")
    assert _states() == {"verified"}
