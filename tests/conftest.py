"""Fixtures: one app per test session on SQLite (default) or on the database in
TEST_DATABASE_URL (the PostgreSQL pass of .ci/run); the schema comes from the
Alembic migrations; every test starts from empty tables."""
from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from sqlalchemy import text

from aid import create_app
from aid.extensions import db
from hypothesis import settings as hypothesis_settings

ROOT = Path(__file__).resolve().parent.parent

# Property tests explore new random inputs on every developer run; CI sets
# HYPOTHESIS_PROFILE=ci so that a landing run is reproducible (fixed seed, no
# example database) and "explore" digs deeper when hunting bugs on purpose.
hypothesis_settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
hypothesis_settings.register_profile("explore", max_examples=5000, print_blob=True)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


@pytest.fixture(scope="session")
def app_dir():
    with tempfile.TemporaryDirectory(prefix="aid-test-") as d:
        yield Path(d)


@pytest.fixture(scope="session")
def database_url(app_dir):
    return os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{app_dir / 'test.sqlite3'}"


class FreshContextClient(FlaskClient):
    """Each request gets its own app context (and so its own `g`), as in a real
    server, even while a test holds an app context open for its own queries."""

    def open(self, *args, **kwargs):
        # End the test's own transaction first: on SQLite it would hold the
        # write lock; afterwards its objects reload what the request wrote.
        db.session.commit()
        with self.application.app_context():
            return super().open(*args, **kwargs)


@pytest.fixture(scope="session")
def app(app_dir, database_url):
    from flask_migrate import upgrade

    application = create_app({
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "DATA_KEY_FILE": str(app_dir / "data.key"),
        "STORAGE_DIR": str(app_dir / "storage"),
        "PASSWORD_HASH_FAST": True,
        "SERVER_NAME": None,
    })
    application.test_client_class = FreshContextClient
    with application.app_context():
        upgrade(directory=str(ROOT / "migrations"))
    yield application


def _clean(app) -> None:
    with app.app_context():
        db.session.remove()
        tables = [t.name for t in reversed(db.metadata.sorted_tables)] + ["alembic_version"]
        tables = [t for t in tables if t != "alembic_version"]
        with db.engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"))
            else:
                conn.execute(text("PRAGMA foreign_keys=OFF"))
                for t in tables:
                    conn.execute(text(f'DELETE FROM "{t}"'))
                conn.execute(text("DELETE FROM sqlite_sequence")) if conn.execute(
                    text("SELECT name FROM sqlite_master WHERE name='sqlite_sequence'")).first() else None
                conn.execute(text("PRAGMA foreign_keys=ON"))


@pytest.fixture
def ctx(app):
    """An app context over empty tables. After the test, the payment line tallies must still
    agree with the payment lines (the settlement roll-up reads them): every write path any test
    takes is checked, not only those a tally test thought of."""
    _clean(app)
    with app.app_context():
        yield app
        db.session.rollback()
        from aid.funds import tallies
        assert tallies.check() == [], "payment line tallies differ from payment_lines"
        db.session.remove()


@pytest.fixture
def client(ctx):
    return ctx.test_client()


@pytest.fixture
def world(ctx):
    from tests.world import build_world

    return build_world()


TOKEN_RE = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"|"X-CSRFToken": "([^"]+)"')


def csrf_from(html: str) -> str:
    m = TOKEN_RE.search(html)
    assert m, "no CSRF token on the page"
    return m.group(1) or m.group(2)


class Auth:
    """Logs a test client in through the real login form (CSRF included)."""

    def __init__(self, client):
        self.client = client

    def token(self, path: str = "/login") -> str:
        return csrf_from(self.client.get(path).get_data(as_text=True))

    def login(self, username: str, password: str = "Test-pass-2026"):
        token = self.token("/login")
        return self.client.post("/login", data={"username": username, "password": password, "csrf_token": token})

    def logout(self):
        token = self.token("/home")
        return self.client.post("/logout", data={"csrf_token": token})

    def post(self, path: str, data: dict | None = None, token_from: str = "/home", **kw):
        payload = dict(data or {})
        payload.setdefault("csrf_token", self.token(token_from))
        return self.client.post(path, data=payload, **kw)


@pytest.fixture
def auth(client):
    return Auth(client)


def login_client(app, username: str, password: str = "Test-pass-2026"):
    c = app.test_client()
    Auth(c).login(username, password)
    return c
