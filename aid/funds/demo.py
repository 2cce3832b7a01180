"""Demo funds for 福州技师学院: allocations, a locked grant batch with its ledger, a bank
return with two failures carried into a second batch, and the semester settlement.
Deterministic: students are taken in id order, levels from ctx.rng."""
from __future__ import annotations

import io
import json
from dataclasses import fields
from datetime import date

from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from aid.applications.models import Application
from aid.core.money import format_fen
from aid.extensions import db
from aid.funds import bank, ledger, service, settlement
from aid.programmes.defaults import NATIONAL_GRANT_2023, NATIONAL_GRANT_2025, TUITION_WAIVER
from aid.programmes.models import Programme, ProgrammeVersion
from aid.programmes.semesters import Semester
from aid.students.models import Student

SCHOOL_CODE = "3501001"
SEMESTER = Semester(2025, "autumn")
LEVELS = (("特别困难", 150000), ("比较困难", 100000), ("一般困难", 50000))  # per semester
APPLICANTS = 24


def rules_json_for(rules) -> str:
    """The stored form of ProgrammeRules (a flat object of its fields: semesters as
    "2025-spring", levels as [{"name", "annual_fen"}], tuples as lists)."""
    data = {}
    for f in fields(rules):
        value = getattr(rules, f.name)
        if f.name in ("valid_from", "valid_to"):
            value = str(value) if value is not None else None
        elif f.name == "levels":
            value = [{"name": lv.name, "annual_fen": lv.annual_fen} for lv in value]
        elif isinstance(value, tuple):
            value = list(value)
        data[f.name] = value
    return json.dumps(data, ensure_ascii=False, sort_keys=True)


def _programme(code: str, kind: str, name: str, versions, paid_to_card: bool = True) -> Programme:
    found = db.session.execute(select(Programme).where(Programme.school_id.is_(None),
                                                       (Programme.code == code) | (Programme.kind == kind))
                               .order_by(Programme.id)).scalars().first()
    if found is not None:
        return found
    programme = Programme(code=code, name=name, kind=kind, paid_to_card=paid_to_card)
    db.session.add(programme)
    db.session.flush()
    for rules in versions:
        db.session.add(ProgrammeVersion(programme_id=programme.id, valid_from=str(rules.valid_from),
                                        valid_to=str(rules.valid_to) if rules.valid_to else None,
                                        valid_from_ordinal=rules.valid_from.ordinal, rules_json=rules_json_for(rules),
                                        payment_schedule="semester", note="演示数据"))
    db.session.flush()
    return programme


def _applications(ctx, school, grant: Programme) -> None:
    """At least APPLICANTS bureau-approved grant applications: the aid demo's drafts are
    moved along the workflow by the right people; without the aid demo they are made."""
    def approved_count() -> int:
        return len(db.session.execute(select(Application.id).where(
            Application.school_id == school.id, Application.programme_id == grant.id,
            Application.semester == str(SEMESTER), Application.state == "bureau_approved")).all())

    missing = APPLICANTS - approved_count()
    if missing <= 0:
        return
    drafts = db.session.execute(select(Application).join(Student, Student.id == Application.student_id).where(
        Application.school_id == school.id, Application.programme_id == grant.id,
        Application.semester == str(SEMESTER), Application.state == "draft")
        .order_by(Student.status != "在籍", Application.id)).scalars().all()
    if drafts:
        _approve(ctx, school, drafts[:missing])
        missing = APPLICANTS - approved_count()
        if missing <= 0:
            return
    version = service.version_for(grant, SEMESTER)
    taken = set(db.session.execute(select(Application.student_id).where(
        Application.programme_id == grant.id, Application.semester == str(SEMESTER))).scalars())
    students = db.session.execute(select(Student).where(Student.school_id == school.id,
                                                        Student.study_mode == "full_time")
                                  .order_by(Student.id)).scalars().all()
    free = [s for s in students if s.id not in taken]
    held = [s for s in free if s.status != "在籍" and s.aid_card_enc][:1]  # shows a hold on the batch
    chosen = [s for s in free if s.status == "在籍"][:max(0, missing - len(held))] + held
    for student in chosen:
        level, amount = ctx.rng.choice(LEVELS)
        db.session.add(Application(school_id=school.id, student_id=student.id, programme_id=grant.id,
                                   programme_version_id=version.id, semester=str(SEMESTER), level=level,
                                   amount_fen=amount, state="bureau_approved", note="演示数据"))
    db.session.flush()


