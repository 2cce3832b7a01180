"""The disbursement flow in the browser's terms: allocate → build (held students
listed with reasons) → lock → ledger PDF → bank file → bank return with two
failures → carry-over → settlement that balances to the fen."""
from __future__ import annotations

import io

import pytest
from openpyxl import Workbook, load_workbook
from pypdf import PdfReader
from sqlalchemy import func, select

from aid.applications.models import Application
from aid.audit.models import AuditEvent
from aid.extensions import db
from aid.funds.models import Allocation, PaymentBatch, PaymentLine, Settlement
from aid.students.personal import set_aid_card
from tests.funds_support import approved, give_card, grant, waiver
from tests.world import add_student

SEM = "2026-spring"


def _text(pdf_bytes: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf_bytes)).pages)


def _xlsx(rows) -> bytes:
    wb = Workbook()
    ws = wb.active
    for row in rows:
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


@pytest.fixture
def school(world):
    """School A1 with four payable students and four that must be left out."""
    objs = world.obj["A1"]
    prog = grant()
    payable = []
    for i, name in enumerate(["赵一", "钱二", "孙三", "李四"]):
        s = add_student(objs.school, objs.school_class, name)
        give_card(s, 100 + i)
        approved(s, prog, amount_fen=100000, semester=SEM)
        payable.append(s)
    suspended = add_student(objs.school, objs.school_class, "周休学", status="休学")
    no_card = add_student(objs.school, objs.school_class, "吴无卡", card=False)
    bad_card = add_student(objs.school, objs.school_class, "郑错卡")
    set_aid_card(bad_card, "6217000000000000001")  # fails the Luhn check
    graduated = add_student(objs.school, objs.school_class, "王毕业", status="毕业")
    for s in (suspended, no_card, bad_card, graduated):
        approved(s, prog, amount_fen=100000, semester=SEM)
    db.session.commit()
    return {"prog": prog, "school": objs.school, "payable": payable}


def _batch_of(client_resp) -> PaymentBatch:
    return db.session.execute(select(PaymentBatch).order_by(PaymentBatch.id.desc())).scalars().first()


