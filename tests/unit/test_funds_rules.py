"""Funds rules without HTTP: periods, ledger pagination and totals, batch building
(holds, cards, enrolment, monthly instalments, carry-over), locking, allocations."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from aid.core.money import capital_amount
from aid.core.errors import InvalidValue
from aid.extensions import db
from aid.funds import service
from aid.funds.ledger import LedgerRow, paginate
from aid.funds.models import Allocation, BatchExclusion, PaymentBatch, PaymentLine
from aid.funds.periods import parse_period, semester_months
from aid.programmes.semesters import Semester
from aid.students.personal import set_aid_card
from tests.funds_support import approved, give_card, grant, monthly_grant, waiver
from tests.world import add_student

SEM = "2026-spring"


# --- periods --------------------------------------------------------------------------

def test_periods():
    assert parse_period("2025-autumn").key == "2025-autumn"
    oct_ = parse_period("2025-10")
    assert (oct_.key, str(oct_.semester), oct_.instalment_index, oct_.start_date) == ("2025-10", "2025-autumn", 1, date(2025, 10, 1))
    assert parse_period("2026-01").semester == Semester(2025, "autumn")
    assert [m.month for m in semester_months(Semester(2026, "spring"))] == [3, 4, 5, 6, 7]
    for bad, message in (("2025-08", "不是助学金按月发放的月份"), ("2025-13", "月份无效"), ("autumn", "期次格式不正确")):
        with pytest.raises(InvalidValue, match=message):
            parse_period(bad)


# --- ledger pagination and totals -----------------------------------------------------

def _rows(n, amount=150000):
    return [LedgerRow(i, f"学生{i}", "班", "350102********1234", "6217***********1234", "国家助学金", "一档", amount)
            for i in range(1, n + 1)]


def test_pages_have_fixed_rows_and_exact_subtotals():
    rows = _rows(40)
    rows[39].amount_fen = 1
    pages = paginate(rows, per_page=18)
    assert [len(p.rows) for p in pages] == [18, 18, 4]
    assert [p.subtotal_fen for p in pages] == [18 * 150000, 18 * 150000, 3 * 150000 + 1]
    assert [p.last for p in pages] == [False, False, True]
    assert sum(p.subtotal_fen for p in pages) == 39 * 150000 + 1
    assert paginate([], per_page=18) == []


def test_capital_numerals_on_the_ledger_total():
    assert capital_amount(150000) == "壹仟伍佰元整"
    assert capital_amount(39 * 150000 + 1) == "伍万捌仟伍佰元零壹分"


# --- building -------------------------------------------------------------------------

@pytest.fixture
def a1(world):
    return world.obj["A1"], world.users["school_officer"], world.users["school_leader"]


def _student(objs, name, seed, **kw):
    s = add_student(objs.school, objs.school_class, name, **kw)
    if kw.get("card", True):
        give_card(s, seed)
    return s


def test_build_excludes_with_reasons(a1):
    objs, officer, _leader = a1
    prog = grant()
    ok = _student(objs, "甲", 1)
    held = _student(objs, "乙", 2, status="退学")
    no_card = _student(objs, "丙", 3, card=False)
    ssc = _student(objs, "丁", 4)
    set_aid_card(ssc, "ABC123456", "social_security")  # a 9-character 社会保障卡 number is payable
    id_as_card = _student(objs, "戊", 5)
    set_aid_card(id_as_card, "11010519491231002X", "social_security")  # an ID typed as the card
    part_time = _student(objs, "己", 6, study_mode="part_time")
    moved = _student(objs, "庚", 7)
    for s in (ok, held, no_card, ssc, id_as_card, part_time, moved):
        approved(s, prog, semester=SEM)
    moved.school_id = world_school(objs, "A2")
    db.session.flush()
    batch = service.build_batch(officer, school_id=objs.school.id, programme_id=prog.id, period_text=SEM)
    paid = set(db.session.execute(select(PaymentLine.student_id).where(PaymentLine.batch_id == batch.id)).scalars())
    assert paid == {ok.id, ssc.id}
    reasons = dict(db.session.execute(select(BatchExclusion.student_id, BatchExclusion.reason)
                                      .where(BatchExclusion.batch_id == batch.id)).all())
    assert "退学" in reasons[held.id]
    assert "未登记" in reasons[no_card.id]
    assert "身份证号码" in reasons[id_as_card.id]
    assert "非全日制" in reasons[part_time.id]
    assert "转出" in reasons[moved.id]


def world_school(objs, key):
    from aid.org.models import School
    return db.session.execute(select(School.id).where(School.name == f"{key}技工学校")).scalar_one()


def test_monthly_programme_pays_instalments_once_per_month(a1):
    objs, officer, _leader = a1
    prog = monthly_grant()
    s = _student(objs, "月", 11)
    approved(s, prog, amount_fen=100001, semester=SEM)
    with pytest.raises(service.FundsError, match="按月发放"):
        service.build_batch(officer, school_id=objs.school.id, programme_id=prog.id, period_text=SEM)
    march = service.build_batch(officer, school_id=objs.school.id, programme_id=prog.id, period_text="2026-03")
    july = service.build_batch(officer, school_id=objs.school.id, programme_id=prog.id, period_text="2026-07")
    assert (march.total_fen, july.total_fen) == (20000, 20001)
    with pytest.raises(service.FundsError, match="已经发放"):
        service.build_batch(officer, school_id=objs.school.id, programme_id=prog.id, period_text="2026-03")
    with pytest.raises(service.FundsError, match="按学期发放"):
        service.build_batch(officer, school_id=objs.school.id, programme_id=grant().id, period_text="2026-03")


def test_only_the_officer_builds_and_nothing_to_pay_is_refused(a1):
    objs, officer, leader = a1
    prog = grant()
    with pytest.raises(service.FundsError, match="经办人员编制"):
        service.build_batch(leader, school_id=objs.school.id, programme_id=prog.id, period_text=SEM)
    with pytest.raises(service.FundsError, match="没有人社部门已审批"):
        service.build_batch(officer, school_id=objs.school.id, programme_id=prog.id, period_text=SEM)
    held = _student(objs, "休", 21, status="休学")
    approved(held, prog, semester=SEM)
    with pytest.raises(service.FundsError, match="没有可发放的学生：.*休学"):
        service.build_batch(officer, school_id=objs.school.id, programme_id=prog.id, period_text=SEM)
    assert db.session.scalar(select(func.count()).select_from(PaymentBatch).where(PaymentBatch.period == SEM)) == 0


def test_lock_rules(a1, world):
    objs, officer, leader = a1
    prog = grant()
    s = _student(objs, "锁", 31)
    approved(s, prog, semester=SEM)
    batch = service.build_batch(officer, school_id=objs.school.id, programme_id=prog.id, period_text=SEM)
    with pytest.raises(service.FundsError, match="不能锁定"):  # the officer's role cannot lock
        service.lock_batch(officer, batch)
    batch.created_by = leader.id  # the leader who built a batch may not lock it either
    with pytest.raises(service.FundsError, match="编制人不能锁定"):
        service.lock_batch(leader, batch)
    batch.created_by = officer.id
    with pytest.raises(service.FundsError, match="已被他人处理"):
        service.lock_batch(leader, batch, expected_version=batch.version - 1)
    service.lock_batch(leader, batch)
    assert batch.state == "locked" and batch.locked_by == leader.id
    with pytest.raises(service.FundsError, match="已锁定"):
        service.discard_batch(officer, batch, "重做")
    with pytest.raises(service.FundsError, match="已锁定"):
        service.review_batch(world.users["school_officer_2"], batch)
    empty = PaymentBatch(school_id=objs.school.id, programme_id=prog.id, semester=SEM, period=SEM,
                         created_by=officer.id)
    db.session.add(empty)
    db.session.flush()
    with pytest.raises(service.FundsError, match="空批次"):
        service.lock_batch(leader, empty)


def test_discarded_batch_frees_its_students(a1):
    objs, officer, _leader = a1
    prog = grant()
    s = _student(objs, "废", 41)
    approved(s, prog, semester=SEM)
    first = service.build_batch(officer, school_id=objs.school.id, programme_id=prog.id, period_text=SEM)
    service.discard_batch(officer, first, "名单有误")
    second = service.build_batch(officer, school_id=objs.school.id, programme_id=prog.id, period_text=SEM)
    assert second.line_count == 1


def test_allocation_input(world):
    admin = world.users["province_admin"]
    school = world.obj["A1"].school
    prog = grant()
    base = dict(school_id=school.id, programme_id=prog.id, semester=SEM, source="central", doc_number="财教〔2026〕1号",
                doc_date=date(2026, 3, 1))
    for amount, message in (("-1", "负数"), ("1.001", "两位小数"), ("0", "大于零"), ("", "请填写金额")):
        with pytest.raises(service.FundsError, match=message):
            service.add_allocation(admin, amount=amount, **base)
    with pytest.raises(service.FundsError, match="资金来源"):
        service.add_allocation(admin, amount="1", **{**base, "source": "bank"})
    with pytest.raises(service.FundsError, match="管辖范围"):
        service.add_allocation(world.users["bureau_officer"], amount="1", **{**base, "school_id": world.obj["B1"].school.id})
    with pytest.raises(service.FundsError, match="只有省级管理员或人社部门"):
        service.add_allocation(world.users["school_officer"], amount="1", **base)
    a = service.add_allocation(admin, amount="1,234.56", **base)
    assert a.amount_fen == 123456
    assert db.session.scalar(select(func.count()).select_from(Allocation)) == 1


def test_waiver_uses_the_public_standard_for_private_schools(a1):
    objs, officer, _leader = a1
    objs.school.ownership = "private"
    objs.major.tuition_fen_per_year = 500000
    objs.major.public_tuition_fen_per_year = 240001
    s = _student(objs, "民", 51, card=False)
    approved(s, waiver(), amount_fen=0, semester="2025-autumn", level="")
    batch = service.build_batch(officer, school_id=objs.school.id, programme_id=waiver().id, period_text="2025-autumn")
    line = db.session.execute(select(PaymentLine).where(PaymentLine.batch_id == batch.id)).scalar_one()
    assert (line.standard_fen, line.amount_fen) == (240001, 120001)  # the odd fen goes to autumn


def test_bank_file_writes_text_never_formulas(a1):
    import io

    from openpyxl import load_workbook

    from aid.funds import bank

    objs, officer, leader = a1
    prog = grant()
    s = _student(objs, "=HYPERLINK(\"http://x\")", 61)
    approved(s, prog, semester=SEM)
    batch = service.build_batch(officer, school_id=objs.school.id, programme_id=prog.id, period_text=SEM)
    with pytest.raises(service.FundsError, match="锁定后"):
        bank.export_payment_file(officer, batch)
    service.lock_batch(leader, batch)
    ws = load_workbook(io.BytesIO(bank.export_payment_file(officer, batch))).active
    name, card = ws["B2"], ws["C2"]
    assert name.data_type == "s" and name.value.startswith("=HYPERLINK")
    assert card.data_type == "s" and card.number_format == "@" and len(card.value) == 19


def test_one_card_for_two_students_is_not_paid_twice(a1):
    objs, officer, _leader = a1
    prog = grant()
    first = _student(objs, "卡一", 71)
    second = _student(objs, "卡二", 72)
    give_card(second, 71)  # the same number as the first student's
    third = _student(objs, "卡三", 73)
    for s in (first, second, third):
        approved(s, prog, semester=SEM)
    batch = service.build_batch(officer, school_id=objs.school.id, programme_id=prog.id, period_text=SEM)
    assert batch.line_count == 1
    reasons = dict(db.session.execute(select(BatchExclusion.student_id, BatchExclusion.reason)
                                      .where(BatchExclusion.batch_id == batch.id)).all())
    assert set(reasons) == {first.id, second.id} and all("卡号相同" in r for r in reasons.values())


def test_lock_refuses_when_a_student_changed_after_the_build(a1):
    objs, officer, leader = a1
    prog = grant()
    stays = _student(objs, "稳", 81)
    leaves = _student(objs, "走", 82)
    apps = [approved(s, prog, semester=SEM) for s in (stays, leaves)]
    batch = service.build_batch(officer, school_id=objs.school.id, programme_id=prog.id, period_text=SEM)
    leaves.status = "休学"
    db.session.flush()
    with pytest.raises(service.FundsError, match="走：学籍状态为休学"):
        service.lock_batch(leader, batch)
    leaves.status = "在籍"
    apps[0].state = "rejected"
    db.session.flush()
    with pytest.raises(service.FundsError, match="稳：申请状态已变为“未通过”"):
        service.lock_batch(leader, batch)
    assert batch.state == "draft"
