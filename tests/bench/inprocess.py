"""Measurements run inside the app (a subprocess of the runner, DATABASE_URL set),
each printing one JSON object:

    python -m tests.bench.inprocess sample       # a student of the school officer's school
    python -m tests.bench.inprocess import [N]   # a N-row roster: validate + write (rolled back)
    python -m tests.bench.inprocess notice_pdf   # a 50-row notice PDF: cold and warm
    python -m tests.bench.inprocess flags        # each red-flag count as the province admin

The import runs through aid.students.importer (the code the upload view uses) and is
rolled back afterwards, so the data set stays the same between runs."""
from __future__ import annotations

import io
import json
import random
import statistics
import sys
import time
from datetime import date

from sqlalchemy import func, select


def _user(username):
    from aid.auth.models import User
    from aid.extensions import db

    return db.session.execute(select(User).where(User.username == username)).scalar_one()


def sample() -> dict:
    from aid.core.protected import cipher
    from aid.extensions import db
    from aid.students.models import Student

    officer = _user("bench_officer")
    student = db.session.execute(select(Student).where(Student.school_id == officer.school_id)
                                 .order_by(Student.id).offset(100).limit(1)).scalar_one()
    from aid.funds.models import PaymentBatch

    batch_id = db.session.scalar(select(PaymentBatch.id).where(PaymentBatch.school_id == officer.school_id)
                                 .order_by(PaymentBatch.line_count.desc()).limit(1))
    return {"name": student.name, "register_no": student.register_no,
            "id_number": cipher().decrypt(student.id_number_enc), "batch_id": batch_id or 0}


def roster(rows: int, classes: list[str]) -> bytes:
    from openpyxl import Workbook

    from aid.core.identity import generate_bank_card, generate_resident_id

    rng = random.Random(7)
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("名册")
    ws.append(["学号", "姓名", "性别", "公民身份号码", "出生日期", "班级", "户籍", "资助卡号", "手机", "学习方式"])
    seen: set[str] = set()
    while len(seen) < rows:
        born = date(2009, rng.randint(1, 12), rng.randint(1, 28))
        gender = rng.choice("男女")
        number = generate_resident_id(rng, "350104", born, gender)  # another county than the data set
        if number in seen:
            continue
        seen.add(number)
        ws.append([f"I{len(seen):06d}", "测试" + "甲乙丙丁"[len(seen) % 4], gender, number, born,
                   rng.choice(classes), rng.choice(("农村", "城镇")), generate_bank_card(rng),
                   f"139{rng.randint(10000000, 99999999)}", "全日制"])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def import_roster(rows: int = 10000) -> dict:
    from aid.extensions import db
    from aid.students import importer
    from aid.students.models import SchoolClass

    officer = _user("bench_officer")
    classes = list(db.session.scalars(select(SchoolClass.name).where(
        SchoolClass.school_id == officer.school_id, SchoolClass.study_mode == "full_time")))
    data = roster(rows, classes)
    t0 = time.perf_counter()
    analysis = importer.analyse(data, officer.school_id)
    t1 = time.perf_counter()
    if not analysis.ok:
        raise SystemExit(f"roster refused: {analysis.problems[:3]}")
    importer.write_rows(officer, officer.school_id, analysis, "bench.xlsx")
    db.session.flush()
    t2 = time.perf_counter()
    db.session.rollback()
    return {"rows": rows, "validate_s": t1 - t0, "write_s": t2 - t1, "total_s": t2 - t0,
            "rows_per_s": rows / (t2 - t0)}


def notice_pdf() -> dict:
    from aid.extensions import db
    from aid.notices.models import Notice, NoticeItem
    from aid.notices.service import render_notice_pdf

    notice_id = db.session.scalar(select(NoticeItem.notice_id).group_by(NoticeItem.notice_id)
                                  .order_by(func.count().desc(), NoticeItem.notice_id).limit(1))
    notice = db.session.get(Notice, notice_id)
    t0 = time.perf_counter()
    data = render_notice_pdf(notice)
    cold = time.perf_counter() - t0
    warm = []
    for _ in range(5):
        t0 = time.perf_counter()
        render_notice_pdf(notice)
        warm.append(time.perf_counter() - t0)
    return {"rows": len(notice.items), "bytes": len(data), "cold_s": cold, "warm_median_s": statistics.median(warm)}


def flags() -> dict:
    from aid.supervision.flags import RED_FLAGS

    admin = _user("bench_admin")
    out = {}
    for flag in RED_FLAGS:
        t0 = time.perf_counter()
        flag.count_fn(admin)
        out[flag.code] = (time.perf_counter() - t0) * 1000
    return out


JOBS = {"sample": sample, "import": import_roster, "notice_pdf": notice_pdf, "flags": flags}


def main(argv: list[str]) -> None:
    from aid import create_app

    app = create_app()
    job = JOBS[argv[0]]
    with app.test_request_context():
        result = job(*(int(a) for a in argv[1:]))
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main(sys.argv[1:])
