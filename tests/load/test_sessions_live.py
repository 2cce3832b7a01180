"""Sessions and lockout under the real server (gunicorn, 2 workers): the failure counter
and the session's last activity live in the database, so they hold whichever worker
answers."""
from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.load import worlds
from tests.load.harness import Instance, LiveClient, Server, fresh_database

pytestmark = pytest.mark.slow
PASSWORD = "Test-pass-2026"


def _fresh_client(port) -> LiveClient:
    return LiveClient("127.0.0.1", port)


def _login_post(client: LiveClient, username: str, password: str):
    token = client.token("/login")
    return client.request("POST", "/login", {"username": username, "password": password, "csrf_token": token})


def test_lockout_and_idle_timeout_hold_under_gunicorn(tmp_path):
    from aid.audit.models import AuditEvent
    from aid.auth.models import AuthSession, User
    from aid.extensions import db

    with fresh_database(tmp_path) as url:
        instance = Instance(tmp_path, url)
        instance.prepare(worlds.plain_world)
        with Server(instance, workers=2) as server:
            # five wrong passwords at once, from five connections spread over both workers
            clients = [_fresh_client(server.port) for _ in range(5)]
            tokens = [c.token("/login") for c in clients]
            barrier = threading.Barrier(5)
            answers = []

            def wrong(c, token):
                barrier.wait()
                answers.append(c.request("POST", "/login", {"username": "a1_officer", "password": "Wrong-pass-1",
                                                            "csrf_token": token})[0])

            threads = [threading.Thread(target=wrong, args=(c, t)) for c, t in zip(clients, tokens)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(60)
            assert len(answers) == 5 and all(400 <= s < 500 for s in answers), answers
            # the right password is now refused, on either worker
            for _ in range(4):
                status, body, *_ = _login_post(_fresh_client(server.port), "a1_officer", PASSWORD)
                assert status != 302 and "锁定" in body.decode()

            # a session stays valid across both workers, and expires after 30 idle minutes
            client = _fresh_client(server.port)
            client.login("a1_leader", PASSWORD)
            for _ in range(6):
                client.conn.close()  # a new connection each time: either worker may answer
                assert client.get("/home")[0] == 200
            app = instance.app()
            with app.app_context():
                for sess in db.session.execute(select(AuthSession)).scalars():
                    sess.last_seen_at -= timedelta(minutes=31)
                db.session.commit()
            client.conn.close()
            status, _body, _ms, _wall, headers = client.get("/home")
            assert status == 302 and "/login" in headers["Location"]
            follow = client.get(headers["Location"].replace(f"http://127.0.0.1:{server.port}", ""))[1].decode()
            assert "会话已超时" in follow
            for _ in range(4):  # and stays expired on every worker
                client.conn.close()
                assert client.get("/home")[0] == 302
            server.stop()
            assert not [s for s in server.statuses() if s >= 500], server.statuses()

        with app.app_context():
            user = db.session.execute(select(User).where(User.username == "a1_officer")).scalar_one()
            assert user.locked_until is not None
            actions = [a for a, in db.session.execute(select(AuditEvent.action).where(
                AuditEvent.user_id == user.id, AuditEvent.action.in_(("login_failed", "lockout"))))]
            assert sorted(actions) == ["lockout"] + ["login_failed"] * 4
            db.session.remove()
            db.engine.dispose()
