"""Faults: the server process is killed (SIGKILL) in the middle of a 10,000-row roster
import. Afterwards the database holds all of the rows or none, the job shows as failed
(marked by the replacement worker at its start), the import can be run again, and no
file in storage is half-written.

A batch lock with its ledger render gets the same treatment (kills inside the lock's
transaction and amid the render): the batch is locked with its stored ledger, or not at
all.
"""
from __future__ import annotations

import io
import json
import os
import re
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


LEDGER_LINES = 600  # 34 ledger pages: a background job, rendered by two pdf worker processes


def _storage_listing(storage: Path) -> set[str]:
    """Every file (temporary ones included) and every scratch directory in storage."""
    if not storage.exists():
        return set()
    found = {str(p.relative_to(storage)) for p in storage.rglob("*") if p.is_file()}
    scratch = storage / "tmp"
    if scratch.exists():
        found |= {f"tmp/{p.name}/" for p in scratch.iterdir() if p.is_dir()}
    return found


def _batch_snapshot(dbr: Db, batch_id: int) -> dict:
    """What a lock changes: the batch, its lines, its applications, steps, audit, documents."""
    from aid.applications.models import Application
    from aid.audit.models import AuditEvent
    from aid.funds.models import PaymentBatch, PaymentLine
    from aid.printing.models import StoredDocument
    from aid.workflow import WorkflowStep

    with dbr._session() as session:
        batch = session.get(PaymentBatch, batch_id)
        lines = session.execute(select(PaymentLine.id, PaymentLine.student_id, PaymentLine.application_id,
                                       PaymentLine.amount_fen, PaymentLine.status, PaymentLine.serial)
                                .where(PaymentLine.batch_id == batch_id).order_by(PaymentLine.id)).all()
        app_ids = [line.application_id for line in lines]
        apps = session.execute(select(Application.id, Application.state, Application.version)
                               .where(Application.id.in_(app_ids)).order_by(Application.id)).all()
        steps = session.execute(select(WorkflowStep.action).where(
            WorkflowStep.workflow == "payment_batch", WorkflowStep.object_id == batch_id)
            .order_by(WorkflowStep.id)).scalars().all()
        audit = session.execute(select(AuditEvent.action, func.count()).where(
            AuditEvent.object_type == "payment_batches", AuditEvent.object_id == batch_id)
            .group_by(AuditEvent.action)).all()
        docs = session.execute(select(StoredDocument.path, StoredDocument.sha256).where(
            StoredDocument.object_type == "payment_batches", StoredDocument.object_id == batch_id)).all()
        return {"state": batch.state, "locked_by": batch.locked_by, "ledger_document_id": batch.ledger_document_id,
                "line_count": batch.line_count, "total_fen": batch.total_fen,
                "lines": [tuple(r) for r in lines], "applications": [tuple(r) for r in apps], "steps": list(steps),
                "audit": dict(audit), "documents": [tuple(d) for d in docs], "version": batch.version}


def _unchanged(snapshot: dict, before: dict) -> dict:
    """The snapshot without the version (queueing a lock job raises it, by design)."""
    return {k: v for k, v in snapshot.items() if k != "version"} == {k: v for k, v in before.items()
                                                                       if k != "version"}