def test_full_disbursement_flow(app, client, auth, world, school):
    prog, a1 = school["prog"], school["school"]

    # allocations: the province enters them; bad amounts change nothing
    auth.login("p_admin")
    base = {"school_id": a1.id, "programme_id": prog.id, "semester": SEM, "source": "central",
            "doc_number": "财教〔2026〕1号", "doc_date": "2026-03-10"}
    for bad, message in (("-5", "金额不能为负数"), ("12.345", "最多保留两位小数"), ("abc", "金额格式不正确")):
        resp = auth.post("/funds/allocations/new", {**base, "amount": bad})
        assert resp.status_code == 422 and message in resp.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Allocation)) == 0
    assert auth.post("/funds/allocations/new", {**base, "amount": "6,000.00"}).status_code == 302
    assert auth.post("/funds/allocations/new", {**base, "source": "province", "doc_number": "闽财教〔2026〕2号",
                                                "amount": "4000"}).status_code == 302
    totals = client.get(f"/funds/allocations/totals?semester={SEM}").get_data(as_text=True)
    assert "10,000.00" in totals and "甲市人社局" in totals
    auth.logout()

    # the officer builds the batch; held students are listed with their reasons
    auth.login("a1_officer")
    resp = auth.post("/funds/batches/new", {"programme_id": prog.id, "period": SEM})
    assert resp.status_code == 302, resp.get_data(as_text=True)
    batch = _batch_of(resp)
    assert (batch.line_count, batch.total_fen) == (4, 400000)
    page = client.get(f"/funds/batches/{batch.id}").get_data(as_text=True)
    for name, reason in (("周休学", "休学"), ("吴无卡", "未登记中职学生资助卡或社会保障卡"),
                         ("郑错卡", "校验失败"), ("王毕业", "毕业")):
        assert name in page and reason in page
    # building the same period again is refused, nothing written
    resp = auth.post("/funds/batches/new", {"programme_id": prog.id, "period": SEM})
    assert resp.status_code == 422 and "已经发放，不能重复生成" in resp.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(PaymentBatch).where(PaymentBatch.period == SEM)) == 1
    # the officer cannot lock
    assert auth.post(f"/funds/batches/{batch.id}/lock", {"version": batch.version}).status_code == 403
    auth.logout()

    # the leader locks: the ledger is rendered once and served from storage
    auth.login("a1_leader")
    resp = auth.post(f"/funds/batches/{batch.id}/lock", {"version": batch.version})
    assert resp.status_code == 302
    db.session.refresh(batch)
    assert batch.state == "locked" and batch.ledger_document_id
    pdf = client.get(f"/funds/batches/{batch.id}/ledger")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    text = _text(pdf.data)
    for expected in ("学生签名", "本页小计", "合计（4人）", "4,000.00", "肆仟元整", "制表人", "复核人",
                     "学校负责人", "第 1 页 共 1 页", "赵一"):
        assert expected in text, expected
    assert "6217" in text and "*" in text  # card numbers masked on the ledger
    again = client.get(f"/funds/batches/{batch.id}/ledger")
    assert again.data == pdf.data
    # a locked batch cannot be changed
    for path, data in ((f"/funds/batches/{batch.id}/discard", {"reason": "重做", "version": batch.version}),
                       (f"/funds/batches/{batch.id}/lock", {"version": batch.version})):
        resp = auth.post(path, data, follow_redirects=True)
        assert "已锁定" in resp.get_data(as_text=True)
    db.session.refresh(batch)
    assert batch.state == "locked"

    # the bank file carries full card numbers as text, and its export is audited
    resp = auth.post(f"/funds/batches/{batch.id}/bank-file", {})
    assert resp.status_code == 200
    ws = load_workbook(io.BytesIO(resp.data)).active
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0][:4] == ("序号", "姓名", "卡号", "金额（元）")
    assert all(isinstance(r[2], str) and len(r[2]) == 19 for r in rows[1:])
    assert {r[3] for r in rows[1:]} == {1000}
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)
                             .where(AuditEvent.action == "funds.bank_export")) == 1

    # a return file with an unknown card and a wrong amount is refused as a whole
    bad = _xlsx([rows[0][:4] + ("发放结果", "失败原因"),
                 (1, rows[1][1], "6217000000000000000", 1000, "成功", None),
                 (2, rows[2][1], rows[2][2], 999.99, "成功", None),
                 (3, rows[3][1], rows[3][2], 1000, "成功", None)])
    resp = client.post(f"/funds/batches/{batch.id}/bank-return",
                       data={"csrf_token": auth.token(f"/funds/batches/{batch.id}/bank-return"),
                             "file": (io.BytesIO(bad), "return.xlsx")}, content_type="multipart/form-data")
    body = resp.get_data(as_text=True)
    assert resp.status_code == 422
    assert "第2行：卡号 6217***********0000 不在本批次的待发放名单中" in body
    assert "第3行：金额 999.99 元与本批次应发金额 1,000.00 元不一致" in body
    assert db.session.scalar(select(func.count()).select_from(PaymentLine)
                             .where(PaymentLine.batch_id == batch.id, PaymentLine.status != "pending")) == 0

    # the good return: two lines fail and carry over
    good = _xlsx([rows[0][:4] + ("发放结果", "失败原因")]
                 + [(r[0], r[1], r[2], r[3], "失败" if i < 2 else "成功", "账户已冻结" if i < 2 else None)
                    for i, r in enumerate(rows[1:])])
    resp = client.post(f"/funds/batches/{batch.id}/bank-return",
                       data={"csrf_token": auth.token(f"/funds/batches/{batch.id}/bank-return"),
                             "file": (io.BytesIO(good), "return.xlsx")}, content_type="multipart/form-data")
    assert resp.status_code == 302, resp.get_data(as_text=True)
    db.session.expire_all()
    lines = db.session.execute(select(PaymentLine).where(PaymentLine.batch_id == batch.id)
                               .order_by(PaymentLine.serial)).scalars().all()
    assert [ln.status for ln in lines].count("failed") == 2
    assert all(ln.failure_reason == "账户已冻结" for ln in lines if ln.status == "failed")
    assert batch.state == "returned"
    paid_apps = [db.session.get(Application, ln.application_id).state for ln in lines if ln.status == "paid"]
    assert paid_apps == ["disbursed", "disbursed"]
    failed_students = {ln.student_id for ln in lines if ln.status == "failed"}
    auth.logout()

    # settlement is refused while a batch is open; the failed lines carry to the next batch
    auth.login("a1_officer")
    resp = auth.post("/funds/batches/new", {"programme_id": prog.id, "period": SEM})
    assert resp.status_code == 302, resp.get_data(as_text=True)
    second = _batch_of(resp)
    carried = db.session.execute(select(PaymentLine).where(PaymentLine.batch_id == second.id)).scalars().all()
    assert {ln.student_id for ln in carried} == failed_students
    assert all(ln.carried_from_id for ln in carried)
    assert second.corrects_batch_id == batch.id
    resp = auth.post("/funds/settlements/new", {"programme_id": prog.id, "semester": SEM, "note": "结转"})
    assert resp.status_code == 422 and "还有未完成的发放批次" in resp.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Settlement).where(Settlement.semester == SEM)) == 0
    auth.logout()

    auth.login("a1_leader")
    assert auth.post(f"/funds/batches/{second.id}/lock", {"version": second.version}).status_code == 302
    export = auth.post(f"/funds/batches/{second.id}/bank-file", {})
    rows2 = list(load_workbook(io.BytesIO(export.data)).active.iter_rows(values_only=True))
    ok = _xlsx([rows2[0][:4] + ("发放结果", "失败原因")] + [r[:4] + ("成功", None) for r in rows2[1:]])
    resp = client.post(f"/funds/batches/{second.id}/bank-return",
                       data={"csrf_token": auth.token(f"/funds/batches/{second.id}/bank-return"),
                             "file": (io.BytesIO(ok), "return.xlsx")}, content_type="multipart/form-data")
    assert resp.status_code == 302

    # settlement: a surplus needs its handling note; then it balances to the fen
    resp = auth.post("/funds/settlements/new", {"programme_id": prog.id, "semester": SEM, "note": ""})
    assert resp.status_code == 422 and "请填写结余处理说明" in resp.get_data(as_text=True)
    resp = auth.post("/funds/settlements/new", {"programme_id": prog.id, "semester": SEM,
                                                "note": "结余6,000.00元结转下学期使用"})
    assert resp.status_code == 302, resp.get_data(as_text=True)
    s = db.session.execute(select(Settlement).where(Settlement.semester == SEM)).scalar_one()
    assert (s.allocated_fen, s.paid_fen, s.returned_fen, s.recovered_fen) == (1000000, 400000, 0, 0)
    assert s.surplus_fen == 600000 == s.allocated_fen - s.paid_fen + s.recovered_fen
    assert s.students_aided == 4
    statement = client.get(f"/funds/settlements/{s.id}/statement")
    text = _text(statement.data)
    assert "结余" in text and "6,000.00" in text and "陆仟元整" in text
    resp = auth.post("/funds/settlements/new", {"programme_id": prog.id, "semester": SEM, "note": "再来"})
    assert resp.status_code == 422 and "已经结算" in resp.get_data(as_text=True)
    # the roll-up per bureau and province shows the same figures
    roll = client.get(f"/funds/settlements?programme_id={prog.id}&semester={SEM}").get_data(as_text=True)
    assert "10,000.00" in roll and "6,000.00" in roll


