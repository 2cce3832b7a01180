"""Security headers, CSRF on every state-changing route, Chinese error pages."""
import pytest

from tests.access_registry import ROUTE_ARGS
from tests.conftest import login_client


def test_security_headers_on_pages(world, app):
    resp = login_client(app, "a_bureau").get("/org/schools")
    csp = resp.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["Referrer-Policy"] == "same-origin"
    assert resp.headers["Cache-Control"] == "no-store"
    assert "Strict-Transport-Security" not in resp.headers  # plain HTTP here


def test_session_cookie_flags(world, app):
    client = app.test_client()
    from tests.conftest import Auth
    resp = Auth(client).login("a_bureau")
    cookie = resp.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_every_state_changing_route_refuses_a_request_without_csrf_token(world, app):
    client = login_client(app, "p_admin")
    checked = 0
    for rule in app.url_map.iter_rules():
        unsafe = rule.methods & {"POST", "PUT", "PATCH", "DELETE"}
        if not unsafe or rule.endpoint == "static":
            continue
        kwargs = ROUTE_ARGS[rule.endpoint](world, "A1") if rule.arguments else {}
        with app.test_request_context():
            from flask import url_for
            url = url_for(rule.endpoint, **kwargs)
        for method in unsafe:
            resp = client.open(url, method=method, data={"x": "1"})
            assert resp.status_code == 400, f"{method} {url} accepted a request without CSRF token"
            checked += 1
    assert checked >= 3


@pytest.mark.parametrize("path", ["/no/such/page", "/org/schools/abc", "/org/schools/999999", "/org/schools/-1"])
def test_bad_urls_get_a_chinese_404(world, app, path):
    resp = login_client(app, "p_admin").get(path)
    assert resp.status_code == 404 and "页面不存在" in resp.get_data(as_text=True)


def test_forbidden_page_is_chinese(world, app):
    resp = login_client(app, "a1_officer").get("/org/users")
    assert resp.status_code == 403 and "无权访问" in resp.get_data(as_text=True)


def test_htmx_error_is_a_fragment(world, app):
    resp = login_client(app, "a1_officer").get("/org/users", headers={"HX-Request": "true"})
    body = resp.get_data(as_text=True)
    assert resp.status_code == 403 and "<html" not in body and "无权访问" in body


def test_htmx_trigger_header_is_ascii():
    from flask import Flask, make_response

    from aid.htmx import add_trigger
    with Flask(__name__).test_request_context():
        resp = add_trigger(make_response(""), "notice", {"message": "已审批3条"})
        resp = add_trigger(resp, "counts-changed")
        value = resp.headers["HX-Trigger"]
    assert value.isascii() and "notice" in value and "counts-changed" in value


def test_no_state_change_on_get(world, app):
    """GET every route as every role: no workflow step, no row count change; the only
    audit events a GET may write record reading personal data (exports)."""
    from sqlalchemy import func, select, text

    from aid.extensions import db

    def snapshot():
        counts = {}
        with db.engine.connect() as conn:
            for table in db.metadata.sorted_tables:
                if table.name in ("auth_sessions", "audit_events", "audit_chain_head"):
                    continue  # last-seen bookkeeping; read audits are checked below
                counts[table.name] = conn.execute(select(func.count()).select_from(table)).scalar()
        return counts

    clients = {}
    for role in ("student", "school_officer", "school_leader", "bureau_officer", "province_admin"):
        clients[role] = login_client(app, world.user(role).username)
    before = snapshot()
    from aid.audit.models import AuditEvent
    last_event = db.session.scalar(select(func.max(AuditEvent.id))) or 0
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint == "static":
            continue
        kwargs = ROUTE_ARGS[rule.endpoint](world, "A1") if rule.arguments else {}
        with app.test_request_context():
            from flask import url_for
            url = url_for(rule.endpoint, **kwargs)
        for client in clients.values():
            client.get(url)
            client.get(url, headers={"HX-Request": "true"})
    db.session.commit()
    assert snapshot() == before
    actions = set(db.session.scalars(select(AuditEvent.action).where(AuditEvent.id > last_event)))
    assert all(a.endswith("export") for a in actions), actions


def test_control_characters_are_refused_in_chinese(world, app):
    client = login_client(app, "a_bureau")
    resp = client.get("/org/schools?q=a%00b")
    assert resp.status_code == 400 and "控制字符" in resp.get_data(as_text=True)
