"""A school leader selects rows in the approval queue and approves them in bulk in a
real browser: the table and the counters update without a page reload."""
from __future__ import annotations

import threading

import pytest

from tests.integration.test_aid_queues import make

pytestmark = pytest.mark.browser
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--disable-quic"]


@pytest.fixture
def aid_server(ctx):
    from werkzeug.serving import make_server
    server = make_server("127.0.0.1", 0, ctx, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)


@pytest.fixture
def aid_page():
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        context = browser.new_context(locale="zh-CN")
        page = context.new_page()
        page.set_default_timeout(15000)
        yield page
        context.close()
        browser.close()


def test_leader_bulk_approves_without_reload(world, aid_server, aid_page):
    from playwright.sync_api import expect
    from aid.extensions import db

    first, second = make(world, "A1", "reviewed"), make(world, "A1b", "reviewed")
    ids = (first.id, second.id)
    db.session.commit()
    page = aid_page
    page.goto(f"{aid_server}/login")
    page.fill("input[name=username]", "a1_leader")
    page.fill("input[name=password]", "Test-pass-2026")
    page.click("button[type=submit]")
    page.wait_for_url(f"{aid_server}/home")
    page.goto(f"{aid_server}/applications/queue")
    expect(page.locator("#queue-work")).to_contain_text("学校已审核 2")
    page.evaluate("window.__marker = 1")  # survives only if the page is not reloaded
    page.check("input[data-select-all=sel]")
    page.click("button[name=verb][value=approve]")
    expect(page.locator("#queue-message")).to_contain_text("已处理2条")
    expect(page.locator("#queue-work")).to_contain_text("学校已审核 0")
    expect(page.locator("#nav-badge-applications-queue")).to_have_text("0")  # the navigation counter too
    assert page.evaluate("window.__marker") == 1
    # the rows are gone from the 'reviewed' tab; their inline detail opens in place elsewhere
    page.goto(f"{aid_server}/applications/queue?state=school_approved")
    page.click(f"#row-{ids[0]} >> text=详情")
    expect(page.locator(f"#detail-{ids[0]}")).to_contain_text("学校审批")
