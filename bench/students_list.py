"""Benchmark: the student list (with and without a search) at province scale on SQLite.
Not a test; run by hand:

    /work/main/.venv/bin/python bench/students_list.py [STUDENTS]

Builds 150 schools and STUDENTS (default 200,000) students in a temporary SQLite
database, then times list pages and htmx partials through the test client
(server-side time: routing, scoping, queries, rendering) and prints medians / p95.
"""
from __future__ import annotations

import json
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗郑"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平"


def build(total: int) -> dict:
    from sqlalchemy import insert

    from aid.auth.models import User
    from aid.auth.service import hash_password
    from aid.core.identity import generate_resident_id, mask_id
    from aid.core.protected import cipher
    from aid.extensions import db
    from aid.org.models import Authority, School
    from aid.students.models import Major, SchoolClass, Student

    rng = random.Random(1)
    c = cipher()
    province = Authority(name="省厅", level="province")
    db.session.add(province)
    db.session.flush()
    cities = [Authority(name=f"市{i}", level="city", parent_id=province.id) for i in range(10)]
    db.session.add_all(cities)
    db.session.flush()
    schools = []
    for i in range(150):
        s = School(code=f"S{i:04d}", name=f"第{i}技工学校", kind="技工学校", ownership="public",
                   authority_id=cities[i % 10].id)
        db.session.add(s)
        schools.append(s)
    db.session.flush()
    class_ids = {}
    for s in schools:
        m = Major(school_id=s.id, code="01", name="数控", tuition_fen_per_year=240000)
        db.session.add(m)
        db.session.flush()
        ids = []
        for k in range(10):
            cls = SchoolClass(school_id=s.id, major_id=m.id, name=f"{2023 + k % 3}级{k}班",
                              intake_date=date(2023 + k % 3, 9, 1), study_mode="part_time" if k == 9 else "full_time")
            db.session.add(cls)
            db.session.flush()
            ids.append((cls.id, cls.study_mode, cls.intake_date))
        class_ids[s.id] = ids
    pw = hash_password("Bench-pass-2026")
    db.session.add_all([User(username="p", display_name="p", role="province_admin", authority_id=province.id,
                             password_hash=pw, must_change_password=False),
                        User(username="c", display_name="c", role="bureau_officer", authority_id=cities[0].id,
                             password_hash=pw, must_change_password=False),
                        User(username="o", display_name="o", role="school_officer", school_id=schools[0].id,
                             password_hash=pw, must_change_password=False)])
    db.session.commit()
    per_school = total // len(schools)
    sample = {}
    for s in schools:
        rows = []
        for n in range(per_school):
            cid, mode, intake = rng.choice(class_ids[s.id])
            born = date(2007 + rng.randint(0, 2), rng.randint(1, 12), rng.randint(1, 28))
            gender = rng.choice("男女")
            number = generate_resident_id(rng, "350102", born, gender)
            name = rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN)
            rows.append({"school_id": s.id, "class_id": cid, "register_no": f"{s.code}{n:06d}", "name": name,
                         "name_sort": name, "gender": gender, "birth_date": born, "id_number_enc": c.encrypt(number),
                         "id_number_hash": c.search_hash(number), "id_number_masked": mask_id(number),
                         "study_mode": mode, "enrolment_date": intake,
                         "registration_state": rng.choice(("verified", "verified", "submitted", "draft")),
                         "status": "在籍", "household": "rural", "ethnicity": "汉族", "version": 1})
        db.session.execute(insert(Student), rows)
        sample.setdefault("id", number)
        sample.setdefault("register_no", f"{s.code}{per_school // 2:06d}")
    db.session.commit()
    return sample


def timed(client, url, hx=False, n=30):
    headers = {"HX-Request": "true"} if hx else {}
    client.get(url, headers=headers)
    times = []
    for _ in range(n):
        t = time.perf_counter()
        resp = client.get(url, headers=headers)
        times.append((time.perf_counter() - t) * 1000)
        assert resp.status_code == 200, (url, resp.status_code)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.95) - 1]


def main() -> None:
    total = int(sys.argv[1]) if len(sys.argv) > 1 else 200000
    keep = os.environ.get("BENCH_DIR")  # reuse a database built by an earlier run
    with tempfile.TemporaryDirectory() as tmp:
        d = keep or tmp
        from flask_migrate import upgrade

        from aid import create_app

        built = Path(d, "bench.sqlite3").exists()
        app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{d}/bench.sqlite3", "DATA_KEY_FILE": f"{d}/data.key",
                          "STORAGE_DIR": f"{d}/storage", "PASSWORD_HASH_FAST": True, "WTF_CSRF_ENABLED": False})
        with app.app_context():
            upgrade(directory=str(Path(__file__).resolve().parent.parent / "migrations"))
            if built:
                sample = json.loads(Path(d, "sample.json").read_text())
            else:
                t = time.perf_counter()
                sample = build(total)
                Path(d, "sample.json").write_text(json.dumps(sample))
                print(f"built {total} students in {time.perf_counter() - t:.1f} s")
        for user in ("p", "c", "o"):
            client = app.test_client()
            client.post("/login", data={"username": user, "password": "Bench-pass-2026"})
            for url, hx in (("/students/", False), ("/students/", True), ("/students/?q=王", True),
                            (f"/students/?q={sample['register_no']}", True), (f"/students/?q={sample['id']}", True),
                            ("/students/?mode=part_time&reg=submitted&sort=name", True), ("/students/?page=20", True)):
                median, p95 = timed(client, url, hx)
                shown = url.replace(sample["id"], "<full ID>")
                print(f"{user:2} {'hx ' if hx else '   '}{shown:55} median {median:6.1f} ms  p95 {p95:6.1f} ms")


if __name__ == "__main__":
    main()
