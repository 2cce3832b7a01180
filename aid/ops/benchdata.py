"""A province-scale data set for the benchmarks (issue 9): bulk inserts,
deterministic for a given seed. Areas add their rows through
aid/<area>/bench.py: bench_step(ctx) (applications, notices, batches …)."""
from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from datetime import date

from pypinyin import lazy_pinyin
from sqlalchemy import func, insert, select, text

from aid.auth.models import User
from aid.auth.service import hash_password
from aid.core.identity import (generate_bank_card, generate_resident_id, id_number_problem, mask_card, mask_id,
                               mask_phone)
from aid.core.protected import cipher
from aid.demo import GIVEN, SURNAMES
from aid.extensions import db
from aid.org.models import Authority, School
from aid.programmes.service import current_semester
from aid.students.models import Major, SchoolClass, Student
from aid.students.shared_keys import rebuild_shared_keys

BENCH_PASSWORD = "Bench-2026-aid"
CHUNK = 5000


@dataclass
class BenchContext:
    rng: random.Random
    province_id: int
    school_ids: list[int]
    student_ids: list[int] = field(default_factory=list)
    logins: list[tuple[str, str, str]] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    users: dict[str, User] = field(default_factory=dict)  # role → the bench login of that role
    semester: str = "2025-autumn"  # the current semester of the data set
    shared: dict = field(default_factory=dict)  # what one area's step hands to a later one

    def students(self) -> list:
        """(id, school_id, class_id, study_mode, status, intake year, tuition fen/year) of every
        student, in id order; read once."""
        if "students" not in self.shared:
            self.shared["students"] = db.session.execute(
                select(Student.id, Student.school_id, Student.class_id, Student.study_mode, Student.status,
                       SchoolClass.intake_date, Major.tuition_fen_per_year)
                .join(SchoolClass, SchoolClass.id == Student.class_id).join(Major, Major.id == SchoolClass.major_id)
                .order_by(Student.id)).all()
        return self.shared["students"]


