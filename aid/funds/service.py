"""Funds rules as plain functions: allocations, building, reviewing, locking and
discarding payment batches, student receipts and recovery. Bank files are in
aid.funds.bank, settlement in aid.funds.settlement, the ledger in aid.funds.ledger.

Every function works in the caller's transaction and raises FundsError (a
Chinese message) before writing anything it would have to undo; the caller
rolls back on any exception.
"""
from __future__ import annotations

import inspect
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload
from sqlalchemy.exc import IntegrityError, OperationalError

from aid.applications.models import Application
from aid.audit.service import client_ip, record
from aid.changes.holds import can_be_held, holds_for
from aid.core.errors import InvalidValue
from aid.core.identity import validate_bank_card, validate_social_security_card
from aid.core.money import format_fen, parse_yuan
from aid.core.protected import open_sealed, seal
from aid.extensions import db
from aid.funds.models import (FREE_STATUSES, FUND_SOURCES, Allocation, BatchExclusion, PaymentBatch,
                              PaymentLine)
from aid.funds.periods import parse_period
from aid.funds.workflow import BATCH_WORKFLOW
from aid.org.models import School
from aid.programmes.models import Programme, ProgrammeVersion
from aid.programmes.eligibility import monthly_instalments
from aid.programmes.semesters import Semester
from aid.scoping import in_jurisdiction
from aid.students.models import Major, SchoolClass, Student
from aid.timeutil import local_today, utcnow
from aid.workflow import TransitionError, WorkflowStep, apply_transition, check_transition

PAYABLE_APPLICATION_STATES = ("bureau_approved", "disbursed")
CARD_KINDS = {"aid_card": "中职学生资助卡", "social_security": "社会保障卡"}
MAX_NOTE = 500


class FundsError(Exception):
    """A refused funds operation; str() is a Chinese message for the user."""


def student_holds(student_ids: list[int], on_date: date, school_id: int) -> dict[int, str]:
    """holds_for() for payments by `school_id`: the status-change area's version takes the
    paying school (a transfer holds payments by the school the student left); the
    register-status version of the aid contract does not."""
    if "school_id" in inspect.signature(holds_for).parameters:
        return holds_for(student_ids, on_date, school_id=school_id)
    return holds_for(student_ids, on_date)


# --- allocations --------------------------------------------------------------------

def parse_semester(text: str) -> Semester:
    try:
        return Semester.parse(text)
    except ValueError:
        raise FundsError("学期格式不正确，应如 2025-autumn（秋季）或 2026-spring（春季）") from None


def programme_for_school(programme_id, school_id: int) -> Programme:
    programme = db.session.get(Programme, int(programme_id)) if str(programme_id).isdigit() else None
    if programme is None or (programme.school_id is not None and programme.school_id != school_id):
        raise FundsError("资助项目不存在或不适用于该学校")
    return programme


def add_allocation(user, *, school_id: int, programme_id, semester: str, source: str, doc_number: str,
                   doc_date: date | None, amount: object, note: str = "") -> Allocation:
    """资金下达: the province admin, or a bureau for the schools it supervises."""
    if user.role not in ("province_admin", "bureau_officer"):
        raise FundsError("只有省级管理员或人社部门可以录入资金下达")
    if not in_jurisdiction(school_id, user):
        raise FundsError("该学校不在您的管辖范围内")
    programme = programme_for_school(programme_id, school_id)
    sem = parse_semester(semester)
    if source not in FUND_SOURCES:
        raise FundsError("资金来源应为中央、省级、市级或县级")
    doc_number = (doc_number or "").strip()
    if not doc_number:
        raise FundsError("请填写资金下达文号")
    if len(doc_number) > 100:
        raise FundsError("文号不能超过100字")
    if doc_date is None:
        raise FundsError("请填写下达日期")
    if doc_date > local_today():
        raise FundsError("下达日期不能晚于今天")
    try:
        fen = parse_yuan(amount)
    except InvalidValue as exc:
        raise FundsError(exc.message) from None
    if fen == 0:
        raise FundsError("下达金额必须大于零")
    note = (note or "").strip()
    if len(note) > MAX_NOTE:
        raise FundsError("备注不能超过500字")
    alloc = Allocation(school_id=school_id, programme_id=programme.id, semester=str(sem), source=source,
                       doc_number=doc_number, doc_date=doc_date, amount_fen=fen, note=note, created_by=user.id)
    db.session.add(alloc)
    db.session.flush()
    record("funds.allocation_create", alloc, user=user, after=alloc.audit_view(),
           summary=f"资金下达 {doc_number} {format_fen(fen)}元")
    return alloc


