"""The province-scale shapes of the funds pages (issue 9) show what the plain computations show:
the settlement roll-up read in one pass, the waiver ledger's per-school summary, and the recovery
list read only as far as a page needs. Each is compared with a straightforward computation over
every record, on several schools, statuses, periods and semesters."""
from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime

import pytest
from sqlalchemy import select

from aid.changes.holds import can_be_held, hold_candidates_select
from aid.changes.models import StatusChange
from aid.extensions import db
from aid.funds import service, settlement
from aid.funds.models import DONE_STATUSES, Allocation, PaymentBatch, PaymentLine
from aid.funds.periods import parse_period
from aid.programmes.semesters import Semester
from tests.funds_support import grant, monthly_grant, waiver
from tests.world import add_student

SEM = "2025-autumn"
OTHER = "2026-spring"
MONTHS = ("2025-09", "2025-10", "2025-11")


def _batch(school_id, prog, semester, period, state="locked"):
    batch = PaymentBatch(school_id=school_id, programme_id=prog.id, semester=semester, period=period, state=state)
    db.session.add(batch)
    db.session.flush()
    return batch


def _line(batch, student, prog, period, amount, status, **kw):
    line = PaymentLine(batch_id=batch.id, school_id=batch.school_id, student_id=student.id, programme_id=prog.id,
                       period=period, amount_fen=amount, status=status, **kw)
    db.session.add(line)
    db.session.flush()
    return line


def _students(objs, n, tag):
    return [add_student(objs.school, objs.school_class, f"{tag}{i}") for i in range(n)]


@pytest.fixture
def ledgers(world):
    """Per school: card payments of the semester in every status (failures carried and re-paid,
    carried and still pending, not carried), a monthly programme paying some students in several
    months, a waiver, allocations, and the next semester's lines that must not count."""
    prog, monthly, free = grant(), monthly_grant(), waiver()
    for k, key in enumerate(("A1", "A2", "B1")):
        objs = world.obj[key]
        sid = objs.school.id
        people = _students(objs, 9, f"{key}结算")
        db.session.add_all([Allocation(school_id=sid, programme_id=p.id, semester=s, source="central",
                                       doc_number=f"财{key}{p.id}{s}", doc_date=date(2025, 9, 1), amount_fen=a)
                            for p, s, a in ((prog, SEM, 5_000_00 + k), (prog, OTHER, 7_000_00),
                                            (monthly, SEM, 3_000_00), (free, SEM, 9_000_00))])
        first, later = _batch(sid, prog, SEM, SEM, "returned"), _batch(sid, prog, SEM, SEM)
        for i, status in enumerate(("paid", "paid", "waived", "recovered", "pending", "cancelled")[:6 - k]):
            _line(first, people[i], prog, SEM, 1_000_00 + 17 * i + k, status)
        failed_paid = _line(first, people[6], prog, SEM, 1_500_00, "failed", failure_reason="销户")
        failed_pending = _line(first, people[7], prog, SEM, 1_200_00 + k, "failed", failure_reason="销户")
        _line(first, people[8], prog, SEM, 999_99, "failed", failure_reason="挂失")  # not carried yet
        repaid = _line(later, people[6], prog, SEM, 1_500_00, "paid", carried_from_id=failed_paid.id)
        pending = _line(later, people[7], prog, SEM, 1_200_00 + k, "pending", carried_from_id=failed_pending.id)
        failed_paid.carried_to_id, failed_pending.carried_to_id = repaid.id, pending.id
        next_term = _batch(sid, prog, OTHER, OTHER)
        _line(next_term, people[0], prog, OTHER, 2_000_00, "paid")
        for m, month in enumerate(MONTHS):
            batch = _batch(sid, monthly, SEM, month)
            for i in range(3 + m - k):  # students 0..2 paid in every month, later ones in some
                _line(batch, people[i], monthly, month, 200_00 + m, "recovered" if (i, m) == (1, 2) else "paid")
        if key != "B1":  # B1: one period only, but two students
            waived = _batch(sid, free, SEM, SEM)
            for i in range(2 + k):
                _line(waived, people[i], free, SEM, 1_200_00, "waived" if i else "pending", standard_fen=2_400_00)
    db.session.commit()
    return world


