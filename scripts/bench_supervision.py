"""Benchmark: every red-flag count at province scale on SQLite (not a test).

    python scripts/bench_supervision.py [--students 200000] [--db /tmp/aid-bench.sqlite3]

Builds (once) a synthetic province — 150 schools, N students, 2 applications per
student, a few planted duplicates — then times `flag_counts()` as the province
admin, the way its dashboard panel calls it. Target: < 500 ms in total.
"""
from __future__ import annotations

import argparse
import hashlib
import os
import random
import sys
import time
from datetime import date, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def build(n_students: int) -> None:
    from sqlalchemy import insert

    from aid.applications.models import Application
    from aid.auth.models import User
    from aid.extensions import db
    from aid.org.models import Authority, School
    from aid.programmes.models import Programme, ProgrammeVersion
    from aid.students.models import Student

    rng = random.Random(7)
    province = Authority(name="基准省", level="province")
    db.session.add(province)
    db.session.flush()
    db.session.add(User(username="bench_admin", display_name="bench", role="province_admin", password_hash="x",
                        authority_id=province.id, must_change_password=False))
    cities = [Authority(name=f"基准市{i}", level="city", parent_id=province.id) for i in range(10)]
    db.session.add_all(cities)
    db.session.flush()
    schools = [School(code=f"B{i:04d}", name=f"基准学校{i}", kind="技工学校", authority_id=cities[i % 10].id,
                      address=f"路{i}号", legal_representative=f"法人{i}") for i in range(150)]
    schools[1].legal_representative = schools[0].legal_representative
    db.session.add_all(schools)
    grant = Programme(code="bench_grant", name="国家助学金", kind="national_grant")
    waiver = Programme(code="bench_waiver", name="免学费", kind="tuition_waiver")
    db.session.add_all([grant, waiver])
    db.session.flush()
    versions = []
    for p in (grant, waiver):
        v = ProgrammeVersion(programme_id=p.id, valid_from="2025-spring", rules_json="{}")
        db.session.add(v)
        versions.append((p.id, v))
    db.session.flush()
    now = datetime.utcnow()
    batch = []
    for i in range(n_students):
        h = hashlib.sha256(f"id{i if i % 5000 else i - 1}".encode()).hexdigest()  # a duplicate every 5,000
        card = hashlib.sha256(f"card{i if i % 7000 else i - 1}".encode()).hexdigest()
        batch.append(dict(school_id=schools[i % 150].id, register_no=f"R{i:07d}", name=f"学生{i}", name_sort="",
                          gender="男", ethnicity="汉族", birth_date=date(2008, 1, 1), id_number_enc=b"x",
                          id_number_hash=h, id_number_masked="3501**********0000", household="rural",
                          study_mode="part_time" if i % 12 == 0 else "full_time", enrolment_date=date(2024, 9, 1),
                          status=rng.choices(("在籍", "休学", "退学", "毕业"), (90, 4, 3, 3))[0],
                          registration_state="verified", registration_note="", aid_card_hash=card,
                          aid_card_masked="6217****", aid_card_kind="aid_card", phone_masked="", address="",
                          version=1, created_at=now, updated_at=now))
        if len(batch) == 20000:
            db.session.execute(insert(Student.__table__), batch)
            batch = []
    if batch:
        db.session.execute(insert(Student.__table__), batch)
    ids = [(sid, school) for sid, school in db.session.execute(db.select(Student.id, Student.school_id))]
    apps = []
    for sid, school in ids:
        for pid, v in versions:
            apps.append(dict(school_id=school, student_id=sid, programme_id=pid, programme_version_id=v.id,
                             semester="2026-autumn", level="", amount_fen=100000,
                             state=rng.choice(("submitted", "bureau_approved", "disbursed", "noticed")),
                             note="", created_at=now, updated_at=now, version=1))
        if len(apps) >= 40000:
            db.session.execute(insert(Application.__table__), apps)
            apps = []
    if apps:
        db.session.execute(insert(Application.__table__), apps)
    db.session.commit()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--students", type=int, default=200_000)
    parser.add_argument("--db", default="/tmp/aid-bench-supervision.sqlite3")
    args = parser.parse_args()
    os.environ["DATABASE_URL"] = f"sqlite:///{args.db}"
    from flask_migrate import upgrade
    from sqlalchemy import select

    from aid import create_app
    from aid.auth.models import User
    from aid.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{args.db}"})
    with app.test_request_context():
        upgrade(directory=str(Path(__file__).resolve().parent.parent / "migrations"))
        if db.session.scalar(select(User.id).where(User.username == "bench_admin")) is None:
            t = time.perf_counter()
            build(args.students)
            print(f"built in {time.perf_counter() - t:.1f} s")
        admin = db.session.execute(select(User).where(User.username == "bench_admin")).scalar_one()
        from aid.supervision.flags import RED_FLAGS

        total = cpu_total = 0.0
        for flag in RED_FLAGS:
            t, c = time.perf_counter(), time.process_time()
            count = flag.count_fn(admin)
            ms, cpu = (time.perf_counter() - t) * 1000, (time.process_time() - c) * 1000
            total, cpu_total = total + ms, cpu_total + cpu
            print(f"{flag.code:20s} {ms:8.1f} ms (cpu {cpu:6.1f})  {count.total if count else '—'}")
        print(f"{'all counts':20s} {total:8.1f} ms (cpu {cpu_total:6.1f})")
        from aid.home.views import HOME_PANELS
        t, c = time.perf_counter(), time.process_time()
        for _template, fn in HOME_PANELS.get("province_admin", []):
            fn(admin)
        print(f"{'home panels':20s} {(time.perf_counter() - t) * 1000:8.1f} ms (cpu {(time.process_time() - c) * 1000:6.1f})")


if __name__ == "__main__":
    main()
