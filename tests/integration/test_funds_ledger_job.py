"""A large ledger renders in the background (page ranges in worker processes,
merged), with a progress bar whose polling stops with status 286."""
from __future__ import annotations

import io

from pypdf import PdfReader
from sqlalchemy import select

from aid.extensions import db
from aid.funds import ledger
from aid.funds.models import PaymentBatch
from aid.printing.models import Job
from tests.funds_support import approved, give_card, grant
from tests.world import add_student

SEM = "2026-spring"


def test_background_ledger_with_progress(app, client, auth, world, monkeypatch):
    objs = world.obj["A1"]
    prog = grant()
    for i in range(3):
        s = add_student(objs.school, objs.school_class, f"后台{i}")
        give_card(s, 700 + i)
        approved(s, prog, amount_fen=50000 + i, semester=SEM)
    db.session.commit()
    monkeypatch.setitem(app.config, "FUNDS_LEDGER_SYNC_MAX_ROWS", 2)
    monkeypatch.setattr(ledger, "ROWS_PER_PAGE", 1)
    monkeypatch.setattr(ledger, "IN_PROCESS_MAX_PAGES", 1)

    auth.login("a1_officer")
    assert auth.post("/funds/batches/new", {"programme_id": prog.id, "period": SEM}).status_code == 302
    batch = db.session.execute(select(PaymentBatch).where(PaymentBatch.period == SEM)).scalar_one()
    auth.logout()
    auth.login("a1_leader")
    resp = auth.post(f"/funds/batches/{batch.id}/lock", {"version": batch.version}, follow_redirects=True)
    assert "正在后台生成" in resp.get_data(as_text=True)
    db.session.refresh(batch)
    job_id = batch.ledger_job_id
    db.session.commit()  # end the test's transaction: on SQLite it would hold the write lock
    ledger.wait_for_job(job_id, timeout=120)
    db.session.expire_all()
    job = db.session.get(Job, batch.ledger_job_id)
    assert job.status == "done", job.message
    assert job.progress == job.total == 3
    poll = client.get(f"/funds/batches/{batch.id}/ledger/progress", headers={"HX-Request": "true"})
    assert poll.status_code == 286 and "查看发放台账" in poll.get_data(as_text=True)
    pdf = client.get(f"/funds/batches/{batch.id}/ledger")
    reader = PdfReader(io.BytesIO(pdf.data))
    assert len(reader.pages) == 3
    last = reader.pages[2].extract_text()
    assert "第 3 页 共 3 页" in last and "1,500.03" in last and "壹仟伍佰元零叁分" in last
    assert "本页小计" in reader.pages[0].extract_text()


def test_progress_keeps_polling_while_running(app, client, auth, world):
    batch = world.obj["A1"].funds_batch
    job = Job(kind="disbursement_ledger", school_id=batch.school_id, status="running", progress=1, total=4,
              params=str(batch.id))
    db.session.add(job)
    db.session.flush()
    batch.ledger_job_id = job.id
    db.session.commit()
    auth.login("a1_leader")
    poll = client.get(f"/funds/batches/{batch.id}/ledger/progress", headers={"HX-Request": "true"})
    body = poll.get_data(as_text=True)
    assert poll.status_code == 200 and "<progress" in body and "1 / 4" in body and 'hx-trigger="every 1s"' in body


def test_failed_ledger_job_can_be_retried(app, client, auth, world):
    batch = world.obj["A1"].funds_batch  # locked, its ledger never rendered
    job = Job(kind="disbursement_ledger", school_id=batch.school_id, status="failed", total=1,
              message="台账生成失败：OSError", params=str(batch.id))
    db.session.add(job)
    db.session.flush()
    batch.ledger_job_id = job.id
    db.session.commit()
    auth.login("a1_leader")
    page = client.get(f"/funds/batches/{batch.id}").get_data(as_text=True)
    assert "发放台账尚未生成" in page and "重新生成台账" in page
    resp = auth.post(f"/funds/batches/{batch.id}/ledger/render", {}, follow_redirects=True)
    assert "已重新开始生成发放台账" in resp.get_data(as_text=True)
    db.session.refresh(batch)
    job_id = batch.ledger_job_id
    db.session.commit()
    ledger.wait_for_job(job_id, timeout=120)
    db.session.expire_all()
    assert db.session.get(Job, job_id).status == "done"
    pdf = client.get(f"/funds/batches/{batch.id}/ledger")
    assert pdf.status_code == 200 and "学生签名" in PdfReader(io.BytesIO(pdf.data)).pages[0].extract_text()
    resp = auth.post(f"/funds/batches/{batch.id}/ledger/render", {}, follow_redirects=True)
    assert "已生成或正在生成" in resp.get_data(as_text=True)


def test_cli_renders_missing_ledgers(app, world):
    batch = world.obj["A1"].funds_batch
    runner = app.test_cli_runner()
    result = runner.invoke(args=["funds", "render-ledgers"])
    assert result.exit_code == 0 and f"第{batch.id}号批次：台账已生成" in result.output
    db.session.expire_all()
    assert db.session.get(PaymentBatch, batch.id).ledger_document_id
    result = runner.invoke(args=["funds", "render-ledgers"])
    assert "没有缺少台账的已锁定批次" in result.output
