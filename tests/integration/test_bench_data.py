"""The benchmark data generator at a tiny size: it runs, its rows are consistent, its
audit chain verifies and its logins work (no timing here: tests/bench measures)."""
from sqlalchemy import func, select

from aid.applications.models import Application
from aid.audit.service import verify_chain
from aid.changes.models import StatusChange
from aid.core.identity import parse_resident_id
from aid.core.protected import cipher
from aid.extensions import db
from aid.funds.ledger import build_ledger
from aid.funds.models import Allocation, PaymentBatch, PaymentLine
from aid.hardship.models import HardshipApplication
from aid.notices.models import Notice, NoticeItem
from aid.ops.benchdata import BENCH_PASSWORD, build
from aid.students.models import Student
from tests.conftest import login_client


def count(model, *where):
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_bench_data_at_tiny_size(ctx):
    out = []
    built = build(3, 60, seed=3, echo=out.append)
    assert len(built.school_ids) == 3 and len(built.student_ids) == 60
    assert {role for role, *_ in built.logins} == {"province_admin", "bureau_officer", "school_officer",
                                                   "school_leader", "student"}
    numbers = [cipher().decrypt(s.id_number_enc) for s in db.session.scalars(select(Student))]
    assert len(set(numbers)) == 60 and all(parse_resident_id(n).number == n for n in numbers)
    assert {"part_time", "full_time"} == set(db.session.scalars(select(Student.study_mode).distinct()))

    assert 100 <= count(Application) <= 130  # about two per student
    states = set(db.session.scalars(select(Application.state).distinct()))
    assert {"draft", "submitted", "reviewed", "school_approved", "on_notice", "noticed", "bureau_approved",
            "disbursed"} <= states
    assert count(Application, Application.school_id != select(Student.school_id).where(
        Student.id == Application.student_id).scalar_subquery()) == 0
    assert count(HardshipApplication) > 0 and count(StatusChange) > 0
    assert count(Notice) > 0 and count(NoticeItem) > 0
    # the locked batch whose ledger the benchmark renders (1,000 lines at full size)
    batch = db.session.execute(select(PaymentBatch).where(PaymentBatch.note.like("基准测试发放批次%"))).scalar_one()
    assert batch.state == "locked" and batch.school_id == built.users["school_officer"].school_id
    assert 0 < batch.line_count == count(PaymentLine, PaymentLine.batch_id == batch.id)
    led = build_ledger(batch)
    assert led.count == batch.line_count and led.total_fen == batch.total_fen
    assert all(row.card.startswith("6") and "*" in row.card for page in led.pages for row in page.rows)

    # funds: a disbursed application has one paid (or bank-failed) line, unless the ledger batch
    # already pays its student; batches add up; each school received at least what it paid
    disbursed = count(Application, Application.state == "disbursed")
    by_application = count(PaymentLine, PaymentLine.application_id.is_not(None),
                           PaymentLine.status.in_(("paid", "failed")))
    assert 0 < by_application <= disbursed
    assert by_application == db.session.scalar(select(func.count(func.distinct(PaymentLine.application_id)))
                                               .where(PaymentLine.status.in_(("paid", "failed"))))
    assert {"returned", "draft"} <= set(db.session.scalars(select(PaymentBatch.state).distinct()))
    for batch in db.session.scalars(select(PaymentBatch)):
        lines = db.session.execute(select(func.count(), func.sum(PaymentLine.amount_fen))
                                   .where(PaymentLine.batch_id == batch.id)).one()
        assert (batch.line_count, batch.total_fen) == (lines[0], lines[1])
    for school_id in built.school_ids:
        allocated = db.session.scalar(select(func.sum(Allocation.amount_fen)).where(Allocation.school_id == school_id))
        paid = db.session.scalar(select(func.sum(PaymentLine.amount_fen)).where(
            PaymentLine.school_id == school_id, PaymentLine.status == "paid"))
        assert (allocated or 0) >= (paid or 0)

    # the trigger-kept tallies agree with the students table, one row per key (folded at the end)
    from aid.students import tallies
    from aid.students.models import StudentTally
    assert tallies.check() == []
    assert count(StudentTally) == len(db.session.execute(select(
        StudentTally.school_id, StudentTally.study_mode, StudentTally.status, StudentTally.registration_state)
        .distinct()).all())
    from aid.applications import tallies as application_tallies
    from aid.applications.models import ApplicationTally
    assert application_tallies.check() == []
    assert count(ApplicationTally) == len(db.session.execute(select(
        ApplicationTally.school_id, ApplicationTally.semester, ApplicationTally.programme_id, ApplicationTally.level,
        ApplicationTally.state).distinct()).all())

    # the stored red-flag counts the pages read equal the live counts
    from aid.supervision import flag_store
    from aid.supervision.flags import flag_counts
    for role in ("province_admin", "bureau_officer"):
        user = built.users[role]
        stored = flag_store.summary(user)
        assert stored.as_of is not None
        assert [(f.code, c and (c.total, c.reviewed)) for f, c in stored.counts] == \
            [(f.code, c and (c.total, c.reviewed)) for f, c in flag_counts(user)]

    result = verify_chain()
    assert result.ok, result.message
    assert result.checked >= 1000

    client = login_client(ctx, "bench_officer", BENCH_PASSWORD)
    page = client.get("/applications/queue")
    assert page.status_code == 200
