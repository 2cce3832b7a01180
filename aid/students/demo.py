"""Demo register extras: archive checklists, an ID registered in two schools and a
student registered in both study modes (for the data-quality page), registration
steps of the submitted/verified/returned records."""
from __future__ import annotations

from pypinyin import lazy_pinyin
from sqlalchemy import select

from aid.extensions import db
from aid.students import personal
from aid.students.models import ARCHIVE_ITEMS, ArchiveItem, SchoolClass, Student


def demo_step(ctx) -> None:
    rng = ctx.rng
    by_school: dict[int, list[Student]] = {}
    for s in ctx.students:
        by_school.setdefault(s.school_id, []).append(s)
    for school in ctx.schools:
        officer = ctx.users.get(f"s{school.code}_officer")
        for k, s in enumerate(by_school.get(school.id, [])[:40]):
            for item in ARCHIVE_ITEMS:
                if item == "diploma" and k % 3:
                    continue
                state = rng.choices(("present", "missing", "mismatch"), weights=(92, 5, 3))[0]
                db.session.add(ArchiveItem(school_id=school.id, student_id=s.id, item=item, state=state,
                                           note="照片与身份证不符" if state == "mismatch" else "",
                                           recorded_by=officer.id if officer else None))
    fuzhou, fuzhou_private, xiamen = ctx.schools[1], ctx.schools[2], ctx.schools[3]
    # the same person registered in two Fuzhou schools (the Fuzhou bureau sees both)
    _copy(ctx, by_school[fuzhou.id][3], fuzhou_private, "full_time", "D001")
    # and one registered in Fuzhou and Xiamen (each bureau sees one record and a count outside)
    _copy(ctx, by_school[fuzhou.id][5], xiamen, "full_time", "D002")
    # a full-time student of 福州技师学院 also registered part-time in the same school
    _copy(ctx, by_school[fuzhou.id][7], fuzhou, "part_time", "D003")
    db.session.flush()


def _copy(ctx, original: Student, school, mode: str, suffix: str) -> Student:
    cls = db.session.execute(select(SchoolClass).where(SchoolClass.school_id == school.id,
                                                       SchoolClass.study_mode == mode)
                             .order_by(SchoolClass.id)).scalars().first()
    twin = Student(school_id=school.id, class_id=cls.id, register_no=f"{school.code}{cls.intake_date.year}{suffix}",
                   name=original.name, name_sort="".join(lazy_pinyin(original.name)), gender=original.gender,
                   ethnicity=original.ethnicity, birth_date=original.birth_date, household=original.household,
                   study_mode=mode, enrolment_date=cls.intake_date, status="在籍", registration_state="draft",
                   address=original.address)
    personal.set_id_number(twin, personal.reveal(original, "id_number"))
    db.session.add(twin)
    ctx.students.append(twin)
    return twin
