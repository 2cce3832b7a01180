"""Measurements run inside the app (a subprocess of the runner, DATABASE_URL set),
each printing one JSON object:

    python -m tests.bench.inprocess sample       # a student of the school officer's school
    python -m tests.bench.inprocess import [N]   # a N-row roster: validate + write (rolled back)
    python -m tests.bench.inprocess notice_pdf   # a 50-row notice PDF: cold and warm
    python -m tests.bench.inprocess flags        # each red-flag count as the province admin
    python -m tests.bench.inprocess ledger [N [R]]  # a N-row ledger (1,000): product cold, warm (R=3) vs Chromium
    python -m tests.bench.inprocess ledger_rss [N]  # peak RSS while rendering a N-row ledger (5,000)

The ledger jobs use the locked bench batch of the school officer's school
(aid/funds/bench.py, made on first use: the one write these jobs leave behind, with the
ledger stored once for the served-again measurement over HTTP in tests/bench/extra.py).

The import runs through aid.students.importer (the code the upload view uses) and is
rolled back afterwards, so the data set stays the same between runs."""
from __future__ import annotations

import io
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

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


LEDGER_REPEAT = 3


def _cpu() -> float:
    """CPU seconds of this process and its reaped children (the render workers)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _pdf_pages(data: bytes) -> int:
    from pypdf import PdfReader

    return len(PdfReader(io.BytesIO(data)).pages)


def _chromium(html_path, pdf_path) -> dict:
    """Headless Chromium prints the HTML file (a new browser each time): wall and CPU seconds."""
    out = subprocess.run([sys.executable, "-m", "tests.bench.chromium", str(html_path), str(pdf_path)],
                         capture_output=True, text=True, cwd=Path(__file__).resolve().parents[2])
    if out.returncode != 0:
        raise SystemExit(out.stderr[-500:])
    return json.loads(out.stdout.strip().splitlines()[-1])


def ledger(rows: int = 1000, repeat: int = LEDGER_REPEAT) -> dict:
    """The bench batch's ledger rendered by the product's service (aid.funds.ledger), the
    first time in this process (cold) and again (warm), alternating with headless Chromium
    printing the same HTML, so both see the same load; then stored once (if not yet) for
    the served-again measurement."""
    from aid.extensions import db
    from aid.funds import bench, ledger as L

    batch = bench.ensure_ledger_batch(rows)
    db.session.commit()
    t0 = time.perf_counter()
    led = L.build_ledger(batch)
    build_s = time.perf_counter() - t0
    db.session.commit()
    with tempfile.TemporaryDirectory(prefix="bench-ledger-") as tmp:
        html_path = Path(tmp) / "ledger.html"
        html_path.write_text(L.ledger_html(led), encoding="utf-8")
        chrome_pdf = Path(tmp) / "chromium.pdf"
        load = os.getloadavg()[0]
        product, product_cpu, chromium, chromium_cpu = [], [], [], []
        for _ in range(repeat + 1):
            stats: dict = {}
            c0, t0 = _cpu(), time.perf_counter()
            data = L.render_ledger_pdf(led, stats=stats)
            product.append(time.perf_counter() - t0)
            product_cpu.append(_cpu() - c0 + stats.get("worker_cpu_s", 0.0))
            chrome_run = _chromium(html_path, chrome_pdf)
            chromium.append(chrome_run["wall_s"])
            chromium_cpu.append(chrome_run["cpu_s"])
        chrome_pages = _pdf_pages(chrome_pdf.read_bytes())
    warm = statistics.median(product[1:])
    chrome = statistics.median(chromium)
    doc = L.render_and_store(batch.id, None)  # once: the stored ledger, if not stored yet
    db.session.commit()
    return {"rows": led.count, "pages": led.page_count, "pdf_pages": _pdf_pages(data), "chromium_pdf_pages": chrome_pages,
            "bytes": len(data), "build_s": build_s, "cold_s": product[0], "warm_s": product[1:],
            "warm_median_s": warm, "chromium_s": chromium, "chromium_median_s": chrome,
            "ratio": warm / chrome, "cold_ratio": product[0] / chrome,
            # CPU seconds of the product (this process and its render workers), and of
            # Chromium with all its helper processes
            "product_cpu_s": product_cpu, "render": stats, "chromium_cpu_s": chromium_cpu,
            "load_avg_1min_before": load, "cpus": os.cpu_count(),
            "batch_id": batch.id, "document_id": doc.id, "document_bytes": doc.size}


def _vm_hwm_mb(pid: str = "self") -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def ledger_rss(rows: int = 5000) -> dict:
    """Peak RSS (VmHWM) of this process, which renders a `rows`-row ledger the way the app
    does, and of the largest render worker process. The bench batch's rows are repeated
    (serials renumbered) to reach `rows`: a school of the data set has fewer students."""
    from dataclasses import replace

    from aid.core.money import capital_amount
    from aid.extensions import db
    from aid.funds import bench, ledger as L

    batch = bench.ensure_ledger_batch()
    db.session.commit()
    base = L.build_ledger(batch)
    db.session.commit()
    source = [row for page in base.pages for row in page.rows]
    lines = [replace(source[i % len(source)], serial=i + 1) for i in range(rows)]
    total = sum(r.amount_fen for r in lines)
    big = replace(base, pages=L.paginate(lines), count=rows, total_fen=total, total_capital=capital_amount(total))
    before = _vm_hwm_mb()
    stats: dict = {}
    t0 = time.perf_counter()
    data = L.render_ledger_pdf(big, stats=stats)
    seconds = time.perf_counter() - t0
    workers = max(stats.get("worker_peak_mb", 0), resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)
    return {"rows": rows, "pages": big.page_count, "pdf_pages": _pdf_pages(data), "bytes": len(data),
            "seconds": seconds, "app_hwm_before_mb": before, "app_hwm_mb": _vm_hwm_mb(),
            "largest_worker_mb": workers, "render": stats}


JOBS = {"sample": sample, "import": import_roster, "notice_pdf": notice_pdf, "flags": flags, "ledger": ledger,
        "ledger_rss": ledger_rss}


def main(argv: list[str]) -> None:
    from aid import create_app

    app = create_app()
    job = JOBS[argv[0]]
    with app.test_request_context():
        result = job(*(int(a) for a in argv[1:]))
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main(sys.argv[1:])