# --- batches ------------------------------------------------------------------------

def version_for(programme: Programme, semester: Semester) -> ProgrammeVersion | None:
    versions = db.session.execute(
        select(ProgrammeVersion).where(ProgrammeVersion.programme_id == programme.id)
        .order_by(ProgrammeVersion.valid_from_ordinal)).scalars().all()
    found = None
    for v in versions:
        try:
            start = Semester.parse(v.valid_from)
            end = Semester.parse(v.valid_to) if v.valid_to else None
        except ValueError:
            continue
        if start <= semester and (end is None or semester <= end):
            found = v
    return found


def schedule_for(programme: Programme, semester: Semester) -> str:
    if not programme.paid_to_card:
        return "semester"
    version = version_for(programme, semester)
    if version is None:
        raise FundsError(f"{programme.name}在{semester.label}没有有效的政策版本，不能发放")
    return version.payment_schedule or "semester"


def tuition_standard(school: School, major: Major | None) -> int:
    """The waiver's standard per year: the major's own, or for a private school the
    standard of a public school's same major."""
    if major is None:
        return 0
    if school.ownership == "private":
        return major.public_tuition_fen_per_year or 0
    return major.tuition_fen_per_year or 0


def semester_share(annual_fen: int, semester: Semester) -> int:
    """Half the annual amount; the odd fen goes to autumn (as aid.programmes.eligibility)."""
    half = annual_fen // 2
    return annual_fen - half if semester.term == "autumn" else half


def card_problem(student: Student) -> str | None:
    """Why the student's card cannot be paid to, or None. Re-validated from the
    decrypted number at build time: a card stored before a validator fix is caught."""
    if not student.aid_card_enc or student.aid_card_kind not in CARD_KINDS:
        return "未登记中职学生资助卡或社会保障卡"
    number = open_sealed(student.aid_card_enc)
    try:
        if student.aid_card_kind == "aid_card":
            validate_bank_card(number, "资助卡号")
        else:
            validate_social_security_card(number)
    except InvalidValue as exc:
        return f"{CARD_KINDS[student.aid_card_kind]}号码无效：{exc.message}"
    return None


def enrolment_problem(student: Student, school_id: int) -> str | None:
    if student.school_id != school_id:
        return "已不在本校学籍（已转出）"
    if student.study_mode != "full_time":
        return "非全日制学生不能纳入资助发放"
    if student.status != "在籍":
        return f"学籍状态为“{student.status}”，已不在籍"
    return None


@dataclass
class _Candidate:
    student: Student
    amount_fen: int
    period: str
    level: str = ""
    standard_fen: int = 0
    application_id: int | None = None
    carried: PaymentLine | None = None


def _already_paid(student_ids: list[int], programme_id: int, period_key: str) -> dict[int, int]:
    """{student_id: batch_id} of lines holding the (student, programme, period) key."""
    found: dict[int, int] = {}
    for i in range(0, len(student_ids), 900):
        rows = db.session.execute(
            select(PaymentLine.student_id, PaymentLine.batch_id).where(
                PaymentLine.student_id.in_(student_ids[i:i + 900]), PaymentLine.programme_id == programme_id,
                PaymentLine.period == period_key, PaymentLine.status.not_in(FREE_STATUSES))).all()
        found.update(dict(rows))
    return found


def _carry_candidates(school_id: int, programme_id: int) -> list[PaymentLine]:
    return list(db.session.execute(
        select(PaymentLine).join(PaymentBatch, PaymentBatch.id == PaymentLine.batch_id).where(
            PaymentLine.school_id == school_id, PaymentLine.programme_id == programme_id,
            PaymentLine.status == "failed", PaymentLine.carried_to_id.is_(None),
            PaymentBatch.state.in_(("locked", "returned"))).order_by(PaymentLine.id)).scalars())


