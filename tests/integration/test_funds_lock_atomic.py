"""A batch is locked together with its ledger, or not at all: a render that fails, or a
lock job whose server process died, leaves the batch as it was and the lock can be run
again; temporary files of dead processes are removed from storage."""
from __future__ import annotations

import json
import os
import subprocess

from sqlalchemy import func, select

from aid.audit.models import AuditEvent
from aid.extensions import db
from aid.funds import ledger, service
from aid.funds.models import PaymentBatch, PaymentLine
from aid.printing.jobs import ORPHANED_MESSAGE, runner_identity, sweep_scratch
from aid.printing.models import Job
from aid.printing.service import HOST_TAG, scratch_dir, scratch_prefix, storage_dir
from aid.workflow import WorkflowStep
from tests.funds_support import SEMESTER, approved, grant
from tests.world import add_student


def _draft_batch(world, n=2) -> PaymentBatch:
    objs = world.obj["A1"]
    prog = grant()
    for i in range(n):
        approved(add_student(objs.school, objs.school_class, f"锁定{i}"), prog, amount_fen=100000 + i)
    batch = service.build_batch(world.user("school_officer"), school_id=objs.school.id, programme_id=prog.id,
                                period_text=SEMESTER)
    db.session.commit()
    return batch


def _dead_pid() -> int:
    proc = subprocess.Popen(["true"])
    proc.wait()
    return proc.pid


def _lock_events(batch_id: int) -> int:
    return db.session.execute(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.object_type == "payment_batches", AuditEvent.object_id == batch_id,
        AuditEvent.action.in_(("payment_batch.lock", "funds.ledger_render")))).scalar()


def test_a_failed_render_leaves_the_batch_unlocked_and_the_lock_can_be_rerun(app, client, auth, world, monkeypatch):
    batch = _draft_batch(world)
    batch_id, version = batch.id, batch.version
    real = ledger.render_ledger_pdf

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(ledger, "render_ledger_pdf", broken)
    auth.login("a1_leader")
    resp = auth.post(f"/funds/batches/{batch_id}/lock", {"version": version}, follow_redirects=True)
    assert "发放台账生成失败，批次未锁定" in resp.get_data(as_text=True)
    db.session.expire_all()
    batch = db.session.get(PaymentBatch, batch_id)
    assert batch.state == "draft" and batch.locked_by is None and batch.ledger_document_id is None
    assert batch.version == version and _lock_events(batch_id) == 0
    assert {line.status for line in service.batch_lines(batch)} == {"pending"}
    assert not db.session.execute(select(WorkflowStep).where(WorkflowStep.workflow == "payment_batch",
                                                             WorkflowStep.action == "lock",
                                                             WorkflowStep.object_id == batch_id)).first()
    db.session.commit()

    monkeypatch.setattr(ledger, "render_ledger_pdf", real)
    resp = auth.post(f"/funds/batches/{batch_id}/lock", {"version": version}, follow_redirects=True)
    assert "批次已锁定，发放台账已生成" in resp.get_data(as_text=True)
    db.session.expire_all()
    batch = db.session.get(PaymentBatch, batch_id)
    assert batch.state == "locked" and batch.ledger_document_id and _lock_events(batch_id) == 2
    assert client.get(f"/funds/batches/{batch_id}/ledger").status_code == 200


def test_a_lock_job_of_a_dead_process_shows_failed_and_the_batch_can_be_locked(app, client, auth, world):
    batch = _draft_batch(world)
    leader = world.user("school_leader")
    job = ledger.queue_lock_job(batch, leader, batch.version)
    params = json.loads(job.params)
    params["runner"] = dict(runner_identity(), pid=_dead_pid())
    job.params, job.status = json.dumps(params), "running"
    db.session.commit()
    auth.login("a1_leader")
    page = client.get(f"/funds/batches/{batch.id}").get_data(as_text=True)
    assert "上次锁定未完成" in page and ORPHANED_MESSAGE in page and "锁定批次并生成台账" in page
    db.session.expire_all()
    assert db.session.get(Job, job.id).status == "failed"
    batch = db.session.get(PaymentBatch, batch.id)
    assert batch.state == "draft" and _lock_events(batch.id) == 0
    resp = auth.post(f"/funds/batches/{batch.id}/lock", {"version": batch.version}, follow_redirects=True)
    assert "批次已锁定，发放台账已生成" in resp.get_data(as_text=True)


def test_a_lock_job_refuses_a_batch_changed_while_its_ledger_rendered(app, world):
    batch = _draft_batch(world)
    job_id, batch_id = ledger.queue_lock_job(batch, world.user("school_leader"), batch.version).id, batch.id
    db.session.commit()
    # a second officer reviews the batch while the job waits: the version moved on
    service.review_batch(world.user("school_officer_2"), db.session.get(PaymentBatch, batch_id))
    db.session.commit()
    db.session.close()  # the job runs in a session of its own (on SQLite, no open transaction here)
    ledger._run_job(app, job_id)
    db.session.expire_all()
    job = db.session.get(Job, job_id)
    assert job.status == "failed" and "已被他人处理" in job.message
    batch = db.session.get(PaymentBatch, batch_id)
    assert batch.state == "reviewed" and batch.ledger_document_id is None and _lock_events(batch.id) == 0
    assert not db.session.execute(select(PaymentLine).where(PaymentLine.batch_id == batch.id,
                                                            PaymentLine.status != "pending")).first()


def test_a_second_lock_while_one_runs_is_refused(app, world):
    batch = _draft_batch(world)
    leader = world.user("school_leader")
    ledger.queue_lock_job(batch, leader, batch.version)
    db.session.commit()
    try:
        ledger.queue_lock_job(batch, leader, batch.version)
    except service.FundsError as exc:
        assert "正在锁定" in str(exc)
    else:
        raise AssertionError("a second lock job was queued")


def test_scratch_files_of_dead_processes_are_removed_and_live_ones_kept(app):
    with app.app_context():
        _sweep_scenario()


def _sweep_scenario():
    dead = _dead_pid()
    live_dir = scratch_dir() / f"{scratch_prefix('ledger')}abc"
    dead_dir = scratch_dir() / f"ledger-{HOST_TAG}-{dead}-xyz"
    other_host = scratch_dir() / f"ledger-00000000-{dead}-xyz"
    for d in (live_dir, dead_dir, other_host):
        d.mkdir(parents=True)
        (d / "part0000.html").write_text("<p>x</p>")
    folder = storage_dir() / "documents" / "ab"
    folder.mkdir(parents=True, exist_ok=True)
    dead_tmp = folder / f".ab12.pdf.{HOST_TAG}-{dead}.tmp"
    live_tmp = folder / f".ab34.pdf.{HOST_TAG}-{os.getpid()}.tmp"
    whole = folder / "ab56.pdf"
    for f in (dead_tmp, live_tmp, whole):
        f.write_bytes(b"%PDF-")
    assert sweep_scratch() == 2
    assert live_dir.exists() and other_host.exists() and live_tmp.exists() and whole.exists()
    assert not dead_dir.exists() and not dead_tmp.exists()
