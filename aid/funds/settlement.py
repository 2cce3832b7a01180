"""Semester settlement (学期结算) per school and programme, and its roll-up per bureau
and province.

    allocated − paid + recovered = surplus (结余)

`paid` is every line that reached a card (or was waived) for a period of the
semester, including carried lines paid in a later batch; `returned` (bank
failures not yet re-paid) and `recovered` money are part of the surplus, which
needs a handling note when it is not zero.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.exc import IntegrityError

from aid.audit.service import record
from aid.core.money import format_fen
from aid.extensions import db
from aid.funds.models import DONE_STATUSES, Allocation, PaymentBatch, PaymentLine, PaymentLineTally, Settlement
from aid.funds.periods import semester_months
from aid.funds.service import FundsError, parse_semester, programme_for_school
from aid.org.models import Authority, School
from aid.funds.ledger import document_html
from aid.printing.service import html_to_pdf, store_document
from aid.programmes.semesters import Semester
from aid.scoping import in_jurisdiction
from aid.students.models import StudentTally
from aid.timeutil import utcnow


def period_keys(semester: Semester) -> list[str]:
    return [str(semester)] + [f"{m:%Y-%m}" for m in semester_months(semester)]


@dataclass
class Figures:
    allocated_fen: int = 0
    paid_fen: int = 0
    returned_fen: int = 0
    recovered_fen: int = 0
    students_registered: int = 0
    students_aided: int = 0

    @property
    def surplus_fen(self) -> int:
        return self.allocated_fen - self.paid_fen + self.recovered_fen

    def add(self, other: Figures) -> None:
        self.allocated_fen += other.allocated_fen
        self.paid_fen += other.paid_fen
        self.returned_fen += other.returned_fen
        self.recovered_fen += other.recovered_fen
        self.students_registered += other.students_registered
        self.students_aided += other.students_aided


def figures_for(school_ids: list[int], programme_id: int, semester: Semester) -> dict[int, Figures]:
    """Live figures per school, exact to the fen: paid, recovered and lines per period from the
    payment line tallies that database triggers keep (migration 0019; a province's ≈ 58,000 lines
    a semester are a few thousand tally rows); students aided, bank returns not re-paid and the
    registered students as below."""
    result = {sid: Figures() for sid in school_ids}
    if not school_ids:
        return result
    keys = period_keys(semester)
    for sid, total in db.session.execute(
            select(Allocation.school_id, func.sum(Allocation.amount_fen))
            .where(Allocation.school_id.in_(school_ids), Allocation.programme_id == programme_id,
                   Allocation.semester == str(semester)).group_by(Allocation.school_id)):
        result[sid].allocated_fen = int(total or 0)
    line_filter = and_(PaymentLine.programme_id == programme_id, PaymentLine.period.in_(keys),
                       PaymentLine.school_id.in_(school_ids))
    done_lines: dict[int, int] = defaultdict(int)
    done_periods: dict[int, set[str]] = defaultdict(set)
    # sums and counts per period, school and status from the trigger-kept tallies (migration 0019)
    T = PaymentLineTally
    lines = func.sum(T.n)
    for period, sid, status, total, n in db.session.execute(
            select(T.period, T.school_id, T.status, func.sum(T.amount_fen), lines)
            .where(T.programme_id == programme_id, T.period.in_(keys), T.school_id.in_(school_ids))
            .group_by(T.period, T.school_id, T.status).having(lines != 0)):
        f = result[sid]
        if status in DONE_STATUSES:
            f.paid_fen += int(total or 0)
            done_lines[sid] += int(n)
            done_periods[sid].add(period)
        if status == "recovered":
            f.recovered_fen += int(total or 0)
    # students aided: a done line holds the (student, programme, period) key of the unique index
    # uq_payment_lines_once, so with done lines in one period their count is the count of
    # students; a school paid in several periods (monthly programmes) is counted distinct
    several = sorted(sid for sid, periods in done_periods.items() if len(periods) > 1)
    for sid, n in done_lines.items():
        if sid not in done_periods or len(done_periods[sid]) == 1:
            result[sid].students_aided = n
    if several:
        for sid, students in db.session.execute(
                select(PaymentLine.school_id, func.count(func.distinct(PaymentLine.student_id)))
                .where(PaymentLine.programme_id == programme_id, PaymentLine.period.in_(keys),
                       PaymentLine.school_id.in_(several), PaymentLine.status.in_(DONE_STATUSES))
                .group_by(PaymentLine.school_id)):
            result[sid].students_aided = int(students)
    # returned: failed lines whose carried successor was not paid; the equality on status lets
    # the index be sought per (period, school) instead of read through
    successor = PaymentLine.__table__.alias("successor")
    for _period, sid, total in db.session.execute(
            select(PaymentLine.period, PaymentLine.school_id, func.sum(PaymentLine.amount_fen)).where(
                line_filter, PaymentLine.status == "failed",
                ~exists().where(successor.c.id == PaymentLine.carried_to_id,
                                successor.c.status.in_(DONE_STATUSES)))
            .group_by(PaymentLine.period, PaymentLine.school_id)):
        result[sid].returned_fen += int(total or 0)
    registered = select(StudentTally.school_id, func.sum(StudentTally.n)).where(
        StudentTally.school_id.in_(school_ids), StudentTally.study_mode == "full_time", StudentTally.status == "在籍")
    for sid, count in db.session.execute(registered.group_by(StudentTally.school_id)):
        result[sid].students_registered = int(count)
    return result


def open_batches(school_id: int, programme_id: int, semester: Semester) -> list[PaymentBatch]:
    """Batches of the semester still in preparation, or locked with payments the bank
    has not yet answered (including carried lines of this semester in later batches)."""
    keys = period_keys(semester)
    pending = exists().where(PaymentLine.batch_id == PaymentBatch.id, PaymentLine.status == "pending",
                             PaymentLine.period.in_(keys))
    return list(db.session.execute(
        select(PaymentBatch).where(
            PaymentBatch.school_id == school_id, PaymentBatch.programme_id == programme_id,
            or_(and_(PaymentBatch.semester == str(semester), PaymentBatch.state.in_(("draft", "reviewed"))),
                and_(PaymentBatch.state.in_(("draft", "reviewed", "locked")), pending)))
        .order_by(PaymentBatch.id)).scalars())


def settle(user, *, school_id: int, programme_id, semester: str, note: str) -> Settlement:
    if user.role not in ("school_officer", "school_leader"):
        raise FundsError("学期结算由学校办理")
    if not in_jurisdiction(school_id, user):
        raise FundsError("该学校不在您的管辖范围内")
    programme = programme_for_school(programme_id, school_id)
    sem = parse_semester(semester)
    existing = db.session.execute(select(Settlement.id).where(
        Settlement.school_id == school_id, Settlement.programme_id == programme.id,
        Settlement.semester == str(sem))).scalar()
    if existing:
        raise FundsError(f"{programme.name}{sem.label}已经结算，不能重复结算")
    still_open = open_batches(school_id, programme.id, sem)
    if still_open:
        names = "、".join(f"第{b.id}号（{b.state_label}）" for b in still_open[:5])
        raise FundsError(f"还有未完成的发放批次：{names}。请锁定批次并导入银行回盘（或作废草稿批次）后再结算")
    f = figures_for([school_id], programme.id, sem)[school_id]
    if f.allocated_fen == 0 and f.paid_fen == 0:
        raise FundsError(f"{programme.name}{sem.label}既无资金下达也无发放记录，无需结算")
    note = (note or "").strip()
    if len(note) > 2000:
        raise FundsError("结余处理说明不能超过2000字")
    if f.surplus_fen != 0 and not note:
        raise FundsError(f"结余为 {format_fen(f.surplus_fen)} 元，请填写结余处理说明（如结转下学期、退回财政）")
    settlement = Settlement(school_id=school_id, programme_id=programme.id, semester=str(sem),
                            allocated_fen=f.allocated_fen, paid_fen=f.paid_fen, returned_fen=f.returned_fen,
                            recovered_fen=f.recovered_fen, surplus_fen=f.surplus_fen,
                            students_registered=f.students_registered, students_aided=f.students_aided,
                            note=note, settled_by=user.id, settled_at=utcnow())
    db.session.add(settlement)
    try:
        db.session.flush()
    except IntegrityError:
        raise FundsError(f"{programme.name}{sem.label}刚刚已由他人结算，不能重复结算") from None
    school = db.session.get(School, school_id)
    pdf = html_to_pdf(document_html("funds/settlement_pdf.html", s=settlement, school=school, programme=programme, semester=sem,
                                    settler=user))
    doc = store_document(pdf, kind="settlement_statement", title=f"{school.name}{programme.name}{sem.label}结算表",
                         school_id=school_id, object_type="fund_settlements", object_id=settlement.id,
                         created_by=user.id)
    settlement.document_id = doc.id
    record("funds.settle", settlement, user=user, after=settlement.audit_view(),
           summary=f"学期结算：{programme.name}{sem.label}，结余{format_fen(f.surplus_fen)}元")
    return settlement


@dataclass
class RollupGroup:
    authority: Authority
    rows: list[tuple[School, Figures, Settlement | None]] = field(default_factory=list)
    totals: Figures = field(default_factory=Figures)


def rollup(schools: list[School], programme_id: int, semester: Semester) -> tuple[list[RollupGroup], Figures]:
    """Per school, grouped by supervising authority, with authority and overall totals."""
    figures = figures_for([s.id for s in schools], programme_id, semester)
    settled = {s.school_id: s for s in db.session.execute(select(Settlement).where(
        Settlement.school_id.in_([s.id for s in schools] or [-1]), Settlement.programme_id == programme_id,
        Settlement.semester == str(semester))).scalars()}
    groups: dict[int, RollupGroup] = {}
    overall = Figures()
    for school in sorted(schools, key=lambda s: (s.authority_id, s.code)):
        group = groups.get(school.authority_id)
        if group is None:
            group = groups[school.authority_id] = RollupGroup(school.authority)
        f = figures[school.id]
        group.rows.append((school, f, settled.get(school.id)))
        group.totals.add(f)
        overall.add(f)
    return list(groups.values()), overall


def allocation_totals(schools: list[School], semester: str | None) -> tuple[list[tuple], dict, int]:
    """[(authority, [(school, {source: fen}, total)], authority_total)], by-source overall, overall."""
    ids = [s.id for s in schools] or [-1]
    stmt = select(Allocation.school_id, Allocation.source, func.sum(Allocation.amount_fen)).where(
        Allocation.school_id.in_(ids))
    if semester:
        stmt = stmt.where(Allocation.semester == semester)
    sums: dict[int, dict[str, int]] = defaultdict(dict)
    for sid, source, total in db.session.execute(stmt.group_by(Allocation.school_id, Allocation.source)):
        sums[sid][source] = int(total or 0)
    by_authority: dict[int, list] = {}
    by_source: dict[str, int] = defaultdict(int)
    overall = 0
    for school in sorted(schools, key=lambda s: (s.authority_id, s.code)):
        row = sums.get(school.id, {})
        total = sum(row.values())
        by_authority.setdefault(school.authority_id, [school.authority, [], 0])
        entry = by_authority[school.authority_id]
        entry[1].append((school, row, total))
        entry[2] += total
        for k, v in row.items():
            by_source[k] += v
        overall += total
    return [tuple(v) for v in by_authority.values()], dict(by_source), overall
