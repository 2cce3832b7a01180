"""Report snapshots: a bureau's or the province's report sums stored per-school figures that
equal the live report; 刷新 and `flask reports refresh` store them; a GET never does; a
school's report stays live."""
from __future__ import annotations

from sqlalchemy import func, select

from aid.extensions import db
from aid.programmes.semesters import Semester
from aid.reports import service
from aid.reports.models import ReportFigure, ReportSnapshot
from aid.scoping import school_ids
from tests.conftest import csrf_from
from tests.integration.test_reports import SEMESTER, _apply, _data, _programme
from tests.world import add_student

SEM = Semester.parse(SEMESTER)


def _tables(report):
    return [(t.code, t.rows, t.total, t.note) for t in report.tables]


def _snapshots():
    return db.session.scalar(select(func.count()).select_from(ReportSnapshot))


def test_stored_figures_give_the_live_report(world):
    _data(world)
    for role in ("province_admin", "bureau_officer"):
        user = world.user(role)
        live = service.build_report(user, SEM)
        service.refresh_snapshots(school_ids(user), SEM)
        db.session.commit()
        stored = service.jurisdiction_report(user, SEM)
        assert stored.as_of is not None and stored.stored
        assert _tables(stored) == _tables(live)
    priority = stored.table("priority")
    assert priority.rows == [["最低生活保障家庭学生", 2, 1, "50%"]]


def test_schools_without_stored_figures_are_computed_live_and_a_get_writes_nothing(world, client, auth):
    _data(world)
    admin = world.user("province_admin")
    a1 = world.schools["A1"].id
    service.refresh_snapshots([a1], SEM)          # only one school stored
    db.session.commit()
    assert _tables(service.jurisdiction_report(admin, SEM)) == _tables(service.build_report(admin, SEM))
    db.session.execute(ReportFigure.__table__.delete())
    db.session.execute(ReportSnapshot.__table__.delete())
    db.session.commit()
    auth.login("p_admin")
    page = client.get(f"/reports/?semester={SEMESTER}").get_data(as_text=True)
    assert "实时统计" in page and "国家助学金" in page
    assert _snapshots() == 0


def test_the_page_shows_stored_figures_until_refresh(world, client, auth):
    _data(world)
    admin = world.user("province_admin")
    service.refresh_snapshots(school_ids(admin), SEM)
    db.session.commit()
    auth.login("p_admin")
    page = client.get(f"/reports/?semester={SEMESTER}").get_data(as_text=True)
    assert "数据截至" in page and "4,200.00" in page          # 420,000 fen aided
    o = world.obj["A2"]
    late = add_student(o.school, o.school_class, "新受助生")
    _apply(late, _programme("national_grant", "国家助学金"), "disbursed", 100000)
    db.session.commit()
    assert "5,200.00" not in client.get(f"/reports/?semester={SEMESTER}").get_data(as_text=True)
    # a chosen school is live
    school_page = client.get(f"/reports/?semester={SEMESTER}&school_id={o.school.id}").get_data(as_text=True)
    assert "数据截至" not in school_page and "新受助生" not in school_page
    token = csrf_from(page)
    resp = client.post(f"/reports/refresh?semester={SEMESTER}", data={"csrf_token": token})
    assert resp.status_code == 302
    page = client.get(f"/reports/?semester={SEMESTER}").get_data(as_text=True)
    assert "5,200.00" in page and "统计数据已刷新" in page


def test_a_bureau_refreshes_its_own_schools_only_and_schools_cannot_refresh(world, client, auth):
    _data(world)
    auth.login("a_bureau")
    token = csrf_from(client.get(f"/reports/?semester={SEMESTER}").get_data(as_text=True))
    assert client.post(f"/reports/refresh?semester={SEMESTER}", data={"csrf_token": token}).status_code == 302
    stored = set(db.session.execute(select(ReportSnapshot.school_id)).scalars())
    assert stored == {world.schools["A1"].id, world.schools["A2"].id}
    auth.logout()
    auth.login("a1_officer")
    page = client.get(f"/reports/?semester={SEMESTER}").get_data(as_text=True)
    assert "数据截至" not in page and "刷新" not in page
    token = csrf_from(page)
    assert client.post(f"/reports/refresh?semester={SEMESTER}", data={"csrf_token": token}).status_code == 403


def test_the_export_of_a_jurisdiction_carries_the_stored_figures(world, client, auth):
    import io

    from openpyxl import load_workbook

    _data(world)
    bureau = world.user("bureau_officer")
    service.refresh_snapshots(school_ids(bureau), SEM)
    db.session.commit()
    o = world.obj["A1"]
    _apply(add_student(o.school, o.school_class, "快照后"), _programme("national_grant", "国家助学金"), "disbursed", 1)
    db.session.commit()
    auth.login("a_bureau")
    resp = client.get(f"/reports/export/applications.xlsx?semester={SEMESTER}")
    total = list(load_workbook(io.BytesIO(resp.data)).active.iter_rows(values_only=True))[-1]
    assert total[0] == "合计" and total[2] == 4 and float(total[4]) == 2700.00


def test_refresh_command(world, app):
    _data(world)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["reports", "refresh", "--semester", SEMESTER])
    assert result.exit_code == 0, result.output
    assert "已汇总" in result.output
    db.session.expire_all()
    assert _snapshots() == len(world.schools)
    admin = world.user("province_admin")
    assert _tables(service.jurisdiction_report(admin, SEM)) == _tables(service.build_report(admin, SEM))
    again = runner.invoke(args=["reports", "refresh", "--semester", SEMESTER])   # replaces, never duplicates
    assert again.exit_code == 0 and _snapshots() == len(world.schools)
    assert runner.invoke(args=["reports", "refresh", "--semester", "bad"]).exit_code == 2


def test_the_computation_does_not_hold_the_write_lock(world, monkeypatch):
    """While a refresh computes (seconds for a province), another writer gets the lock."""
    import sqlite3

    import pytest

    if db.engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL readers never block writers")
    _data(world)
    computed = service.FIGURES["registered"]
    writes = []

    def registered_while_another_writes(ids, semester):
        figures = computed(ids, semester)  # the refresh's transaction has begun
        other = sqlite3.connect(db.engine.url.database, timeout=0.5, isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")  # "database is locked" if the refresh held the write lock
            other.execute("ROLLBACK")
            writes.append(True)
        finally:
            other.close()
        return figures

    monkeypatch.setitem(service.FIGURES, "registered", registered_while_another_writes)
    admin = world.user("province_admin")
    service.refresh_snapshots(school_ids(admin), SEM)
    assert writes == [True]
    assert _snapshots() == len(school_ids(admin))