APPROVAL_PATH = (("submit", "officer"), ("review", "officer"), ("approve_school", "leader"),
                 ("post_notice", "officer"), ("end_notice", "officer"), ("approve_bureau", "bureau"))


def _approve(ctx, school, applications) -> None:
    from aid.applications.workflow import APPLICATION_WORKFLOW
    from aid.workflow import apply_transition

    bureau = next(u for u in ctx.users.values()
                  if u.role == "bureau_officer" and u.authority_id == school.authority_id)
    actors = {"officer": ctx.users[f"s{school.code}_officer"], "leader": ctx.users[f"s{school.code}_leader"],
              "bureau": bureau}
    for app in applications:
        for action, actor in APPROVAL_PATH:
            apply_transition(APPLICATION_WORKFLOW, app, action, actors[actor])


def _bank_return(officer, batch, failures: dict[int, str]) -> None:
    """Answer the exported bank file: the given serials fail with the reason, the rest succeed."""
    rows = list(load_workbook(io.BytesIO(bank.export_payment_file(officer, batch))).active.iter_rows(values_only=True))
    wb = Workbook()
    ws = wb.active
    ws.append(list(rows[0]))
    for serial, name, card, amount, *_rest in rows[1:]:
        reason = failures.get(serial)
        ws.append([serial, name, card, amount, "失败" if reason else "成功", reason or ""])
    buf = io.BytesIO()
    wb.save(buf)
    bank.import_bank_return(officer, batch, buf.getvalue())


def demo_step(ctx) -> None:
    school = next((s for s in ctx.schools if s.code == SCHOOL_CODE), None)
    if school is None:
        return
    admin = ctx.users["admin"]
    officer, leader = ctx.users[f"s{SCHOOL_CODE}_officer"], ctx.users[f"s{SCHOOL_CODE}_leader"]
    grant = _programme("national_grant", "national_grant", "国家助学金", (NATIONAL_GRANT_2023, NATIONAL_GRANT_2025))
    _programme("tuition_waiver", "tuition_waiver", "免学费", (TUITION_WAIVER,), paid_to_card=False)
    _applications(ctx, school, grant)

    for s in ctx.schools:  # each school's grant funds: its approved amounts plus about a tenth, in whole thousands
        need = db.session.scalar(select(func.coalesce(func.sum(Application.amount_fen), 0)).where(
            Application.school_id == s.id, Application.programme_id == grant.id,
            Application.semester == str(SEMESTER), Application.state == "bureau_approved"))
        total_yuan = max(10000, -(-int(need) * 11 // 10 // 100000) * 1000)
        central = total_yuan * 3 // 4 // 1000 * 1000
        service.add_allocation(admin, school_id=s.id, programme_id=grant.id, semester=str(SEMESTER), source="central",
                               doc_number="财教〔2025〕88号", doc_date=date(2025, 8, 20), amount=str(central))
        service.add_allocation(admin, school_id=s.id, programme_id=grant.id, semester=str(SEMESTER),
                               source="province", doc_number="闽财教〔2025〕41号", doc_date=date(2025, 9, 5),
                               amount=str(total_yuan - central))

    first = service.build_batch(officer, school_id=school.id, programme_id=grant.id, period_text=str(SEMESTER),
                                note="2025年秋季学期国家助学金")
    service.lock_batch(leader, first)
    ledger.render_and_store(first.id, leader, end_transaction=False)  # the demo is one transaction
    _bank_return(officer, first, {1: "账户已销户", 2: "户名与账号不符"})
    second = service.build_batch(officer, school_id=school.id, programme_id=grant.id, period_text=str(SEMESTER),
                                 note="补发银行退回的2笔")
    service.lock_batch(leader, second)
    ledger.render_and_store(second.id, leader, end_transaction=False)
    _bank_return(officer, second, {})
    figures = settlement.figures_for([school.id], grant.id, SEMESTER)[school.id]
    settlement.settle(officer, school_id=school.id, programme_id=grant.id, semester=str(SEMESTER),
                      note=f"结余{format_fen(figures.surplus_fen)}元结转2026年春季学期使用")
