"""Each role logs in through a real browser, sees its home page and logs out."""
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import login

pytestmark = pytest.mark.browser

HOMES = {
    "a1_student": "我的学籍与资助",
    "a1_officer": "A1技工学校 工作台",
    "a1_leader": "A1技工学校 工作台",
    "a_bureau": "甲市人社局 工作台",
    "p_admin": "测试省人社厅 工作台",
}


@pytest.mark.parametrize("username", list(HOMES))
def test_role_logs_in_sees_home_and_logs_out(world, live_server, page, username):
    login(page, live_server, username)
    page.wait_for_url(f"{live_server}/home")
    assert HOMES[username] in page.inner_text("h1")
    page.click("text=退出")
    page.wait_for_url(f"{live_server}/login")
    assert "您已安全退出" in page.inner_text("#flashes")
    page.goto(f"{live_server}/home")
    assert page.url.startswith(f"{live_server}/login")


def test_wrong_password_shows_chinese_message(world, live_server, page):
    login(page, live_server, "a1_officer", "not-the-password")
    assert "用户名或密码错误" in page.inner_text("main")


def test_active_school_search_updates_without_reload(world, live_server, page):
    login(page, live_server, "a_bureau")
    page.wait_for_url(f"{live_server}/home")
    page.goto(f"{live_server}/org/schools")
    page.evaluate("window.__marker = 1")  # survives only if the page is not reloaded
    page.fill("#school-q", "A2")
    expect(page.locator("#school-rows")).not_to_contain_text("A1技工学校")
    expect(page.locator("#school-rows")).to_contain_text("A2技工学校")
    assert page.evaluate("window.__marker") == 1