def build_batch(user, *, school_id: int, programme_id, period_text: str, note: str = "",
                today: date | None = None) -> PaymentBatch:
    """Build a batch from the bureau-approved applications of the period, plus the
    lines the bank returned earlier (carried over); every student left out is
    recorded with the reason."""
    if user.role != "school_officer":
        raise FundsError("发放批次由学校资助经办人员编制")
    if not in_jurisdiction(school_id, user):
        raise FundsError("该学校不在您的管辖范围内")
    school = db.session.get(School, school_id)
    programme = programme_for_school(programme_id, school_id)
    try:
        period = parse_period(period_text)
    except InvalidValue as exc:
        raise FundsError(exc.message) from None
    schedule = schedule_for(programme, period.semester)
    if schedule == "monthly" and period.month is None:
        raise FundsError(f"{programme.name}在{period.semester.label}按月发放，请选择发放月份（如 {period.semester.year}-10）")
    if schedule == "semester" and period.month is not None:
        raise FundsError(f"{programme.name}在{period.semester.label}按学期发放，请填写学期（如 {period.semester}）")
    note = (note or "").strip()
    if len(note) > MAX_NOTE:
        raise FundsError("备注不能超过500字")
    today = today or local_today()

    # a disbursed application is paid; only the later months of a monthly programme remain due
    states = PAYABLE_APPLICATION_STATES if period.month is not None else ("bureau_approved",)
    apps = db.session.execute(
        select(Application).where(Application.school_id == school_id, Application.programme_id == programme.id,
                                  Application.semester == str(period.semester), Application.state.in_(states))
        .order_by(Application.id)).scalars().all()
    carried = _carry_candidates(school_id, programme.id)
    carried_keys = {(c.student_id, c.period) for c in carried}
    students = _load_students({a.student_id for a in apps} | {c.student_id for c in carried})

    candidates: list[_Candidate] = []
    for line in carried:
        candidates.append(_Candidate(students[line.student_id], line.amount_fen, line.period, line.level,
                                     line.standard_fen, line.application_id, carried=line))
    for app in apps:
        if (app.student_id, period.key) in carried_keys:
            continue  # the carried line pays this period
        student = students[app.student_id]
        standard = 0
        if programme.paid_to_card:
            amount = app.amount_fen
            if period.month is not None:
                amount = monthly_instalments(app.amount_fen)[period.instalment_index]
        else:
            major = student.school_class.major if student.school_class else None
            standard = tuition_standard(school, major)
            amount = semester_share(standard, period.semester)
        candidates.append(_Candidate(student, amount, period.key, app.level, standard, app.id))

    paid = _already_paid([c.student.id for c in candidates if not c.carried], programme.id, period.key)
    hold_date = max(period.start_date, today)
    holds = student_holds(sorted({c.student.id for c in candidates}), hold_date, school_id)

    lines: list[_Candidate] = []
    excluded: list[tuple[_Candidate, str, str]] = []
    for c in candidates:
        if not c.carried and c.student.id in paid:
            excluded.append((c, "already_paid", f"本期已在第{paid[c.student.id]}号批次中发放"))
        elif c.student.id in holds:
            excluded.append((c, "hold", holds[c.student.id]))
        elif (problem := enrolment_problem(c.student, school_id)):
            excluded.append((c, "enrolment", problem))
        elif programme.paid_to_card and (problem := card_problem(c.student)):
            excluded.append((c, "card", problem))
        elif c.amount_fen <= 0:
            excluded.append((c, "amount", "应发金额为零（请核对专业学费标准或申请金额）"))
        else:
            lines.append(c)
    if programme.paid_to_card:  # one card registered for several students: pay none of them until checked
        owners: dict[str, set[int]] = {}
        for c in lines:
            owners.setdefault(c.student.aid_card_hash, set()).add(c.student.id)
        shared = {h for h, ids in owners.items() if len(ids) > 1}
        excluded.extend((c, "card", "与其他学生登记的卡号相同，请核实后再发放") for c in lines
                        if c.student.aid_card_hash in shared)
        lines = [c for c in lines if c.student.aid_card_hash not in shared]

    if not lines:
        if not excluded:
            raise FundsError(f"{period.label}没有人社部门已审批的{programme.name}申请，无法生成发放批次")
        counts: dict[str, int] = {}
        for _c, code, reason in excluded:
            if code != "already_paid":
                counts[reason] = counts.get(reason, 0) + 1
        detail = "；".join(f"{r}（{n}人）" for r, n in counts.items())
        if any(code == "already_paid" for _c, code, _r in excluded):
            raise FundsError(f"{school.name}{programme.name}{period.label}已经发放，不能重复生成发放批次"
                             + (f"。其余未发放的学生：{detail}" if detail else ""))
        raise FundsError(f"没有可发放的学生：{detail}")

    # a batch for a period that already has a locked one supplements or corrects it
    corrects = db.session.execute(
        select(PaymentBatch.id).where(PaymentBatch.school_id == school_id, PaymentBatch.programme_id == programme.id,
                                      PaymentBatch.period == period.key,
                                      PaymentBatch.state.in_(("locked", "returned")))
        .order_by(PaymentBatch.id.desc()).limit(1)).scalar()
    batch = PaymentBatch(school_id=school_id, programme_id=programme.id, semester=str(period.semester),
                         period=period.key, state="draft", note=note, created_by=user.id, corrects_batch_id=corrects)
    db.session.add(batch)
    try:
        db.session.flush()
        lines.sort(key=lambda c: (_class_name(c.student), c.student.name_sort or c.student.name, c.period))
        made: list[tuple[PaymentLine, PaymentLine | None]] = []
        for serial, c in enumerate(lines, start=1):
            line = PaymentLine(batch_id=batch.id, school_id=school_id, student_id=c.student.id,
                               programme_id=programme.id, application_id=c.application_id, period=c.period,
                               serial=serial, level=c.level, amount_fen=c.amount_fen, standard_fen=c.standard_fen,
                               status="pending")
            if programme.paid_to_card:
                number = open_sealed(c.student.aid_card_enc)
                line.card_enc, line.card_hash = seal(number)
                line.card_masked, line.card_kind = c.student.aid_card_masked, c.student.aid_card_kind
            db.session.add(line)
            made.append((line, c.carried))
        for c, code, reason in excluded:
            if code == "already_paid":
                continue  # paid in an earlier batch of the period: not news on this one
            db.session.add(BatchExclusion(batch_id=batch.id, school_id=school_id, student_id=c.student.id,
                                          application_id=c.application_id,
                                          carried_line_id=c.carried.id if c.carried else None,
                                          period=c.period, code=code, reason=reason[:300]))
        db.session.flush()  # the unique index on payment lines decides here
        for line, source in made:
            if source is not None:
                line.carried_from_id = source.id
                source.carried_to_id = line.id
        batch.line_count = len(made)
        batch.total_fen = sum(line.amount_fen for line, _s in made)
        db.session.add(WorkflowStep(workflow=BATCH_WORKFLOW.name, object_id=batch.id, action="build",
                                    from_state="", to_state="draft", user_id=user.id, role=user.role,
                                    ip=client_ip(), reason=note))
        db.session.flush()
    except IntegrityError:
        raise FundsError("部分学生本期的发放记录刚刚已由另一个批次生成（可能在另一个窗口或由其他人同时操作）。"
                         "为避免重复发放，本次没有生成任何记录，请刷新后查看已有批次。") from None
    except OperationalError as exc:
        if "locked" not in str(exc).lower():
            raise
        raise FundsError("另一个发放批次正在生成，请稍后刷新查看，不要重复提交") from None
    record("funds.batch_build", batch, user=user, after=batch.audit_view(),
           summary=f"生成发放批次：{programme.name}{period.label}，{batch.line_count}人，排除{len(excluded)}人")
    return batch


