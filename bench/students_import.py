"""Benchmark: import a generated 10,000-row roster (validate + write) into a fresh
demo district on SQLite. Not a test; run by hand:

    /work/main/.venv/bin/python bench/students_import.py [ROWS]

Prints the seconds for reading+validating and for writing (one transaction).
"""
from __future__ import annotations

import io
import random
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def roster(rows: int, classes: list[str]) -> bytes:
    from openpyxl import Workbook

    from aid.core.identity import generate_bank_card, generate_resident_id

    rng = random.Random(7)
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("名册")
    ws.append(["学号", "姓名", "性别", "公民身份号码", "出生日期", "班级", "户籍", "资助卡号", "手机", "学习方式"])
    seen = set()
    n = 0
    while n < rows:
        born = date(2008, rng.randint(1, 12), rng.randint(1, 28))
        gender = rng.choice("男女")
        number = generate_resident_id(rng, "350104", born, gender)
        if number in seen:
            continue
        seen.add(number)
        n += 1
        ws.append([f"B{n:06d}", "测试" + "甲乙丙丁"[n % 4], gender, number, born, rng.choice(classes),
                   rng.choice(("农村", "城镇")), generate_bank_card(rng), f"139{rng.randint(10000000, 99999999)}",
                   "全日制"])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 10000
    with tempfile.TemporaryDirectory() as d:
        from flask_migrate import upgrade
        from sqlalchemy import select

        from aid import create_app
        from aid.demo import build_demo
        from aid.extensions import db
        from aid.org.models import School
        from aid.students import importer
        from aid.students.models import SchoolClass

        app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{d}/bench.sqlite3", "DATA_KEY_FILE": f"{d}/data.key",
                          "STORAGE_DIR": f"{d}/storage", "PASSWORD_HASH_FAST": True})
        with app.app_context():
            upgrade(directory=str(Path(__file__).resolve().parent.parent / "migrations"))
            build_demo()
            school = db.session.execute(select(School).where(School.code == "3501001")).scalar_one()
            classes = [c.name for c in db.session.execute(select(SchoolClass).where(
                SchoolClass.school_id == school.id, SchoolClass.study_mode == "full_time")).scalars()]
            data = roster(rows, classes)
            print(f"roster: {rows} rows, {len(data) / 1024 / 1024:.2f} MB")
            t0 = time.perf_counter()
            analysis = importer.analyse(data, school.id)
            t1 = time.perf_counter()
            assert analysis.ok, analysis.problems[:5]
            importer.write_rows(None, school.id, analysis, "bench.xlsx")
            db.session.commit()
            t2 = time.perf_counter()
            print(f"validate {t1 - t0:.2f} s, write {t2 - t1:.2f} s, total {t2 - t0:.2f} s")


if __name__ == "__main__":
    main()