def _expected(school_ids, programme_id, semester: Semester) -> dict[int, tuple]:
    """Every line of the programme read in Python: the definition the roll-up must meet."""
    lines = db.session.execute(select(PaymentLine)).scalars().all()
    by_id = {ln.id: ln for ln in lines}
    out = {sid: [0, 0, 0, 0, set()] for sid in school_ids}
    for ln in lines:
        if ln.programme_id != programme_id or ln.school_id not in out:
            continue
        try:
            if parse_period(ln.period).semester != semester:
                continue
        except Exception:
            continue
        f = out[ln.school_id]
        if ln.status in DONE_STATUSES:
            f[0] += ln.amount_fen
            f[4].add(ln.student_id)
        if ln.status == "recovered":
            f[2] += ln.amount_fen
        successor = by_id.get(ln.carried_to_id)
        if ln.status == "failed" and not (successor and successor.status in DONE_STATUSES):
            f[1] += ln.amount_fen
    allocated = defaultdict(int)
    for a in db.session.execute(select(Allocation)).scalars():
        if a.programme_id == programme_id and a.semester == str(semester):
            allocated[a.school_id] += a.amount_fen
    return {sid: (allocated[sid], paid, returned, recovered, len(students))
            for sid, (paid, returned, recovered, students) in ((s, (v[0], v[1], v[2], v[4])) for s, v in out.items())}


def test_settlement_figures_match_every_line(ledgers):
    sids = [ledgers.obj[k].school.id for k in ("A1", "A2", "B1", "Z1")]
    checked = 0
    for prog in (grant(), monthly_grant(), waiver()):
        for sem in (SEM, OTHER):
            semester = Semester.parse(sem)
            got = settlement.figures_for(sids, prog.id, semester)
            want = _expected(sids, prog.id, semester)
            for sid in sids:
                f = got[sid]
                assert (f.allocated_fen, f.paid_fen, f.returned_fen, f.recovered_fen, f.students_aided) == want[sid], \
                    (prog.code, sem, sid)
                assert f.surplus_fen == f.allocated_fen - f.paid_fen + f.recovered_fen
                checked += bool(f.paid_fen)
            # one school alone (the settlement itself) reads the same figures
            alone = settlement.figures_for([sids[1]], prog.id, semester)[sids[1]]
            assert vars(alone) == vars(got[sids[1]])
    assert checked >= 7  # the fixture pays in most combinations
    monthly = settlement.figures_for(sids, monthly_grant().id, Semester.parse(SEM))
    assert monthly[sids[0]].students_aided == 5  # paid in several months, counted once
    card = settlement.figures_for(sids, grant().id, Semester.parse(SEM))[sids[0]]
    assert card.returned_fen == 1_200_00 + 999_99  # the pending carry and the failure not carried


def test_settlement_page_shows_the_live_figures(ledgers, client, auth):
    from aid.core.money import format_fen

    prog = grant()
    auth.login("p_admin")
    page = client.get(f"/funds/settlements?programme_id={prog.id}&semester={SEM}").get_data(as_text=True)
    sids = [ledgers.obj[k].school.id for k in ("A1", "A2", "B1")]
    want = _expected(sids, prog.id, Semester.parse(SEM))
    for sid in sids:
        allocated, paid, returned, recovered, _aided = want[sid]
        assert format_fen(paid) in page and format_fen(allocated - paid + recovered) in page
    total_paid = sum(w[1] for w in want.values())
    assert format_fen(total_paid) in page  # the province's total row


def test_waiver_summary_per_school_adds_up(ledgers, client, auth, monkeypatch):
    from aid.core.money import format_fen
    from aid.funds import views

    free = waiver()
    lines = [ln for ln in db.session.execute(select(PaymentLine).where(PaymentLine.programme_id == free.id))
             .scalars() if ln.period == SEM and ln.status != "cancelled"]
    per_school = defaultdict(lambda: [0, 0])
    for ln in lines:
        per_school[ln.school_id][0] += 1
        per_school[ln.school_id][1] += ln.amount_fen if ln.status == "waived" else 0
    monkeypatch.setattr(views, "WAIVER_ROWS_UP_TO_SCHOOLS", 0)
    auth.login("p_admin")
    summary = client.get(f"/funds/waivers?semester={SEM}").get_data(as_text=True)
    count, total = sum(n for n, _ in per_school.values()), sum(f for _, f in per_school.values())
    assert f"共 {count} 条；已减免合计 {format_fen(total)} 元" in summary
    for key in ("A1", "A2"):
        sid = ledgers.obj[key].school.id
        n, fen = per_school[sid]
        assert f'<td class="num">{n}</td><td class="num">{format_fen(fen)}</td>' in summary
        one = client.get(f"/funds/waivers?semester={SEM}&school_id={sid}").get_data(as_text=True)
        assert f"共 {n} 条；已减免合计 {format_fen(fen)} 元" in one
    assert ledgers.obj["B1"].school.name not in summary.split("<table")[1]  # no waiver lines: no row


# --- recovery -------------------------------------------------------------------------------

def _change(student, kind, day, school_id=None):
    db.session.add(StatusChange(school_id=school_id or student.school_id, student_id=student.id, kind=kind,
                                happened_on=day, reason="测试", state="approved",
                                completed_at=datetime(day.year, day.month, day.day, 12)))


