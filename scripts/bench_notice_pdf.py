"""Benchmark (not a test): render a 50-row public notice PDF.

    .venv/bin/python scripts/bench_notice_pdf.py [rows]

Prints the first (cold: fonts loaded) and the median of five warm renders.
Target (DESIGN §5): a 50-row notice < 1.5 s on the 2-core machine."""
from __future__ import annotations

import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main(rows: int = 50) -> None:
    from aid import create_app
    from aid.notices.models import Notice, NoticeItem
    from aid.notices.service import render_notice_pdf
    from aid.org.models import School

    tmp = tempfile.mkdtemp(prefix="bench-notice-")
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/b.sqlite3", "DATA_KEY_FILE": f"{tmp}/k",
                      "SECRET_KEY": "bench", "STORAGE_DIR": tmp})
    surnames, given = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗郑", "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平"
    with app.test_request_context():
        school = School(code="3501001", name="福州技师学院", kind="技师学院", contact_phone="0591-87505301")
        notice = Notice(kind="grant", semester="2025-autumn", title="福州技师学院2025年秋季学期助学金受助学生名单公示",
                        contact="福州技师学院学生资助管理部门，电话 0591-87505301", state="posted",
                        first_day=date(2025, 9, 29), end_day=date(2025, 10, 11), workdays=5)
        notice.school = school
        notice.items = [NoticeItem(position=i, state="listed", name=surnames[i % 20] + given[(i * 7) % 20] + given[i % 20],
                                   school=school.name, major_class=f"汽车维修／2024级汽车维修{i % 3 + 1}班",
                                   year="二年级", programme="国家助学金", level=("一档", "二档", "三档")[i % 3])
                        for i in range(rows)]
        t0 = time.perf_counter()
        data = render_notice_pdf(notice)
        cold = time.perf_counter() - t0
        warm = []
        for _ in range(5):
            t0 = time.perf_counter()
            render_notice_pdf(notice)
            warm.append(time.perf_counter() - t0)
    print(f"{rows}-row notice PDF: {len(data)} bytes; cold {cold:.2f} s; warm median {statistics.median(warm):.2f} s "
          f"(min {min(warm):.2f}, max {max(warm):.2f})")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 50)