def _load_students(ids: set[int]) -> dict[int, Student]:
    result: dict[int, Student] = {}
    ordered = sorted(ids)
    for i in range(0, len(ordered), 900):
        rows = db.session.execute(select(Student).where(Student.id.in_(ordered[i:i + 900]))).scalars()
        result.update({s.id: s for s in rows})
    # classes and majors in two queries rather than per student
    class_ids = {s.class_id for s in result.values() if s.class_id}
    if class_ids:
        db.session.execute(select(SchoolClass).where(SchoolClass.id.in_(class_ids))).scalars().all()
        db.session.execute(select(Major).join(SchoolClass, SchoolClass.major_id == Major.id)
                           .where(SchoolClass.id.in_(class_ids))).scalars().all()
    return result


def _class_name(student: Student) -> str:
    return student.school_class.name if student.school_class else ""


def _ensure_changeable(batch: PaymentBatch) -> None:
    if batch.is_locked:
        raise FundsError("该批次已锁定，不能修改；如需更正，请另行编制更正批次")
    if batch.state == "cancelled":
        raise FundsError("该批次已作废")


def review_batch(user, batch: PaymentBatch, expected_version: int | None = None) -> None:
    _ensure_changeable(batch)
    try:
        apply_transition(BATCH_WORKFLOW, batch, "review", user, expected_version=expected_version)
    except TransitionError as exc:
        raise FundsError(str(exc)) from None
    batch.reviewed_by, batch.reviewed_at = user.id, utcnow()


