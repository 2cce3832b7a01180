"""Login, lockout, sessions that end on the server, password policy."""
from datetime import timedelta

from sqlalchemy import select, update

from aid.audit.models import AuditEvent
from aid.auth.models import AuthSession, User
from aid.auth.service import password_problems
from aid.extensions import db
from aid.timeutil import utcnow
from tests.conftest import Auth, csrf_from
from tests.world import PASSWORD


def test_login_lands_on_role_home(world, client, auth):
    resp = auth.login("a1_officer")
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/home")
    page = client.get("/home").get_data(as_text=True)
    assert "A1技工学校 工作台" in page


def test_wrong_password_is_refused_in_chinese_and_counted(world, client, auth):
    resp = auth.login("a1_officer", "wrong-password")
    body = resp.get_data(as_text=True)
    assert resp.status_code == 401
    assert "用户名或密码错误" in body and "再错4次将锁定账户" in body
    assert db.session.get(User, world.user("school_officer").id).failed_logins == 1


def test_unknown_user_gets_the_same_message(world, client, auth):
    body = auth.login("nobody-here", "whatever").get_data(as_text=True)
    assert "用户名或密码错误" in body and "锁定" not in body


def test_five_failures_lock_the_account_for_fifteen_minutes(world, client, auth):
    for _ in range(4):
        auth.login("a1_officer", "wrong")
    body = auth.login("a1_officer", "wrong").get_data(as_text=True)
    assert "账户已锁定15分钟" in body
    # even the right password is refused while locked
    body = auth.login("a1_officer", PASSWORD).get_data(as_text=True)
    assert "账户已被锁定" in body
    actions = db.session.execute(select(AuditEvent.action).where(AuditEvent.username == "a1_officer")).scalars().all()
    assert actions.count("login_failed") == 4 and "lockout" in actions
    # after the lock expires the right password works
    user = db.session.get(User, world.user("school_officer").id)
    user.locked_until = user.locked_until - timedelta(minutes=16)
    db.session.commit()
    assert auth.login("a1_officer", PASSWORD).status_code == 302


def test_admin_unlocks_an_account(world, app):
    victim = Auth(app.test_client())
    for _ in range(5):
        victim.login("a1_officer", "wrong")
    admin = Auth(app.test_client())
    admin.login("a_bureau")
    resp = admin.post(f"/org/users/{world.user('school_officer').id}/unlock", token_from="/org/users")
    assert resp.status_code == 302
    assert victim.login("a1_officer").status_code == 302
    assert db.session.scalar(select(AuditEvent.id).where(AuditEvent.action == "unlock")) is not None


def test_logout_revokes_the_session_so_a_replayed_cookie_is_refused(world, client, auth):
    auth.login("a1_officer")
    cookie = client.get_cookie("aid_session").value
    assert client.get("/home").status_code == 200
    auth.logout()
    replay = world and __import__("flask").current_app.test_client()
    replay.set_cookie("aid_session", cookie)
    resp = replay.get("/home")
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]


def test_password_change_ends_every_session(world, app):
    first, second = app.test_client(), app.test_client()
    Auth(first).login("a1_officer")
    Auth(second).login("a1_officer")
    resp = Auth(first).post("/account/password", {"current": PASSWORD, "new": "Neues-Passwort-9",
                                                  "confirm": "Neues-Passwort-9"}, token_from="/account/password")
    assert resp.status_code == 302
    assert second.get("/home").status_code == 302  # the other browser is logged out too
    assert Auth(app.test_client()).login("a1_officer", "Neues-Passwort-9").status_code == 302


def test_idle_session_expires_after_thirty_minutes(world, client, auth):
    auth.login("a1_officer")
    for sess in db.session.execute(select(AuthSession)).scalars():
        sess.last_seen_at -= timedelta(minutes=31)
    db.session.commit()
    resp = client.get("/home")
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]
    follow = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "会话已超时" in follow


def test_expired_session_on_htmx_request_answers_401_with_redirect(world, client, auth):
    auth.login("a_bureau")
    db.session.execute(update(AuthSession).values(revoked_at=utcnow()))
    db.session.commit()
    resp = client.get("/org/schools?q=A", headers={"HX-Request": "true"})
    assert resp.status_code == 401
    assert resp.headers["HX-Redirect"].startswith("/login")


def test_disabled_account_loses_its_sessions(world, app):
    officer = app.test_client()
    Auth(officer).login("a1_officer")
    admin = Auth(app.test_client())
    admin.login("a_bureau")
    admin.post(f"/org/users/{world.user('school_officer').id}/disable", token_from="/org/users")
    assert officer.get("/home").status_code == 302
    assert "账户已停用" in Auth(app.test_client()).login("a1_officer").get_data(as_text=True)


def test_new_account_must_change_password_first(world, app):
    admin = Auth(app.test_client())
    admin.login("a_bureau")
    resp = admin.post("/org/users/new", {"username": "new_officer", "display_name": "新经办", "role": "school_officer",
                                         "school_id": world.schools["A1"].id, "authority_id": 0},
                      token_from="/org/users/new")
    page = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "初始密码" in page
    password = page.split('class="secret">')[1].split("<")[0]
    newcomer = app.test_client()
    resp = Auth(newcomer).login("new_officer", password)
    assert resp.headers["Location"].endswith("/account/password")
    assert newcomer.get("/home").headers["Location"].endswith("/account/password")


def test_password_policy():
    assert password_problems("Short1!", 8, 3) == ["密码至少需要8个字符"]
    assert password_problems("alllowercase", 8, 3) == ["密码需包含大写字母、小写字母、数字、符号中的至少3类"]
    assert password_problems("Lower-and-9", 8, 3) == []
    assert password_problems("lowerand99", 8, 3)  # two classes only


def test_weak_new_password_is_refused_and_nothing_changes(world, client, auth):
    auth.login("a1_officer")
    resp = auth.post("/account/password", {"current": PASSWORD, "new": "password", "confirm": "password"},
                     token_from="/account/password")
    assert resp.status_code == 400 and "至少3类" in resp.get_data(as_text=True)
    assert client.get("/home").status_code == 200  # still logged in, password unchanged


def test_login_without_csrf_token_is_refused(world, client):
    resp = client.post("/login", data={"username": "a1_officer", "password": PASSWORD})
    assert resp.status_code == 400 and "安全令牌" in resp.get_data(as_text=True)


def test_open_redirect_after_login_is_ignored(world, client):
    token = csrf_from(client.get("/login").get_data(as_text=True))
    resp = client.post("/login?next=https://evil.example/", data={"username": "a1_officer", "password": PASSWORD,
                                                                  "csrf_token": token})
    assert resp.headers["Location"].endswith("/home")
