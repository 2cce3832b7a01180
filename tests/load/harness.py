"""A bounded, loopback-only harness: a prepared database (SQLite file or a fresh
PostgreSQL database next to TEST_DATABASE_URL) and the real app under gunicorn.

Every server is started under `timeout`, so it stops by itself even if the test
process dies; the test stops it earlier in a `finally`.
"""
from __future__ import annotations

import itertools
import os
import re
import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
SERVER_LIFETIME_SECONDS = 900  # the hard upper bound of any one server
_SEQ = itertools.count(1)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def fresh_database(tmp_path: Path):
    """A database URL of its own for one test: SQLite in tmp_path, or a new PostgreSQL
    database on the server of TEST_DATABASE_URL (dropped afterwards)."""
    base = os.environ.get("TEST_DATABASE_URL")
    if not base or not base.startswith("postgresql"):
        yield f"sqlite:///{tmp_path / 'live.sqlite3'}"
        return
    import psycopg

    url = make_url(base)
    name = f"{url.database}_live_{os.getpid()}_{next(_SEQ)}"
    admin = url.set(database="postgres", drivername="postgresql")
    dsn = admin.render_as_string(hide_password=False)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class Instance:
    """The files of one installation: database URL, key file, storage, logs."""

    def __init__(self, tmp_path: Path, database_url: str):
        self.dir = tmp_path
        self.database_url = database_url
        self.key_file = tmp_path / "data.key"
        self.storage = tmp_path / "storage"
        self.logs = tmp_path / "logs"
        self.logs.mkdir(exist_ok=True)
        self.secret = "live-test-secret-" + str(os.getpid())

    @property
    def env(self) -> dict:
        env = {k: v for k, v in os.environ.items() if k not in ("AID_DATA_KEY",)}
        env.update(DATABASE_URL=self.database_url, SECRET_KEY=self.secret, AID_DATA_KEY_FILE=str(self.key_file),
                   AID_STORAGE_DIR=str(self.storage), PYTHONPATH=str(ROOT), PYTHONUNBUFFERED="1")
        return env

    def app(self):
        from aid import create_app

        return create_app({"SQLALCHEMY_DATABASE_URI": self.database_url, "SECRET_KEY": self.secret,
                           "DATA_KEY_FILE": str(self.key_file), "STORAGE_DIR": str(self.storage),
                           "PASSWORD_HASH_FAST": True, "RECOVER_JOBS_ON_START": False, "TESTING": True})

    def prepare(self, builder):
        """Migrate, then run builder() in an app context (it commits); returns its result."""
        from flask_migrate import upgrade

        from aid.extensions import db

        app = self.app()
        with app.app_context():
            upgrade(directory=str(ROOT / "migrations"))
            try:
                return builder()
            finally:
                db.session.remove()
                db.engine.dispose()

    def flask(self, *args, check=True, timeout=300) -> subprocess.CompletedProcess:
        return subprocess.run([str(VENV_BIN / "flask"), "--app", "app", *args], cwd=ROOT, env=self.env,
                              capture_output=True, text=True, timeout=timeout, check=check)


class Server:
    """gunicorn on 127.0.0.1 with N workers, access and error logs in the instance."""

    def __init__(self, instance: Instance, workers: int = 2, config: str | None = None, env: dict | None = None):
        self.instance = instance
        self.port = free_port()
        self.access_log = instance.logs / f"access-{self.port}.log"
        self.error_log = instance.logs / f"error-{self.port}.log"
        cmd = ["timeout", "-s", "TERM", str(SERVER_LIFETIME_SECONDS), str(VENV_BIN / "gunicorn"),
               "-w", str(workers), "-b", f"127.0.0.1:{self.port}", "--timeout", "120", "--graceful-timeout", "5",
               "--access-logfile", str(self.access_log), "--error-logfile", str(self.error_log),
               "--access-logformat", '%(h)s "%(r)s" %(s)s %(b)s', "--log-level", "info", "--capture-output"]
        if config:
            cmd += ["-c", config]
        cmd.append("app:app")
        self.proc = subprocess.Popen(cmd, cwd=ROOT, env={**instance.env, **(env or {})}, start_new_session=True,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self._wait_ready(workers)

    def _wait_ready(self, workers: int) -> None:
        deadline = time.time() + 90
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("gunicorn exited: " + self.error_log.read_text(errors="replace")[-3000:])
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                if len(self.workers()) >= workers:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError("gunicorn did not start")

    @staticmethod
    def _children(pid: int) -> list[int]:
        out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
        return [int(p) for p in out.split()]

    def master(self) -> int | None:
        kids = self._children(self.proc.pid)
        return kids[0] if kids else None

    def workers(self) -> list[int]:
        master = self.master()
        return self._children(master) if master else []

    def wait_workers(self, count: int, exclude: tuple[int, ...] = (), timeout: float = 60) -> list[int]:
        deadline = time.time() + timeout
        while time.time() < deadline:
            pids = [p for p in self.workers() if p not in exclude]
            if len(pids) >= count:
                return pids
            time.sleep(0.2)
        raise RuntimeError("gunicorn did not replace its worker")

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)

    def statuses(self) -> dict[int, int]:
        counts: dict[int, int] = {}
        for line in self.access_log.read_text(errors="replace").splitlines():
            m = re.search(r'" (\d{3}) ', line)
            if m:
                counts[int(m.group(1))] = counts.get(int(m.group(1)), 0) + 1
        return counts

    def leaked(self, numbers) -> list[str]:
        """The numbers that occur in the server's access or error log."""
        text = "\n".join(p.read_text(errors="replace") for p in (self.access_log, self.error_log) if p.exists())
        return sorted(n for n in numbers if n and n in text)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


from tests.bench.client import Client  # noqa: E402


class LiveClient(Client):
    """The bench client, plus raw bodies (multipart uploads) and a status tally."""

    def __init__(self, host: str, port: int):
        super().__init__(host, port)
        from collections import Counter

        self.statuses = Counter()

    def request(self, method, path, body=None, headers=None):
        result = super().request(method, path, body, headers)
        self.statuses[result[0]] += 1
        return result

    def post_raw(self, path: str, data: bytes, content_type: str, headers: dict | None = None):
        hdrs = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items()), "Content-Type": content_type}
        hdrs.update(headers or {})
        self.conn.request("POST", path, body=data, headers=hdrs)
        resp = self.conn.getresponse()
        payload = resp.read()
        self.statuses[resp.status] += 1
        return resp.status, payload, resp.headers