def discard_batch(user, batch: PaymentBatch, reason: str, expected_version: int | None = None) -> None:
    """A draft batch can be thrown away (its lines free their keys); a locked one never."""
    _ensure_changeable(batch)
    try:
        apply_transition(BATCH_WORKFLOW, batch, "discard", user, reason=reason, expected_version=expected_version)
    except TransitionError as exc:
        raise FundsError(str(exc)) from None
    for line in batch_lines(batch):
        source = db.session.get(PaymentLine, line.carried_from_id) if line.carried_from_id else None
        if source is not None:
            source.carried_to_id = None  # the failure is open again for the next batch
            line.carried_from_id = None
        line.status = "cancelled"


def batch_lines(batch: PaymentBatch) -> list[PaymentLine]:
    return list(db.session.execute(select(PaymentLine).where(PaymentLine.batch_id == batch.id)
                                   .order_by(PaymentLine.serial)).scalars())


def lock_checks(user, batch: PaymentBatch, expected_version: int | None = None) -> None:
    """Everything that would refuse the lock, without writing: checked before the ledger
    is rendered (aid.funds.ledger.lock_and_render) and again by lock_batch()."""
    if batch.state in ("locked", "returned"):
        raise FundsError("该批次已锁定，不能再次锁定或修改")
    if batch.state == "cancelled":
        raise FundsError("该批次已作废，不能锁定")
    if batch.line_count == 0 or not batch_lines(batch):
        raise FundsError("不能锁定没有发放名单的空批次")
    if user.id == batch.created_by:
        raise FundsError("按照“谁采集、谁负责；谁报送、谁负责；谁审核、谁负责”的原则，批次编制人不能锁定本批次")
    changed = changes_since_build(batch)
    if changed:
        raise FundsError("以下学生的情况在批次编制后发生了变化，请作废本批次后重新编制：" + "；".join(changed[:5])
                         + (f"等{len(changed)}人" if len(changed) > 5 else ""))
    try:
        check_transition(BATCH_WORKFLOW, batch, "lock", user, expected_version=expected_version)
    except TransitionError as exc:
        raise FundsError(str(exc)) from None


def lock_batch(user, batch: PaymentBatch, expected_version: int | None = None, locked_at=None) -> None:
    """Lock (school leader, never the officer who built it), in the caller's transaction.

    The web lock goes through aid.funds.ledger.lock_and_render, which renders the ledger
    first and then calls this and stores the ledger in one transaction: a batch is never
    locked without its ledger. `locked_at` is the time printed on that ledger."""
    lock_checks(user, batch, expected_version)
    try:
        apply_transition(BATCH_WORKFLOW, batch, "lock", user, expected_version=expected_version)
    except TransitionError as exc:
        raise FundsError(str(exc)) from None
    batch.locked_by, batch.locked_at = user.id, locked_at or utcnow()
    if not batch.programme.paid_to_card:
        # the waiver is a ledger entry, not a payment: recorded as done at lock
        for line in batch_lines(batch):
            line.status, line.paid_at = "waived", batch.locked_at
            disburse_application(user, line)


