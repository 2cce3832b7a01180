"""The providers for other areas' data, exercised with stand-in models that have the assumed
fields (the real ones arrive with the changes and funds areas)."""
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import Date, Integer, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from aid.extensions import db
from aid.programmes.semesters import Semester
from aid.reports.service import build_report
from aid.supervision import providers
from aid.supervision.flags import FLAGS_BY_CODE
from tests.world import add_student


class Base(DeclarativeBase):
    pass


class StatusChange(Base):
    __tablename__ = "test_sv_status_changes"
    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(Integer)
    student_id: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(10))
    happened_on: Mapped[date] = mapped_column(Date)
    deadline: Mapped[date] = mapped_column(Date)
    school_processed_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    state: Mapped[str] = mapped_column(String(20), default="approved")


class Allocation(Base):
    __tablename__ = "test_sv_allocations"
    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(Integer)
    programme_id: Mapped[int] = mapped_column(Integer)
    semester: Mapped[str] = mapped_column(String(12))
    amount_fen: Mapped[int] = mapped_column(Integer)


class PaymentBatch(Base):
    __tablename__ = "test_sv_batches"
    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(Integer)
    programme_id: Mapped[int] = mapped_column(Integer)
    semester: Mapped[str] = mapped_column(String(12))
    due_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    paid_on: Mapped[date | None] = mapped_column(Date, nullable=True)


class PaymentLine(Base):
    __tablename__ = "test_sv_lines"
    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(Integer)
    student_id: Mapped[int] = mapped_column(Integer)
    programme_id: Mapped[int] = mapped_column(Integer)
    batch_id: Mapped[int] = mapped_column(Integer)
    amount_fen: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(10))
    paid_at: Mapped[datetime | None] = mapped_column(nullable=True)


STAND_INS = {"StatusChange": StatusChange, "Allocation": Allocation, "PaymentBatch": PaymentBatch,
             "PaymentLine": PaymentLine}


@pytest.fixture
def stand_ins(world, monkeypatch):
    Base.metadata.create_all(db.engine)
    monkeypatch.setattr(providers, "_model", lambda area, name, fields: STAND_INS[name])
    yield
    db.session.rollback()
    Base.metadata.drop_all(db.engine)


def test_the_assumed_fields_are_the_ones_checked():
    for name, fields in (("StatusChange", providers.CHANGE_FIELDS), ("Allocation", providers.ALLOCATION_FIELDS),
                         ("PaymentLine", providers.LINE_FIELDS), ("PaymentBatch", providers.BATCH_FIELDS)):
        assert all(hasattr(STAND_INS[name], f) for f in fields)


def test_overdue_changes_and_change_report(stand_ins, world):
    a1, b1 = world.obj["A1"], world.obj["B1"]
    today = date.today()
    db.session.add_all([
        StatusChange(school_id=a1.school.id, student_id=a1.student.id, kind="suspend", happened_on=today - timedelta(days=40),
                     deadline=today - timedelta(days=25), school_processed_on=None),  # open past its deadline
        StatusChange(school_id=a1.school.id, student_id=a1.student.id, kind="withdraw", happened_on=today - timedelta(days=40),
                     deadline=today - timedelta(days=25), school_processed_on=today - timedelta(days=20)),  # late
        StatusChange(school_id=a1.school.id, student_id=a1.student.id, kind="resume", happened_on=today - timedelta(days=40),
                     deadline=today - timedelta(days=25), school_processed_on=today - timedelta(days=30)),  # on time
        StatusChange(school_id=b1.school.id, student_id=b1.student.id, kind="suspend", happened_on=today - timedelta(days=40),
                     deadline=today - timedelta(days=25), school_processed_on=None),
    ])
    db.session.commit()
    flag = FLAGS_BY_CODE["overdue_changes"]
    assert flag.count_fn(world.user("bureau_officer")).total == 2
    assert flag.count_fn(world.user("province_admin")).total == 3
    rows = flag.page(world.user("bureau_officer")).rows
    assert {r.cells[2] for r in rows} == {"休学", "退学"} and "尚未办理" in [r.cells[5] for r in rows]
    semester = Semester.containing(today - timedelta(days=40))
    table = build_report(world.user("bureau_officer"), semester, only="changes").tables[0]
    assert table.note == "" and table.total == ["合计", 3, 1, 1, 1]


def test_long_suspension_uses_the_change_date(stand_ins, world):
    a1 = world.obj["A1"]
    s = add_student(a1.school, a1.school_class, "休学三年", status="休学")
    s.updated_at = datetime.now()  # a recent edit does not hide the old suspension
    db.session.add(StatusChange(school_id=a1.school.id, student_id=s.id, kind="suspend",
                                happened_on=date.today() - timedelta(days=3 * 365),
                                deadline=date.today() - timedelta(days=3 * 365 - 14), school_processed_on=None))
    db.session.commit()
    rows = FLAGS_BY_CODE["long_suspension"].page(world.user("bureau_officer")).rows
    assert [r.cells[1] for r in rows] == ["休学三年"]


def test_funds_payments_and_paid_while_not_enrolled(stand_ins, world):
    a1 = world.obj["A1"]
    gone = add_student(a1.school, a1.school_class, "已退学领款", status="退学")
    db.session.add(Allocation(school_id=a1.school.id, programme_id=1, semester="2026-autumn", amount_fen=500000))
    db.session.add(Allocation(school_id=world.obj["B1"].school.id, programme_id=1, semester="2026-autumn", amount_fen=900000))
    batch = PaymentBatch(school_id=a1.school.id, programme_id=1, semester="2026-autumn")
    db.session.add(batch)
    db.session.flush()
    db.session.add_all([
        PaymentLine(school_id=a1.school.id, student_id=a1.student.id, programme_id=1, batch_id=batch.id, amount_fen=100000, status="paid",
                    paid_at=datetime(2026, 11, 5, 10)),  # within 90 days of 1 September: on time
        PaymentLine(school_id=a1.school.id, student_id=gone.id, programme_id=1, batch_id=batch.id, amount_fen=100000,
                    status="paid", paid_at=datetime(2026, 12, 5, 10)),  # late
        PaymentLine(school_id=a1.school.id, student_id=world.obj["A1b"].student.id, programme_id=1, batch_id=batch.id,
                    amount_fen=100000, status="failed"),
    ])
    db.session.commit()
    report = build_report(world.user("bureau_officer"), Semester.parse("2026-autumn"))
    assert report.table("funds").rows == [["T001", "A1技工学校", 500000, 200000, 300000]]
    assert report.table("timeliness").rows == [[1, 1, 0]]
    flag = FLAGS_BY_CODE["paid_not_enrolled"]
    assert flag.count_fn(world.user("bureau_officer")).total == 1
    assert flag.page(world.user("bureau_officer")).rows[0].cells[1] == "已退学领款"
    assert flag.count_fn(world.user("bureau_officer_b")).total == 0


def test_without_the_areas_the_figures_say_so(world):
    if providers.status_change_model() is None:
        table = build_report(world.user("province_admin"), Semester.parse("2026-autumn"), only="changes").tables[0]
        assert table.note == providers.UNAVAILABLE and table.rows == []
    if providers.payment_models() is None:
        assert FLAGS_BY_CODE["paid_not_enrolled"].count_fn(world.user("province_admin")) is None