def test_student_confirms_own_receipt_only(app, client, auth, world):
    own = world.obj["A1"].funds_line
    other = world.obj["A1b"].funds_line
    auth.login("a1_student")
    page = client.get("/funds/my").get_data(as_text=True)
    assert "确认收到" in page
    assert auth.post(f"/funds/my/{other.id}/confirm", {}).status_code == 404
    resp = auth.post(f"/funds/my/{own.id}/confirm", {}, headers={"HX-Request": "true"})
    assert resp.status_code == 200 and "已确认" in resp.get_data(as_text=True)
    db.session.refresh(own)
    assert own.confirmed_at is not None
    resp = auth.post(f"/funds/my/{own.id}/confirm", {}, follow_redirects=True)
    assert "您已确认收到" in resp.get_data(as_text=True)


def test_waiver_batch_is_a_ledger_not_a_payment(app, client, auth, world):
    objs = world.obj["A1"]
    prog = waiver()
    s = add_student(objs.school, objs.school_class, "冯免费", card=False)
    approved(s, prog, amount_fen=0, semester=SEM, level="")
    db.session.commit()
    auth.login("a1_officer")
    resp = auth.post("/funds/batches/new", {"programme_id": prog.id, "period": SEM})
    assert resp.status_code == 302, resp.get_data(as_text=True)
    batch = _batch_of(resp)
    line = db.session.execute(select(PaymentLine).where(PaymentLine.batch_id == batch.id)).scalar_one()
    # 2,400.00 yuan per year: half for the semester, no card needed
    assert (line.standard_fen, line.amount_fen, line.card_masked) == (240000, 120000, "")
    auth.logout()
    auth.login("a1_leader")
    auth.post(f"/funds/batches/{batch.id}/lock", {"version": batch.version})
    db.session.expire_all()
    assert db.session.get(PaymentLine, line.id).status == "waived"
    assert auth.post(f"/funds/batches/{batch.id}/bank-file", {}, follow_redirects=True).status_code == 200
    text = _text(client.get(f"/funds/batches/{batch.id}/ledger").data)
    assert "免学费减免台账" in text and "1,200.00" in text
    page = client.get(f"/funds/waivers?semester={SEM}").get_data(as_text=True)
    assert "冯免费" in page and "2,400.00" in page


