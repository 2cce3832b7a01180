"""The printed notice: A4, the table header repeated on every page, page
numbers "第 x 页 共 y 页", title, period, contact, a place for the seal."""
from __future__ import annotations

import io
from datetime import date

from pypdf import PdfReader

from aid.notices.models import Notice, NoticeItem
from aid.notices.service import render_notice_pdf
from aid.org.models import School


def test_long_notice_repeats_its_header_and_numbers_its_pages(app):
    with app.test_request_context():
        school = School(code="9", name="测试技师学院", kind="技师学院")
        notice = Notice(kind="scholarship", semester="2025-autumn", title="测试技师学院国家奖学金推荐名单公示",
                        contact="学生资助管理部门，电话 0591-00000000", state="posted",
                        first_day=date(2025, 9, 29), end_day=date(2025, 10, 11), workdays=5)
        notice.school = school
        notice.items = [NoticeItem(position=i, state="listed", name=f"学生{i:03d}", school=school.name,
                                   major_class="数控加工／2024级1班", year="二年级", programme="国家奖学金", level="")
                        for i in range(60)]
        reader = PdfReader(io.BytesIO(render_notice_pdf(notice)))
    pages = [p.extract_text() for p in reader.pages]
    assert len(pages) >= 2
    for n, text in enumerate(pages, start=1):
        assert "姓名" in text and "专业/班级" in text, f"page {n} lacks the table header"
        assert f"第 {n} 页 共 {len(pages)} 页" in text
    box = reader.pages[0].mediabox
    assert (round(float(box.width) / 72 * 25.4), round(float(box.height) / 72 * 25.4)) == (210, 297)
    text = "".join(pages)
    assert "测试技师学院国家奖学金推荐名单公示" in text and "2025年10月11日" in text
    assert "（盖章）" in text and "0591-00000000" in text and "学生059" in text