def changes_since_build(batch: PaymentBatch, today: date | None = None) -> list[str]:
    """Lines that would no longer be built: a new hold, or an application no longer approved."""
    from aid.applications.workflow import APPLICATION_STATES

    lines = batch_lines(batch)
    problems = []
    start = parse_period(batch.period).start_date
    holds = student_holds(sorted({ln.student_id for ln in lines}), max(start, today or local_today()),
                          batch.school_id)
    app_ids = [ln.application_id for ln in lines if ln.application_id]
    states = dict(db.session.execute(select(Application.id, Application.state)
                                     .where(Application.id.in_(app_ids or [-1]))).all())
    for line in lines:
        if line.student_id in holds:
            problems.append(f"{line.student.name}：{holds[line.student_id]}")
        elif line.application_id and states.get(line.application_id) not in PAYABLE_APPLICATION_STATES:
            state = states.get(line.application_id, "")
            problems.append(f"{line.student.name}：申请状态已变为“{APPLICATION_STATES.get(state, state)}”")
    return problems


def disburse_application(user, line: PaymentLine) -> None:
    """Mark the application disbursed once money reached the card (or the fee was
    waived): at the bank's confirmation, not at lock, because a returned payment
    has not been disbursed."""
    if line.application_id is None:
        return
    app = db.session.get(Application, line.application_id)
    if app is not None and app.state == "bureau_approved":
        try:
            apply_transition(_application_workflow(), app, "disburse", user)
        except TransitionError as exc:
            raise FundsError(f"{line.student.name}的申请无法标记为已发放：{exc}") from None


def _application_workflow():
    from aid.applications.workflow import APPLICATION_WORKFLOW
    return APPLICATION_WORKFLOW


# --- student receipt ----------------------------------------------------------------

def confirm_receipt(user, line: PaymentLine) -> None:
    if user.role != "student" or line.student_id != user.student_id:
        raise FundsError("只能确认本人的发放记录")
    if line.status != "paid":
        raise FundsError("该笔资金尚未发放成功，不能确认收到")
    if line.confirmed_at is not None:
        raise FundsError("您已确认收到该笔资金")
    line.confirmed_at = utcnow()
    record("funds.receipt_confirm", line, user=user, after={"confirmed": True},
           summary=f"学生确认收到{line.programme.name}{line.period}资金")


# --- recovery -----------------------------------------------------------------------

def recovery_lines(lines: list[PaymentLine]) -> list[tuple[PaymentLine, str]]:
    """Of these paid lines, those for periods after an approved withdrawal or suspension:
    the student was held on the period's first day."""
    groups: dict[tuple[int, str], list[PaymentLine]] = {}
    for line in lines:
        groups.setdefault((line.school_id, line.period), []).append(line)
    result = []
    for (school_id, key), group in groups.items():
        try:
            start = parse_period(key).start_date
        except InvalidValue:
            continue
        holds = student_holds(sorted({ln.student_id for ln in group}), start, school_id)
        result.extend((ln, holds[ln.student_id]) for ln in group if ln.student_id in holds)
    result.sort(key=lambda pair: (pair[0].school_id, pair[0].period, pair[0].id))
    return result


def _held_lines(user):
    """(line id, reason) of every recovery candidate in the user's jurisdiction, in list order
    (school, period, line), produced group by group: a page stops once it has its rows.

    Only students who can be held at all (hold_candidates_select: a few thousand in a province)
    are looked up, their paid lines from the covering index ix_payment_lines_recovery; the
    database sorts them, Python reads them as plain tuples (no ORM rows) and decides holds per
    school and period only for the groups the page reaches."""
    from aid.changes.holds import hold_candidates_select
    from aid.scoping import school_ids

    lines = select(PaymentLine.id, PaymentLine.school_id, PaymentLine.period, PaymentLine.student_id) \
        .where(PaymentLine.status == "paid").order_by(PaymentLine.school_id, PaymentLine.period, PaymentLine.id)
    if user.role in ("school_officer", "school_leader"):
        # one school: its own paid lines, each looked up (two index probes), instead of
        # gathering the province's candidates first (≈ 24 → 5 ms in the bench data)
        yield from _held_in_stream(lines.where(PaymentLine.school_id == (user.school_id or -1),
                                               can_be_held(PaymentLine.student_id)))
        return
    # a jurisdiction: a few schools a pass, in school order, so the first page (≈ 40 held lines a
    # school in the bench data) reads ten schools' candidate lines, not the province's 7,000
    # (PostgreSQL hash-joined all 160,000 paid lines for them: 51 → 6 ms; SQLite 20 → 9 ms); each
    # further pass takes twice as many schools, so a deep page costs a few passes, not fifteen
    schools = sorted(school_ids(user))
    candidates = PaymentLine.student_id.in_(hold_candidates_select())
    start, size = 0, RECOVERY_SCHOOLS_PER_PASS
    while start < len(schools):
        yield from _held_in_stream(lines.where(PaymentLine.school_id.in_(schools[start:start + size]), candidates))
        start, size = start + size, size * 2