@pytest.fixture
def held(world):
    """Paid lines in three schools and two periods (a semester and a month) for students held in
    every way holds_for knows: register status, suspension before or after the period start,
    resumed, withdrawn, transferred (held only at the school they left), plus unheld students."""
    prog, monthly = grant(), monthly_grant()
    for key in ("A1", "A2", "B1"):
        objs = world.obj[key]
        people = _students(objs, 8, f"{key}追回")
        sem_batch = _batch(objs.school.id, prog, SEM, SEM)
        month_batch = _batch(objs.school.id, monthly, SEM, "2025-10")
        for p in people:
            _line(sem_batch, p, prog, SEM, 1_000_00, "paid")
            _line(month_batch, p, monthly, "2025-10", 200_00, "paid")
        people[0].status = "退学"  # no change record: held by the register status
        people[1].status = "休学"
        _change(people[2], "suspend", date(2025, 8, 20))  # held in both periods
        _change(people[3], "suspend", date(2025, 9, 15))  # held from October only
        _change(people[4], "suspend", date(2025, 8, 1))
        _change(people[4], "resume", date(2025, 8, 25))  # resumed before both: not held
        _change(people[5], "withdraw", date(2025, 9, 1))
        _change(people[6], "transfer", date(2025, 8, 30))  # left this school: held here
        _change(people[7], "transfer", date(2025, 8, 30), school_id=world.obj["Z1"].school.id)  # held elsewhere
        _line(sem_batch, people[0], monthly, "2025-11", 200_00, "recovered")  # already recovered: not listed
    db.session.commit()
    return world


def _reference(user) -> list[tuple[int, str]]:
    """recovery_lines() over every paid line in the user's jurisdiction."""
    from aid.scoping import scope

    lines = db.session.execute(scope(select(PaymentLine).where(PaymentLine.status == "paid"), PaymentLine, user)
                               ).scalars().all()
    return [(ln.id, reason) for ln, reason in service.recovery_lines(lines)]


@pytest.mark.parametrize("role", ["province_admin", "bureau_officer", "school_officer"])
def test_recovery_pages_match_every_paid_line(held, role):
    user = held.user(role)
    want = _reference(user)
    assert len(want) >= (6 if role == "school_officer" else 12)
    for size in (1, 4, 50):
        got, page = [], 1
        while True:
            rows, more = service.recovery_page(user, page, size)
            got += [(ln.id, reason) for ln, reason in rows]
            assert len(rows) <= size and more == (len(want) > page * size)
            if not more:
                break
            page += 1
        assert got == want, (role, size)
    assert service.recovery_page(user, len(want) + 1, 1) == ([], False)  # past the end
    assert [(ln.id, r) for ln, r in service.recovery_list(user, limit=3)] == want[:3]


@pytest.mark.parametrize("per_pass", [1, 2])
def test_recovery_pages_across_passes_of_schools(held, monkeypatch, per_pass):
    """A jurisdiction is read a few schools a pass: pages that straddle passes keep the order."""
    monkeypatch.setattr(service, "RECOVERY_SCHOOLS_PER_PASS", per_pass)
    user = held.user("province_admin")
    want = _reference(user)
    schools = set(db.session.scalars(select(PaymentLine.school_id).where(PaymentLine.id.in_([i for i, _ in want]))))
    assert len(schools) >= 3  # three schools: two passes or more
    for size in (3, 50):
        got, page, more = [], 1, True
        while more:
            rows, more = service.recovery_page(user, page, size)
            got += [(ln.id, reason) for ln, reason in rows]
            page += 1
        assert got == want, size


def test_recovery_reasons_and_periods(held):
    names = {(ln.student.name, ln.period): reason for ln, reason in service.recovery_list(held.user("school_officer"))}
    assert names[("A1追回0", SEM)] == "学籍状态为退学，暂停发放"
    assert ("A1追回3", SEM) not in names and "休学" in names[("A1追回3", "2025-10")]
    assert not any(name in ("A1追回4", "A1追回7") for name, _period in names)
    assert "转学" in names[("A1追回6", SEM)]


def test_recovery_page_lists_the_first_rows(held, client, auth):
    auth.login("a1_officer")
    page = client.get("/funds/recovery").get_data(as_text=True)
    assert "A1追回0" in page and "登记追回" in page and "A2追回0" not in page
    auth.logout()
    auth.login("p_admin")
    page = client.get("/funds/recovery").get_data(as_text=True)
    assert "A1追回0" in page and "B1追回0" in page


def test_correlated_hold_candidates_agree_with_the_changes_area(held):
    """The officer's recovery list checks candidates per line (can_be_held); the others
    start from aid.changes.holds.hold_candidates_select(): both pick the same lines."""
    paid = select(PaymentLine.id)
    correlated = set(db.session.execute(paid.where(can_be_held(PaymentLine.student_id))).scalars())
    listed = set(db.session.execute(paid.where(PaymentLine.student_id.in_(hold_candidates_select()))).scalars())
    everyone = set(db.session.execute(paid).scalars())
    assert correlated == listed and 0 < len(listed) < len(everyone)