def _lock(client: LiveClient, batch_id: int) -> str:
    """Press 锁定批次并生成台账 on the batch page (its CSRF token and version); returns the
    page the redirect leads to."""
    status, body, *_ = client.get(f"/funds/batches/{batch_id}")
    page = body.decode()
    assert status == 200 and "锁定批次并生成台账" in page, page[-2000:]
    csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page) or \
        re.search(r'name="csrf_token" value="([^"]+)"', page)
    version = re.search(r'action="/funds/batches/%d/lock".*?name="version" type="hidden" value="(\d+)"' % batch_id,
                        page, re.S)
    assert csrf and version, "lock form not found"
    status, _body, _ms, _wall, headers = client.request(
        "POST", f"/funds/batches/{batch_id}/lock", {"csrf_token": csrf.group(1), "version": version.group(1)})
    assert status == 302, status
    return client.get(f"/funds/batches/{batch_id}")[1].decode()


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_killing_the_worker_mid_batch_lock_and_ledger_render(tmp_path):
    """A batch lock with its ledger is all or nothing: SIGKILL of the server process (1)
    inside the lock's transaction and (2) in the middle of the ledger render, while its
    pdf worker processes run, leaves the batch exactly as it was, the job failed, nothing
    in storage; the lock then runs through the web page and stores the ledger once."""
    import hashlib

    from pypdf import PdfReader

    from aid.printing.models import StoredDocument

    with fresh_database(tmp_path) as url:
        instance = Instance(tmp_path, url)
        world = instance.prepare(lambda: worlds.ledger_world(LEDGER_LINES))
        batch_id = world["batch_id"]
        dbr = Db(instance)
        try:
            before = _batch_snapshot(dbr, batch_id)
            assert before["state"] == "draft" and before["line_count"] == LEDGER_LINES
            storage_before = _storage_listing(instance.storage)
            lock_marker, render_marker = tmp_path / "lock-marker", tmp_path / "render-marker"
            with Server(instance, workers=2, config=str(Path(__file__).with_name("gunicorn_faults.py")),
                        env={"AID_FAULT_LOCK_MARKER": str(lock_marker),
                             "AID_FAULT_RENDER_MARKER": str(render_marker)}) as server:
                client = LiveClient("127.0.0.1", server.port)
                client.login("a1_leader", PASSWORD)

                # 1. inside the lock's transaction: the ledger rendered, the lock applied, nothing committed
                page = _lock(client, batch_id)
                assert "正在锁定批次" in page
                victim = int(_wait(lambda: lock_marker.exists() and lock_marker.read_text().strip(), 300,
                                   interval=0.05, what="the lock transaction"))
                job = dbr.job("disbursement_ledger")
                assert job["status"] == "running" and job["params"]["runner"]["pid"] == victim, job
                os.kill(victim, signal.SIGKILL)
                server.wait_workers(2, exclude=(victim,))
                failed = _wait(lambda: (lambda j: j if j["status"] != "running" else None)(
                    dbr.job("disbursement_ledger")), 60, what="the job to be marked")
                assert failed["status"] == "failed" and "中断" in failed["message"], failed
                after = _batch_snapshot(dbr, batch_id)
                assert _unchanged(after, before), (after, before)  # not locked at all
                page = client.get(f"/funds/batches/{batch_id}")[1].decode()
                assert "上次锁定未完成" in page and failed["message"] in page and "锁定批次并生成台账" in page
                _wait(lambda: _storage_listing(instance.storage) == storage_before, 60,
                      what="storage as before")

                # 2. in the middle of the render, while the pdf worker processes run
                page = _lock(client, batch_id)
                assert "正在锁定批次" in page
                owner_and_kids = _wait(lambda: render_marker.exists() and render_marker.read_text().split(), 300,
                                       interval=0.02, what="the pdf workers")
                victim = int(owner_and_kids[0])
                time.sleep(0.3)  # let the second pdf worker start too
                kids = [p for p in map(int, render_marker.read_text().split()[1:]) if _alive(p)]
                assert kids, "the render had no live pdf worker to kill it amid"
                assert any((instance.storage / "tmp").iterdir()), "the render's scratch directory"
                os.kill(victim, signal.SIGKILL)
                _wait(lambda: not any(_alive(p) for p in kids), 30, what="the pdf workers to exit with their parent")
                server.wait_workers(2, exclude=(victim,))
                failed2 = _wait(lambda: (lambda j: j if j["status"] != "running" and j["id"] != failed["id"]
                                         else None)(dbr.job("disbursement_ledger")), 60, what="the job to be marked")
                assert failed2["status"] == "failed" and "中断" in failed2["message"], failed2
                assert _unchanged(_batch_snapshot(dbr, batch_id), before)
                _wait(lambda: _storage_listing(instance.storage) == storage_before, 60,
                      what="the killed render's scratch files to be removed")

                # 3. the lock run again through the page: locked, with its ledger, once
                page = _lock(client, batch_id)
                done = _wait(lambda: (lambda j: j if j["status"] in ("done", "failed") and
                                      j["id"] not in (failed["id"], failed2["id"]) else None)(
                    dbr.job("disbursement_ledger")), 300, what="the lock job")
                assert done["status"] == "done", done
                locked = _batch_snapshot(dbr, batch_id)
                assert locked["state"] == "locked" and locked["ledger_document_id"]
                assert locked["lines"] == before["lines"] and locked["applications"] == before["applications"]
                assert locked["steps"] == before["steps"] + ["lock"]
                assert locked["audit"] == {**before["audit"], "payment_batch.lock": 1, "funds.ledger_render": 1}
                ((path, sha256),) = locked["documents"]
                stored = (instance.storage / path).read_bytes()
                assert hashlib.sha256(stored).hexdigest() == sha256
                status, pdf, *_ = client.get(f"/funds/batches/{batch_id}/ledger")
                assert status == 200 and hashlib.sha256(pdf).hexdigest() == sha256
                assert len(PdfReader(io.BytesIO(pdf)).pages) == -(-LEDGER_LINES // 18)
                # storage: exactly the one ledger more, every document file whole and recorded
                assert _storage_listing(instance.storage) == storage_before | {path}
                with dbr._session() as session:
                    recorded = dict(session.execute(select(StoredDocument.path, StoredDocument.sha256)).all())
                for name in _storage_listing(instance.storage):
                    if name.startswith("documents/"):
                        data = (instance.storage / name).read_bytes()
                        assert recorded.get(name) == hashlib.sha256(data).hexdigest(), name

                assert not [s for s in client.statuses if s >= 500], client.statuses
                server.stop()
                assert not [s for s in server.statuses() if s >= 500], server.statuses()
            verify = instance.flask("audit", "verify", check=False)
            assert verify.returncode == 0, verify.stdout + verify.stderr
        finally:
            dbr.close()
