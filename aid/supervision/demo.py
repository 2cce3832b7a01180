"""Demo supervision: planted cases for every red flag whose data exists, a roll call with an
absence (a finding), a 约谈 in progress and an inspection."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from aid.applications.models import Application
from aid.audit.service import record
from aid.core.identity import generate_bank_card
from aid.core.workdays import CalendarUnavailable
from aid.extensions import db
from aid.programmes.models import Programme, ProgrammeVersion
from aid.programmes.semesters import Semester
from aid.students.models import Student
from aid.students.personal import reveal, set_aid_card, set_id_number, set_phone
from aid.supervision import service
from aid.supervision.models import Finding
from aid.timeutil import local_today

PLANTED_NOTE = "演示数据：预置的风险案例"


def demo_step(ctx) -> None:
    rng = ctx.rng
    bureau = ctx.users["fz_bureau"]
    fz_school, fz_private, xm_school = ctx.schools[1], ctx.schools[2], ctx.schools[3]
    enrolled = [s for s in ctx.students if s.status == "在籍" and s.study_mode == "full_time"]
    fz_students = [s for s in enrolled if s.school_id == fz_school.id]

    # same ID number on the registers of two schools (福州技师学院 and 厦门技师学院)
    original = fz_students[5]
    twin = Student(school_id=xm_school.id, class_id=_first_class_id(xm_school.id), register_no=f"{xm_school.code}DUP0001",
                   name=original.name, name_sort=original.name_sort, gender=original.gender,
                   birth_date=original.birth_date, household=original.household, study_mode="full_time",
                   enrolment_date=original.enrolment_date, status="在籍", registration_state="submitted",
                   address=original.address)
    set_id_number(twin, reveal(original, "id_number"))
    set_aid_card(twin, generate_bank_card(rng))
    set_phone(twin, f"139{rng.randint(10000000, 99999999)}")
    db.session.add(twin)

    # one aid card number on two students of different schools
    holder = next(s for s in fz_students[6:] if s.aid_card_enc)
    sharer = next(s for s in enrolled if s.school_id == fz_private.id and s.aid_card_enc)
    set_aid_card(sharer, reveal(holder, "aid_card"), holder.aid_card_kind or "aid_card")

    # 一校两牌: the private school shares the legal representative of 福州技师学院
    fz_private.legal_representative = fz_school.legal_representative

    # a grant approved by the bureau for a student who has withdrawn
    withdrawn = next(s for s in ctx.students if s.status == "退学")
    _plant_application(withdrawn)

    # a grant paid to a student who has since withdrawn (also a recovery case for funds)
    _plant_paid_then_withdrawn(bureau, exclude={original.id, holder.id, sharer.id})

    # a full-time student suspended for longer than the setting allows (长期空挂)
    suspended = next(s for s in ctx.students if s.status == "休学" and s.study_mode == "full_time")
    suspended.updated_at = datetime.combine(local_today() - timedelta(days=3 * 365), datetime.min.time())
    db.session.flush()
    record("demo_plant", object_type="demo", user=bureau, summary=PLANTED_NOTE)

    # a remote roll call at 福州技师学院: one student not in school, one unreachable
    rc = service.draw_rollcall(bureau, fz_school.id, 8, "remote", "演示：学期中远程点名",
                               seed=f"{rng.getrandbits(128):032x}")
    for entry in rc.entries:
        result, note = "present", ""
        if entry.position == 1:
            result, note = "absent", "班主任称该生已外出务工两个月"
        elif entry.position == 2:
            result, note = "unreachable", "电话无人接听"
        service.record_result(bureau, entry, result, note)
    finding = db.session.execute(select(Finding).where(Finding.roll_call_entry_id == rc.entries[0].id)).scalar_one()

    # a 约谈 in progress, linked to the absence
    calendar = service.get_calendar()
    try:
        deadline = calendar.add_workdays(local_today(), 10)
        service.open_measure(bureau, fz_school.id, "interview",
                             "远程点名发现全日制在籍学生不在校，学籍管理不规范，请说明情况并限期整改", deadline, [finding.id])
    except (CalendarUnavailable, service.SupervisionError) as exc:  # a calendar year not entered yet
        print(f"演示数据：未创建整改措施（{exc}）")

    # an inspection visit with one point not met
    service.create_inspection(
        bureau, fz_school.id, local_today() - timedelta(days=14), "福州市人社局技工教育科 林某、陈某",
        {"rules": ("pass", "资助工作领导小组及制度齐全"), "data": ("fail", "3名学生学籍信息与纸质档案不一致"),
         "tiering": ("pass", ""), "payment": ("partial", "秋季学期助学金发放晚于规定时间一周"),
         "archives": ("pass", "")},
        "学籍数据与纸质档案存在不一致；助学金发放略有延迟", "已要求学校两周内完成数据核对")


def _plant_paid_then_withdrawn(bureau, exclude: set[int]) -> None:
    from sqlalchemy import select

    from aid.funds.models import PaymentLine

    line = db.session.execute(select(PaymentLine).where(PaymentLine.status == "paid",
                                                        PaymentLine.student_id.not_in(exclude))
                              .order_by(PaymentLine.id.desc())).scalars().first()
    if line is None:
        return
    student = db.session.get(Student, line.student_id)
    before = student.status
    student.status = "退学"
    record("update", student, user=bureau, before={"status": before}, after={"status": "退学"},
           summary=f"{PLANTED_NOTE}：已领取助学金后退学")


def _first_class_id(school_id: int) -> int | None:
    from aid.students.models import SchoolClass
    return db.session.scalar(select(SchoolClass.id).where(SchoolClass.school_id == school_id,
                                                          SchoolClass.study_mode == "full_time").order_by(SchoolClass.id))


def _plant_application(student: Student) -> None:
    semester = str(Semester.containing(local_today()))
    programme = db.session.execute(select(Programme).where(Programme.code == "national_grant")).scalar_one_or_none()
    if programme is None:
        programme = Programme(code="national_grant", name="国家助学金", kind="national_grant")
        db.session.add(programme)
        db.session.flush()
    version = db.session.execute(select(ProgrammeVersion).where(ProgrammeVersion.programme_id == programme.id)
                                 .order_by(ProgrammeVersion.valid_from_ordinal.desc())).scalars().first()
    if version is None:
        version = _default_grant_version(programme)
    exists = db.session.scalar(select(Application.id).where(Application.student_id == student.id,
                                                            Application.programme_id == programme.id,
                                                            Application.semester == semester))
    if exists:
        db.session.get(Application, exists).state = "bureau_approved"
        return
    db.session.add(Application(school_id=student.school_id, student_id=student.id, programme_id=programme.id,
                               programme_version_id=version.id, semester=semester, level="一般困难",
                               amount_fen=50000, state="bureau_approved", note=PLANTED_NOTE))
    db.session.flush()


def _default_grant_version(programme: Programme) -> ProgrammeVersion:
    import dataclasses
    import json

    from aid.programmes.defaults import NATIONAL_GRANT_2023

    rules = dataclasses.asdict(NATIONAL_GRANT_2023)
    version = ProgrammeVersion(programme_id=programme.id, valid_from=str(NATIONAL_GRANT_2023.valid_from),
                               valid_from_ordinal=NATIONAL_GRANT_2023.valid_from.ordinal,
                               rules_json=json.dumps(rules, ensure_ascii=False, default=str))
    db.session.add(version)
    db.session.flush()
    return version
