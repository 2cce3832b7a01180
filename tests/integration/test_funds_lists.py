"""The allocation and batch lists page through a province's rows (50 a page) and the
allocation total covers every row of the filter, not only the page shown."""
from __future__ import annotations

from datetime import date

from aid.extensions import db
from aid.funds.models import Allocation, PaymentBatch
from tests.funds_support import grant


def _allocations(school_id, programme_id, n):
    for i in range(n):
        db.session.add(Allocation(school_id=school_id, programme_id=programme_id, semester="2026-spring",
                                  source="central", doc_number=f"财教〔2026〕{i + 1}号", doc_date=date(2026, 3, 1),
                                  amount_fen=10000 * (i + 1)))
    db.session.commit()


def test_allocation_list_pages_and_totals_the_whole_filter(client, auth, world):
    prog = grant()
    _allocations(world.obj["A1"].school.id, prog.id, 60)
    auth.login("a1_officer")
    first = client.get("/funds/allocations").get_data(as_text=True)
    assert first.count("财教〔2026〕") == 50 and "下一页" in first
    assert "183,000.00" in first  # 100 + 200 + … + 6,000 yuan: all 60 rows, not the page
    second = client.get("/funds/allocations?page=2", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert second.count("财教〔2026〕") == 10 and "下一页" not in second and "上一页" in second
    assert "<html" not in second  # an HTMX partial


def test_batch_list_pages(client, auth, world):
    prog = grant()
    school_id = world.obj["A1"].school.id
    before = db.session.query(PaymentBatch).filter(PaymentBatch.school_id == school_id).count()
    for i in range(55 - before):
        db.session.add(PaymentBatch(school_id=school_id, programme_id=prog.id, semester="2026-spring",
                                    period="2026-spring", state="cancelled", line_count=0, total_fen=0))
    db.session.commit()
    auth.login("a1_officer")
    first = client.get("/funds/batches").get_data(as_text=True)
    assert first.count('">第') == 50 and "下一页" in first
    second = client.get("/funds/batches?page=2").get_data(as_text=True)
    assert second.count('">第') == 5 and "下一页" not in second


def test_a_large_jurisdiction_sees_waivers_per_school_then_the_lines(client, auth, world, monkeypatch):
    from aid.funds import views
    from aid.funds.models import PaymentLine
    from tests.funds_support import waiver
    from tests.world import add_student

    prog = waiver()
    objs = world.obj["A1"]
    student = add_student(objs.school, objs.school_class, "冯免费", card=False)
    db.session.flush()
    batch = PaymentBatch(school_id=objs.school.id, programme_id=prog.id, semester="2026-spring",
                         period="2026-spring", state="locked", line_count=1, total_fen=120000)
    db.session.add(batch)
    db.session.flush()
    db.session.add(PaymentLine(batch_id=batch.id, school_id=objs.school.id, student_id=student.id,
                               programme_id=prog.id, period="2026-spring", serial=1, amount_fen=120000,
                               standard_fen=240000, status="waived"))
    db.session.commit()
    monkeypatch.setattr(views, "WAIVER_ROWS_UP_TO_SCHOOLS", 0)
    auth.login("a_bureau")
    summary = client.get("/funds/waivers?semester=2026-spring").get_data(as_text=True)
    assert "先按学校汇总" in summary and objs.school.name in summary and "冯免费" not in summary
    assert "1,200.00" in summary  # the school's waived total
    lines = client.get(f"/funds/waivers?semester=2026-spring&school_id={objs.school.id}").get_data(as_text=True)
    assert "冯免费" in lines and "2,400.00" in lines