def build(schools: int, students: int, seed: int = 1, echo=print) -> BenchContext:
    if db.session.scalar(select(func.count()).select_from(School)):
        raise RuntimeError("数据库中已有学校数据：请在空数据库上生成基准数据")
    rng = random.Random(seed)
    t0 = time.perf_counter()
    # the cohorts follow the calendar: the current semester's school year and the two before
    semester = current_semester()
    first_year = semester.school_year_start
    province = Authority(name="基准测试省人力资源和社会保障厅", level="province", region_code="350000")
    db.session.add(province)
    db.session.flush()
    cities = []
    for i in range(10):
        c = Authority(name=f"基准测试第{i + 1}市人社局", level="city", parent_id=province.id)
        db.session.add(c)
        cities.append(c)
    db.session.flush()
    school_rows = []
    for i in range(schools):
        authority = province if i % 15 == 0 else cities[i % len(cities)]
        school_rows.append(dict(code=f"B{i + 1:05d}", name=f"基准第{i + 1}技工学校", kind="技工学校",
                                ownership="private" if i % 10 == 9 else "public", authority_id=authority.id,
                                address=f"测试路{i + 1}号", credit_code="", legal_representative=f"法人{i + 1}",
                                contact_phone="", ethnic_minority_area=i % 20 == 3,
                                contiguous_poverty_area=i % 25 == 4, active=True))
    db.session.execute(insert(School), school_rows)
    school_ids = list(db.session.scalars(select(School.id).order_by(School.id)))
    ctx = BenchContext(rng=rng, province_id=province.id, school_ids=school_ids, semester=str(semester))
    majors, classes = [], []
    for sid in school_ids:
        for m in range(5):
            majors.append(dict(school_id=sid, code=f"{m + 1:04d}", name=["数控加工", "汽车维修", "电子商务",
                                                                          "现代农业技术", "烹饪"][m],
                               training_level="中级工", agriculture_related=m == 3, opera_performance=False,
                               other_performing_arts=False, tuition_fen_per_year=240000 + 20000 * m))
    db.session.execute(insert(Major), majors)
    major_rows = db.session.execute(select(Major.id, Major.school_id).order_by(Major.id)).all()
    for mid, sid in major_rows:
        for year in (first_year - 2, first_year - 1, first_year):
            classes.append(dict(school_id=sid, major_id=mid, name=f"{year}级{mid}班", intake_date=date(year, 9, 1),
                                level="中级工", entry_point="初中起点", programme_years=3, study_mode="full_time"))
    for sid in school_ids:
        mid = next(m for m, s in major_rows if s == sid)
        classes.append(dict(school_id=sid, major_id=mid, name="非全日制班", intake_date=date(first_year - 1, 9, 1),
                            level="中级工", entry_point="高中起点", programme_years=2, study_mode="part_time"))
    db.session.execute(insert(SchoolClass), classes)
    class_rows = db.session.execute(select(SchoolClass.id, SchoolClass.school_id, SchoolClass.intake_date,
                                           SchoolClass.study_mode)).all()
    by_school: dict[int, list] = {}
    for row in class_rows:
        by_school.setdefault(row.school_id, []).append(row)
    ctx.timings["organisation"] = time.perf_counter() - t0

    t1 = time.perf_counter()
    c = cipher()
    per_school = max(1, students // len(school_ids))
    batch, seq = [], 0
    used = set()
    for sid in school_ids:
        school_classes = by_school[sid]
        full_time = [r for r in school_classes if r.study_mode == "full_time"]
        part_time = [r for r in school_classes if r.study_mode == "part_time"]
        for k in range(per_school):
            seq += 1
            cls = part_time[0] if k % 10 == 9 else full_time[k % len(full_time)]
            born = date(cls.intake_date.year - 15 - rng.choice((0, 0, 1)), rng.randint(1, 12), rng.randint(1, 28))
            gender = "男" if rng.random() < 0.6 else "女"
            while True:
                number = generate_resident_id(rng, "350102", born, gender)
                if number not in used:
                    used.add(number)
                    break
            card = generate_bank_card(rng)
            phone = f"13{rng.randint(0, 9)}{rng.randint(10000000, 99999999)}"
            name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))
            batch.append(dict(
                school_id=sid, class_id=cls.id, register_no=f"{sid:04d}{seq:08d}", name=name,
                name_sort="".join(lazy_pinyin(name)), gender=gender, ethnicity="汉族", birth_date=born,
                id_number_enc=c.encrypt(number), id_number_hash=c.search_hash(number), id_number_masked=mask_id(number),
                id_number_problem=id_number_problem(number, born, gender),
                household="rural" if rng.random() < 0.65 else "urban", study_mode=cls.study_mode,
                enrolment_date=cls.intake_date, status="在籍" if rng.random() < 0.96 else rng.choice(("休学", "退学")),
                registration_state=rng.choices(("verified", "submitted", "draft", "returned"), (85, 7, 6, 2))[0],
                registration_note="", aid_card_enc=c.encrypt(card), aid_card_hash=c.search_hash(card),
                aid_card_masked=mask_card(card), aid_card_kind="aid_card", phone_enc=c.encrypt(phone),
                phone_masked=mask_phone(phone), address="", version=1))
            if len(batch) >= CHUNK:
                db.session.execute(insert(Student), batch)
                batch = []
        echo(f"  school {sid}: {seq} students") if sid % 25 == 0 else None
    if batch:
        db.session.execute(insert(Student), batch)
    ctx.student_ids = list(db.session.scalars(select(Student.id).order_by(Student.id)))
    ctx.timings["students"] = time.perf_counter() - t1

    pw = hash_password(BENCH_PASSWORD)
    first_school = school_ids[0]
    users = [("province_admin", "bench_admin", dict(authority_id=province.id)),
             ("bureau_officer", "bench_bureau", dict(authority_id=cities[1].id)),
             ("school_officer", "bench_officer", dict(school_id=school_ids[1])),
             ("school_leader", "bench_leader", dict(school_id=school_ids[1])),
             ("student", "bench_student", dict(school_id=first_school, student_id=ctx.student_ids[0]))]
    for role, username, scope in users:
        user = User(username=username, display_name=username, role=role, password_hash=pw,
                    must_change_password=False, **scope)
        db.session.add(user)
        ctx.users[role] = user
        ctx.logins.append((role, username, BENCH_PASSWORD))
    db.session.flush()

    from aid import AREAS, area_module
    for area in AREAS:
        module = area_module(area, "bench")
        if module is not None and hasattr(module, "bench_step"):
            t = time.perf_counter()
            module.bench_step(ctx)
            ctx.timings[area] = time.perf_counter() - t
    rebuild_shared_keys()  # the students were bulk-inserted, past the session's flush hook
    db.session.commit()
    # the student, application and payment line tallies' triggers appended one row per insert on
    # PostgreSQL: fold them, as the scheduled `… tallies --compact` commands do in service
    from aid.applications import tallies as application_tallies
    from aid.funds import tallies as payment_tallies
    from aid.students import tallies
    for upkeep in (tallies, application_tallies, payment_tallies):
        upkeep.compact()
    db.session.commit()
    # planner statistics, as a database in service has them (PostgreSQL's autovacuum, SQLite's
    # PRAGMA optimize): without them both planners guess badly after a bulk load. PostgreSQL also
    # needs VACUUM: its index-only scans skip the table only for pages the visibility map marks
    # all-visible, which freshly bulk-loaded pages are not until autovacuum has been by.
    t = time.perf_counter()
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM (ANALYZE)"))
    else:
        db.session.execute(text("ANALYZE"))
        db.session.commit()
    ctx.timings["analyze"] = time.perf_counter() - t
    # read models over the finished data (after the shared keys and the planner statistics)
    for area in AREAS:
        module = area_module(area, "bench")
        if module is not None and hasattr(module, "bench_finish"):
            t = time.perf_counter()
            module.bench_finish(ctx)
            ctx.timings[f"{area}_finish"] = time.perf_counter() - t
    return ctx
