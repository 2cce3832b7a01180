"""Faults: the server process is killed (SIGKILL) in the middle of a 10,000-row roster
import. Afterwards the database holds all of the rows or none, the job shows as failed
(marked by the replacement worker at its start), the import can be run again, and no
file in storage is half-written.

The funds area's batch lock and ledger render get the same treatment once that area is
merged (test at the end, skipped until then).
"""
from __future__ import annotations

import json
import os
import signal
import time
import zipfile
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
from sqlalchemy import func, select

from tests.load import rosters, worlds
from tests.load.harness import Instance, LiveClient, Server, fresh_database

pytestmark = pytest.mark.slow

ROWS = 10_000
PASSWORD = "Test-pass-2026"


class Db:
    """Reads the live database from the test process with a plain engine of its own (reads
    only, so on SQLite they never wait for the server's write lock)."""

    def __init__(self, instance: Instance):
        from sqlalchemy import create_engine

        import aid.models  # noqa: F401  (every mapper)

        self.engine = create_engine(instance.database_url)

    def _session(self):
        from sqlalchemy.orm import Session

        return Session(self.engine)

    def scalar(self, stmt):
        with self._session() as session:
            return session.execute(stmt).scalar()

    def job(self, kind: str):
        from aid.printing.models import Job

        with self._session() as session:
            job = session.execute(select(Job).where(Job.kind == kind).order_by(Job.id.desc()).limit(1)).scalar()
            return None if job is None else {"id": job.id, "status": job.status, "message": job.message,
                                             "progress": job.progress, "params": json.loads(job.params or "{}")}

    def close(self):
        self.engine.dispose()


def _wait(predicate, timeout: float, interval: float = 0.2, what: str = ""):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out waiting for {what}")


def _upload(client: LiveClient, data: bytes) -> str:
    token = client.token("/students/import")
    body, ctype = rosters.multipart({"csrf_token": token}, {"file": ("名册.xlsx", data, rosters.XLSX)})
    status, _payload, headers = client.post_raw("/students/import", body, ctype)
    assert status == 302, status
    return parse_qs(urlparse(headers["Location"]).query)["token"][0]


def _confirm(client: LiveClient, token: str) -> None:
    csrf = client.token("/students/import")
    status, *_ = client.request("POST", "/students/import/confirm", {"csrf_token": csrf, "token": token})
    assert status == 302, status


def _students(dbr: Db, school_code: str) -> int:
    from aid.org.models import School
    from aid.students.models import Student

    return dbr.scalar(select(func.count()).select_from(Student).join(School, School.id == Student.school_id)
                      .where(School.code == school_code))


def _imports(dbr: Db) -> int:
    from aid.audit.models import AuditEvent

    return dbr.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "students.import"))


def _storage_is_whole(storage: Path) -> list[str]:
    """Every file under its final name is complete (temporary names start with '.')."""
    bad = []
    for path in storage.rglob("*"):
        if not path.is_file() or path.name.startswith("."):
            continue
        try:
            if path.suffix == ".xlsx":
                with zipfile.ZipFile(path) as zf:
                    assert zf.testzip() is None
            elif path.suffix == ".json":
                json.loads(path.read_text())
        except Exception as exc:  # noqa: BLE001
            bad.append(f"{path.name}: {exc!r}")
    return bad


def test_killing_the_worker_mid_import_writes_nothing_and_the_import_can_be_rerun(tmp_path):
    with fresh_database(tmp_path) as url:
        instance = Instance(tmp_path, url)
        world = instance.prepare(worlds.plain_world)
        school, class_name = world["school_code"], world["class_name"]
        data, ids, cards = rosters.roster(ROWS, class_name)
        dbr = Db(instance)
        try:
            before = _students(dbr, school)
            marker = tmp_path / "fault-marker"
            with Server(instance, workers=2, config=str(Path(__file__).with_name("gunicorn_faults.py")),
                        env={"AID_FAULT_MARKER": str(marker)}) as server:
                client = LiveClient("127.0.0.1", server.port)
                client.login("a1_officer", PASSWORD)
                token = _upload(client, data)
                _wait(lambda: (dbr.job("student_import_preview") or {}).get("status") == "done", 180,
                      what="the preview job")
                _confirm(client, token)
                # kill the process that runs the write job after its first 2,000 rows are inserted
                _wait(lambda: marker.exists() and marker.read_text().strip(), 180, interval=0.05, what="the first chunk of rows")
                victim, inserted = map(int, marker.read_text().split())
                job = dbr.job("student_import_write")
                assert job["status"] == "running" and job["params"]["runner"]["pid"] == victim, job
                assert 0 < inserted < ROWS
                os.kill(victim, signal.SIGKILL)
                server.wait_workers(2, exclude=(victim,))
                failed = _wait(lambda: (lambda j: j if j["status"] != "running" else None)(
                    dbr.job("student_import_write")), 60, what="the job to be marked")
                assert failed["status"] == "failed", failed
                assert "中断" in failed["message"] and "重新" in failed["message"]
                # all or nothing: nothing, since the transaction never committed
                assert _students(dbr, school) == before
                assert _imports(dbr) == 0
                status, body, *_ = client.get(f"/students/import/jobs/{failed['id']}")
                assert status == 200 and failed["message"] in body.decode()
                assert not _storage_is_whole(instance.storage)

                # run it again: all rows, one audit event
                token = _upload(client, data)
                _wait(lambda: (lambda j: j if j and j["status"] in ("done", "failed") and
                               j["params"]["token"] == token else None)(dbr.job("student_import_preview")),
                      180, what="the second preview")
                _confirm(client, token)
                done = _wait(lambda: (lambda j: j if j and j["status"] in ("done", "failed")
                                      and j["params"]["token"] == token else None)(dbr.job("student_import_write")),
                             240, what="the second import")
                assert done["status"] == "done", done
                assert json.loads(done["message"])["written"] == ROWS
                assert _students(dbr, school) == before + ROWS
                assert _imports(dbr) == 1
                assert not _storage_is_whole(instance.storage)
                assert not [s for s in client.statuses if s >= 500], client.statuses
                server.stop()
                assert not [s for s in server.statuses() if s >= 500], server.statuses()
                assert not server.leaked(ids + cards), "full ID or card numbers in the server logs"
            verify = instance.flask("audit", "verify", check=False)
            assert verify.returncode == 0, verify.stdout + verify.stderr
        finally:
            dbr.close()


def test_killing_the_worker_mid_batch_lock_and_ledger_render(tmp_path):
    # (checked by path: the shared editable install would otherwise find another checkout's funds)
    if not (Path(__file__).resolve().parents[2] / "aid" / "funds" / "models.py").exists():
        pytest.skip("the funds area (payment batches, ledgers) is not merged on this branch yet")
    pytest.importorskip("aid.funds.models", reason="the funds area (payment batches, ledgers) is not merged yet")
    pytest.skip("written by the lead with the funds merge: kill during a batch lock and a ledger render "
                "(see docs/reliability.md, 'Left for the funds merge')")
