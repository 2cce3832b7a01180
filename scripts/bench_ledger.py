"""Ledger benchmark (DESIGN §4/§5), not a test: run it by hand.

    python scripts/bench_ledger.py [--rows 1000] [--big 5000] [--skip-big]

1. A `rows`-row ledger: the product's renderer (page ranges in parallel worker
   processes) vs single-process WeasyPrint vs headless Chromium printing the same
   HTML, on the same machine in one run.
2. The stored ledger served again through the real route (median of 20 GETs).
3. A `big`-row ledger: peak RSS of the app process (and of the largest worker).
"""
from __future__ import annotations

import argparse
import io
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

CHROMIUM = ["/usr/bin/chromium", "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync"]
NAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗郑"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉萍红"


def synthetic_ledger(n: int):
    from aid.core.money import capital_amount
    from aid.funds import ledger as L

    rows = [L.LedgerRow(i, NAMES[i % 20] + GIVEN[i % len(GIVEN)] + GIVEN[(i * 7) % len(GIVEN)], f"2024级数控加工{i % 9 + 1}班",
                        f"350102********{i % 10000:04d}", f"6217***********{(i * 37) % 10000:04d}", "国家助学金",
                        ("特别困难", "比较困难", "一般困难")[i % 3], (150000, 100000, 50000)[i % 3])
            for i in range(1, n + 1)]
    total = sum(r.amount_fen for r in rows)
    return L.Ledger(title="国家助学金发放台账", school="福州技师学院", programme="国家助学金", period_label="2025年秋季学期",
                    batch_no=1, pages=L.paginate(rows, L.ROWS_PER_PAGE), count=n, total_fen=total,
                    total_capital=capital_amount(total), preparer="资助经办", prepared_on="2025年10月9日",
                    reviewer="复核人", reviewed_on="2025年10月9日", leader="校长", locked_on="2025年10月10日")


def _cpu() -> float:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


CPU: dict[str, float] = {}


def timed(fn, label: str = ""):
    """Wall seconds (and CPU seconds of this process and its children, under `label`):
    CPU time shows the work when other jobs share the machine and stretch the wall clock."""
    t, c = time.perf_counter(), _cpu()
    result = fn()
    CPU[label] = _cpu() - c
    return time.perf_counter() - t, result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1000)
    parser.add_argument("--big", type=int, default=5000)
    parser.add_argument("--skip-big", action="store_true")
    parser.add_argument("--big-only", action="store_true")
    args = parser.parse_args()
    if args.big_only:
        big_only(args.big)
        return
    tmp = Path(tempfile.mkdtemp(prefix="ledger-bench-"))
    from aid import create_app
    from aid.funds import ledger as L

    app = create_app({"TESTING": True, "SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp / 'b.db'}",
                      "DATA_KEY_FILE": str(tmp / "data.key"), "STORAGE_DIR": str(tmp / "storage"),
                      "PASSWORD_HASH_FAST": True})
    with app.app_context():
        led = synthetic_ledger(args.rows)
        html_path = tmp / "ledger.html"
        html_path.write_text(L.ledger_html(led), encoding="utf-8")
        stats: dict = {}
        product_s, pdf = timed(lambda: L.render_ledger_pdf(led, stats=stats), "product")
        CPU["product"] += stats.get("worker_cpu_s", 0.0)  # workers forked by the render server
        from weasyprint import HTML
        single_s, _ = timed(lambda: HTML(filename=str(html_path)).write_pdf(), "single")
        chromium_s, proc = timed(lambda: subprocess.run(CHROMIUM + [f"--print-to-pdf={tmp / 'chromium.pdf'}",
                                                                    str(html_path)], capture_output=True),
                                   "chromium")
        from pypdf import PdfReader
        pages = len(PdfReader(io.BytesIO(pdf)).pages)
        chrome_pages = len(PdfReader(str(tmp / "chromium.pdf")).pages) if proc.returncode == 0 else 0
        print(f"{args.rows}-row ledger ({led.page_count} pages; product PDF {pages} pages, Chromium {chrome_pages}):")
        print(f"  load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
        print(f"  product renderer (parallel page ranges): {product_s:6.2f} s wall, {CPU['product']:6.2f} s CPU")
        print(f"  WeasyPrint, one process:                 {single_s:6.2f} s wall, {CPU['single']:6.2f} s CPU")
        print(f"  headless Chromium:                       {chromium_s:6.2f} s wall, {CPU['chromium']:6.2f} s CPU")
        print(f"  ratio product / Chromium:                {product_s / chromium_s:6.2f}x (target <= 2x)")
        serve_ms = serve_from_storage(app, pdf)
        print(f"  served from storage (real route, median of 20): {serve_ms:.1f} ms (target < 100 ms)")
    if not args.skip_big:  # in a fresh process: ru_maxrss is a lifetime peak
        subprocess.run([sys.executable, __file__, "--big-only", "--big", str(args.big)], check=True)


def big_only(rows: int) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="ledger-bench-big-"))
    from aid import create_app
    from aid.funds import ledger as L

    app = create_app({"TESTING": True, "SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp / 'b.db'}",
                      "DATA_KEY_FILE": str(tmp / "data.key"), "STORAGE_DIR": str(tmp / "storage")})
    with app.app_context():
        if True:
            big = synthetic_ledger(rows)
            before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            stats: dict = {}
            big_s, big_pdf = timed(lambda: L.render_ledger_pdf(big, stats=stats))
            app_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            worker_peak = max(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
                              stats.get("worker_peak_mb", 0))
            print(f"{rows}-row ledger: {big_s:.1f} s, {len(big_pdf) / 1e6:.1f} MB PDF; app process peak RSS "
                  f"{app_peak:.0f} MB (before: {before:.0f} MB), largest worker/child {worker_peak:.0f} MB (target app < 500 MB)")


def serve_from_storage(app, pdf: bytes) -> float:
    """Store the PDF on a locked batch of the test world and GET it through /funds/batches/<id>/ledger."""
    from flask_migrate import upgrade
    from aid.extensions import db
    from aid.funds.models import PaymentBatch
    from aid.printing.service import store_document
    from tests.conftest import Auth, FreshContextClient
    from tests.world import build_world

    upgrade(directory=str(Path(__file__).resolve().parent.parent / "migrations"))
    w = build_world()
    batch = w.obj["A1"].funds_batch
    doc = store_document(pdf, kind="disbursement_ledger", title="bench", school_id=batch.school_id)
    db.session.get(PaymentBatch, batch.id).ledger_document_id = doc.id
    db.session.commit()
    app.test_client_class = FreshContextClient
    client = app.test_client()
    Auth(client).login("a1_leader")
    times = []
    for _ in range(20):
        t = time.perf_counter()
        resp = client.get(f"/funds/batches/{batch.id}/ledger")
        body = resp.get_data()
        times.append((time.perf_counter() - t) * 1000)
        assert resp.status_code == 200 and len(body) == len(pdf)
    return statistics.median(times)


if __name__ == "__main__":
    main()