RECOVERY_SCHOOLS_PER_PASS = 10  # schools in the first pass


def _held_in_stream(stmt):
    """Holds of an ordered stream of (line id, school, period, student), decided per group."""
    result = db.session.connection().execute(stmt)
    try:
        key, group = None, []
        for row in result:
            if (row[1], row[2]) != key:
                yield from _held_in_group(key, group)
                key, group = (row[1], row[2]), []
            group.append(row)
        yield from _held_in_group(key, group)
    finally:
        result.close()


def _held_in_group(key, rows) -> list[tuple[int, str]]:
    if not rows:
        return []
    school_id, period_key = key
    try:
        start = parse_period(period_key).start_date
    except InvalidValue:
        return []
    holds = student_holds(sorted({r[3] for r in rows}), start, school_id)
    return [(r[0], holds[r[3]]) for r in rows if r[3] in holds]


def _load_recovery_rows(held: list[tuple[int, str]]) -> list[tuple[PaymentLine, str]]:
    lines = {}
    ids = [line_id for line_id, _reason in held]
    for i in range(0, len(ids), 900):
        lines.update((ln.id, ln) for ln in db.session.execute(
            select(PaymentLine).where(PaymentLine.id.in_(ids[i:i + 900])).options(
                selectinload(PaymentLine.student), selectinload(PaymentLine.programme),
                selectinload(PaymentLine.batch).selectinload(PaymentBatch.school))).scalars())
    return [(lines[line_id], reason) for line_id, reason in held]


def recovery_page(user, page: int, size: int) -> tuple[list[tuple[PaymentLine, str]], bool]:
    """One page of recovery candidates (ordered by school, period, line) and whether another
    follows; only the shown lines are loaded, and holds are decided only as far as needed."""
    wanted = page * size + 1
    held: list[tuple[int, str]] = []
    candidates = _held_lines(user)
    try:
        for item in candidates:
            held.append(item)
            if len(held) >= wanted:
                break
    finally:
        candidates.close()
    shown = held[(page - 1) * size:page * size]
    return _load_recovery_rows(shown), len(held) > page * size


def recovery_list(user, limit: int = 1000) -> list[tuple[PaymentLine, str]]:
    """The first `limit` recovery candidates in the user's jurisdiction."""
    rows, _more = recovery_page(user, 1, limit)
    return rows


def mark_recovered(user, line: PaymentLine, note: str) -> None:
    if user.role not in ("school_officer", "school_leader"):
        raise FundsError("追回由学校登记")
    if line.status != "paid":
        raise FundsError("只有已发放成功的款项可以登记追回")
    if not recovery_lines([line]):
        raise FundsError("该笔发放不在应追回清单中（发放期次开始时学生未被暂停发放）")
    note = (note or "").strip()
    if not note:
        raise FundsError("请填写追回说明（如退款凭证号、日期）")
    if len(note) > MAX_NOTE:
        raise FundsError("追回说明不能超过500字")
    line.status, line.recovered_at, line.recovered_by, line.recovery_note = "recovered", utcnow(), user.id, note
    record("funds.recover", line, user=user, before={"status": "paid"},
           after={"status": "recovered", "note": note},
           summary=f"登记追回：{line.student.name} {line.period} {format_fen(line.amount_fen)}元")


def line_counts_by_status(batch: PaymentBatch) -> dict[str, int]:
    rows = db.session.execute(select(PaymentLine.status, func.count()).where(PaymentLine.batch_id == batch.id)
                              .group_by(PaymentLine.status)).all()
    return dict(rows)
