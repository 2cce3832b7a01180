"""Two batch builds at the same time never pay a student twice (SQLite and
PostgreSQL): through two browser sessions, and through two service calls that
both read before either writes, which only the database's unique index stops."""
from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from aid.auth.models import User
from aid.extensions import db
from aid.funds import service
from aid.funds.models import PaymentBatch, PaymentLine
from tests.conftest import Auth
from tests.funds_support import approved, give_card, grant
from tests.world import add_student

SEM = "2026-spring"


@pytest.fixture
def applicants(world):
    objs = world.obj["A1"]
    prog = grant()
    for i in range(6):
        s = add_student(objs.school, objs.school_class, f"并发{i}")
        give_card(s, 500 + i)
        approved(s, prog, amount_fen=100000, semester=SEM)
    db.session.commit()
    return prog


def _paid_twice(prog) -> list:
    return db.session.execute(
        select(PaymentLine.student_id, func.count()).where(
            PaymentLine.programme_id == prog.id, PaymentLine.period == SEM,
            PaymentLine.status.not_in(("failed", "cancelled")))
        .group_by(PaymentLine.student_id).having(func.count() > 1)).all()


def _line_count(prog) -> int:
    return db.session.scalar(select(func.count()).select_from(PaymentLine).where(
        PaymentLine.programme_id == prog.id, PaymentLine.period == SEM, PaymentLine.status != "cancelled"))


def test_two_tabs_build_at_once(app, applicants):
    prog = applicants
    prog_id = prog.id
    clients = []
    for username in ("a1_officer", "a1_officer2"):
        c = app.test_client()
        auth = Auth(c)
        assert auth.login(username).status_code == 302
        clients.append((c, auth.token("/funds/batches/new")))
    barrier = threading.Barrier(2)
    responses = []

    def build(client, token):
        with app.app_context():  # each thread its own context and session, as in a real server
            barrier.wait(timeout=10)
            resp = client.post("/funds/batches/new", data={"csrf_token": token, "programme_id": prog_id, "period": SEM})
            responses.append((resp.status_code, resp.get_data(as_text=True)))
            db.session.remove()

    threads = [threading.Thread(target=build, args=pair) for pair in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    db.session.expire_all()
    statuses = sorted(code for code, _ in responses)
    assert statuses == [302, 422], statuses
    loser = next(body for code, body in responses if code == 422)
    assert "已经发放，不能重复生成" in loser or "另一个" in loser
    assert not _paid_twice(prog)
    assert _line_count(prog) == 6
    assert db.session.scalar(select(func.count()).select_from(PaymentBatch).where(PaymentBatch.period == SEM)) == 1


def test_racing_service_calls_are_stopped_by_the_unique_index(app, applicants, monkeypatch):
    """A barrier inside the build holds both calls after their reads. On PostgreSQL
    both read "nobody paid yet" and the unique index refuses the second insert; on
    SQLite writers are serialised at BEGIN IMMEDIATE (aid.database), so the second
    waits and then finds the first batch. Either way: one batch, a Chinese message."""
    prog = applicants
    prog_id = prog.id
    officer_ids = [db.session.execute(select(User.id).where(User.username == name)).scalar_one()
                   for name in ("a1_officer", "a1_officer2")]
    school_id = db.session.execute(select(User.school_id).where(User.id == officer_ids[0])).scalar_one()
    barrier = threading.Barrier(2)
    real_holds = service.holds_for

    def holds_after_both_read(ids, on_date=None):
        result = real_holds(ids, on_date)
        try:
            barrier.wait(timeout=2 if db.engine.dialect.name == "sqlite" else 10)
        except threading.BrokenBarrierError:
            pass
        return result

    monkeypatch.setattr(service, "holds_for", holds_after_both_read)
    outcomes = []

    def build(user_id):
        with app.app_context():
            user = db.session.get(User, user_id)
            try:
                batch = service.build_batch(user, school_id=school_id, programme_id=prog_id, period_text=SEM)
                db.session.commit()
                outcomes.append(("ok", batch.line_count))
            except service.FundsError as exc:
                db.session.rollback()
                outcomes.append(("refused", str(exc)))
            finally:
                db.session.remove()

    db.session.commit()
    threads = [threading.Thread(target=build, args=(uid,)) for uid in officer_ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    db.session.expire_all()
    kinds = sorted(kind for kind, _ in outcomes)
    assert kinds == ["ok", "refused"], outcomes
    message = next(detail for kind, detail in outcomes if kind == "refused")
    assert "重复发放" in message or "另一个发放批次" in message or "已经发放，不能重复生成" in message
    assert not _paid_twice(prog)
    assert _line_count(prog) == 6


def test_the_database_refuses_a_second_line(app, applicants):
    """The rule holds without the service: a direct duplicate insert fails, a failed line frees the key."""
    from sqlalchemy.exc import IntegrityError

    prog = applicants
    from aid.students.models import Student

    sid = db.session.execute(select(User.school_id).where(User.username == "a1_officer")).scalar_one()
    batch = PaymentBatch(school_id=sid, programme_id=prog.id, semester=SEM, period=SEM)
    db.session.add(batch)
    db.session.flush()
    student = db.session.execute(select(Student).where(Student.name == "并发0")).scalar_one()
    first = PaymentLine(batch_id=batch.id, school_id=sid, student_id=student.id, programme_id=prog.id, period=SEM,
                        amount_fen=100, status="pending")
    db.session.add(first)
    db.session.commit()
    db.session.add(PaymentLine(batch_id=batch.id, school_id=sid, student_id=student.id, programme_id=prog.id,
                               period=SEM, amount_fen=100, status="paid"))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()
    first = db.session.get(PaymentLine, first.id)
    first.status = "failed"
    db.session.commit()
    carried = PaymentLine(batch_id=batch.id, school_id=sid, student_id=student.id, programme_id=prog.id, period=SEM,
                          amount_fen=100, status="pending", carried_from_id=first.id)
    db.session.add(carried)
    db.session.commit()
    assert carried.id