def test_recovery_after_withdrawal(app, client, auth, world):
    line = world.obj["A1"].funds_line  # paid for 2025-autumn
    student = world.obj["A1"].student
    auth.login("a1_officer")
    assert "没有应追回的资金" in client.get("/funds/recovery").get_data(as_text=True)
    student.status = "退学"
    db.session.commit()
    page = client.get("/funds/recovery").get_data(as_text=True)
    assert student.name in page and "退学" in page
    resp = auth.post(f"/funds/recovery/{line.id}", {"note": ""}, follow_redirects=True)
    assert "请填写追回说明" in resp.get_data(as_text=True)
    resp = auth.post(f"/funds/recovery/{line.id}", {"note": "退款凭证2026-001"}, follow_redirects=True)
    assert "已登记追回" in resp.get_data(as_text=True)
    db.session.refresh(line)
    assert line.status == "recovered"
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)
                             .where(AuditEvent.action == "funds.recover")) == 1


def test_home_panels_and_navigation(app, client, auth, world):
    auth.login("a1_student")
    home = client.get("/home").get_data(as_text=True)
    assert "有 1 笔资金已发放到您的卡上" in home and "我的资助" in home
    auth.logout()
    auth.login("a1_leader")
    home = client.get("/home").get_data(as_text=True)
    assert "资金发放" in home and "已锁定 2" in home  # the world's batches of A1 and A1b
    assert "学期结算" in home


def test_allocation_form_answers_in_chinese(app, client, auth, world):
    prog = grant()
    db.session.commit()
    auth.login("a_bureau")
    base = {"school_id": world.obj["A1"].school.id, "programme_id": prog.id, "semester": SEM, "source": "city",
            "doc_number": "榕财教〔2026〕3号", "doc_date": "2026-03-10", "amount": "100"}
    for change, message in (({"school_id": world.obj["B1"].school.id}, "不在您的管辖范围内"),
                            ({"school_id": "x"}, "不在您的管辖范围内"),
                            ({"programme_id": "999"}, "资助项目不存在"),
                            ({"doc_date": "2026-13-01"}, "请填写正确的下达日期"),
                            ({"source": "bank"}, "资金来源应为"),
                            ({"semester": "2026"}, "学期格式不正确")):
        resp = auth.post("/funds/allocations/new", {**base, **change})
        body = resp.get_data(as_text=True)
        assert resp.status_code == 422 and message in body, (change, body[-3000:])
        assert "Not a valid" not in body and "Invalid Choice" not in body
    assert db.session.scalar(select(func.count()).select_from(Allocation)) == 0
    assert auth.post("/funds/allocations/new", base).status_code == 302


@pytest.mark.parametrize("username, paths", [
    ("a1_officer", ["/funds/batches?state=locked", "/funds/allocations?semester=2025-autumn",
                    "/funds/settlements?semester=2025-autumn", "/funds/recovery", "/funds/waivers?semester=2025-autumn"]),
    ("p_admin", ["/funds/allocations/totals", "/funds/batches", "/funds/settlements"]),
    ("a1_student", ["/funds/my"]),
])
def test_htmx_requests_get_partials(app, client, auth, world, username, paths):
    auth.login(username)
    for path in paths:
        full = client.get(path)
        part = client.get(path, headers={"HX-Request": "true"})
        assert full.status_code == part.status_code == 200, path
        assert "<html" in full.get_data(as_text=True) and "<html" not in part.get_data(as_text=True), path
        assert "HX-Request" in part.headers.get("Vary", "")
