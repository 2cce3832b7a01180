"""Funds: allocations, payment batches and lines, exclusions, settlements.

Paying a student at most once per programme and period is a database rule: the
partial unique index `uq_payment_lines_once` covers every payment line whose
status is not `failed` or `cancelled`. A line the bank returned keeps its row
(status `failed`, the evidence of the failure) and drops out of the index, so
the line that carries it into a later batch (`carried_from_id` → the failed
line) takes its place under the same key. A failed line can be carried only
once (`carried_to_id`), and every other status — pending, paid, waived,
recovered — holds the key, so two builds racing for the same student and
period cannot both commit: the second insert violates the index on SQLite and
PostgreSQL alike.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from aid.extensions import db
from aid.timeutil import utcnow

def period_label(key: str) -> str:
    from aid.funds.periods import parse_period
    try:
        return parse_period(key).label
    except ValueError:
        return key


FUND_SOURCES = {"central": "中央", "province": "省级", "city": "市级", "county": "县级"}

BATCH_STATES = {"draft": "编制中", "reviewed": "已复核", "locked": "已锁定", "returned": "银行已回盘",
                "cancelled": "已作废"}
OPEN_BATCH_STATES = ("draft", "reviewed", "locked")

LINE_STATUSES = {"pending": "待发放", "paid": "已发放", "failed": "发放失败", "waived": "已减免",
                 "recovered": "已追回", "cancelled": "已作废"}
# statuses that do not hold the (student, programme, period) key
FREE_STATUSES = ("failed", "cancelled")
# statuses that mean the money reached the student (or the fee was waived)
DONE_STATUSES = ("paid", "waived", "recovered")


class Allocation(db.Model):
    """Funds a school receives for a programme and semester from one source (资金下达)."""

    __tablename__ = "fund_allocations"
    __table_args__ = (CheckConstraint("amount_fen >= 0", name="amount_not_negative"),
                      Index("ix_fund_allocations_key", "school_id", "programme_id", "semester"))
    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programmes.id"))
    semester: Mapped[str] = mapped_column(String(12))
    source: Mapped[str] = mapped_column(String(10))
    doc_number: Mapped[str] = mapped_column(String(100))
    doc_date: Mapped[date]
    amount_fen: Mapped[int]
    note: Mapped[str] = mapped_column(String(500), default="")
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    school = relationship("School")
    programme = relationship("Programme")

    @property
    def source_label(self) -> str:
        return FUND_SOURCES.get(self.source, self.source)

    @property
    def semester_label(self) -> str:
        return period_label(self.semester)

    def audit_view(self) -> dict:
        return {"school_id": self.school_id, "programme_id": self.programme_id, "semester": self.semester,
                "source": self.source, "doc_number": self.doc_number, "doc_date": self.doc_date,
                "amount_fen": self.amount_fen}


class PaymentBatch(db.Model):
    """A school's payments for one programme and period (a semester or a month)."""

    __tablename__ = "payment_batches"
    __table_args__ = (Index("ix_payment_batches_key", "school_id", "programme_id", "semester"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programmes.id"))
    semester: Mapped[str] = mapped_column(String(12))  # "2025-autumn"
    period: Mapped[str] = mapped_column(String(12))  # the semester, or a month "2025-10"
    state: Mapped[str] = mapped_column(String(12), default="draft", index=True)
    corrects_batch_id: Mapped[int | None] = mapped_column(ForeignKey("payment_batches.id"))
    note: Mapped[str] = mapped_column(String(500), default="")
    line_count: Mapped[int] = mapped_column(default=0)
    total_fen: Mapped[int] = mapped_column(default=0)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    reviewed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reviewed_at: Mapped[datetime | None]
    locked_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    locked_at: Mapped[datetime | None]
    ledger_document_id: Mapped[int | None] = mapped_column(ForeignKey("stored_documents.id"))
    ledger_job_id: Mapped[int | None] = mapped_column(ForeignKey("jobs.id"))
    bank_exported_at: Mapped[datetime | None]
    bank_returned_at: Mapped[datetime | None]
    version: Mapped[int] = mapped_column(default=1)

    school = relationship("School")
    programme = relationship("Programme")
    creator = relationship("User", foreign_keys=[created_by])
    reviewer = relationship("User", foreign_keys=[reviewed_by])
    locker = relationship("User", foreign_keys=[locked_by])

    __mapper_args__ = {"version_id_col": version}

    @property
    def state_label(self) -> str:
        return BATCH_STATES.get(self.state, self.state)

    @property
    def period_label(self) -> str:
        return period_label(self.period)

    @property
    def is_locked(self) -> bool:
        return self.state in ("locked", "returned")

    def audit_view(self) -> dict:
        return {"programme_id": self.programme_id, "period": self.period, "state": self.state,
                "line_count": self.line_count, "total_fen": self.total_fen}


class PaymentLine(db.Model):
    """One payment (or waiver) to one student for one programme and period."""

    __tablename__ = "payment_lines"
    __table_args__ = (
        CheckConstraint("amount_fen >= 0", name="amount_not_negative"),
        Index("uq_payment_lines_once", "student_id", "programme_id", "period", unique=True,
              sqlite_where=text("status NOT IN ('failed', 'cancelled')"),
              postgresql_where=text("status NOT IN ('failed', 'cancelled')")),
        Index("ix_payment_lines_batch", "batch_id", "serial"),
        # the settlement roll-up per programme and period over a province: index-only
        Index("ix_payment_lines_rollup", "programme_id", "period", "school_id", "status", "student_id", "amount_fen"),
        # the recovery list: paid lines of the students who can be held, without the table rows
        Index("ix_payment_lines_recovery", "student_id", "status", "school_id", "period"),
        # the recovered lines, newest first (a bureau's list no longer walks its schools' lines)
        Index("ix_payment_lines_recovered", "status", "recovered_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("payment_batches.id"))
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("students.id"), index=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programmes.id"))
    application_id: Mapped[int | None] = mapped_column(ForeignKey("applications.id"), index=True)
    period: Mapped[str] = mapped_column(String(12))
    serial: Mapped[int] = mapped_column(default=0)
    level: Mapped[str] = mapped_column(String(20), default="")
    amount_fen: Mapped[int]
    # the tuition standard a waiver is recorded against (fen per year); 0 for card payments
    standard_fen: Mapped[int] = mapped_column(default=0)
    status: Mapped[str] = mapped_column(String(12), default="pending", index=True)
    # the card the payment goes to, as it was when the batch was built
    card_kind: Mapped[str] = mapped_column(String(16), default="")
    card_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    card_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    card_masked: Mapped[str] = mapped_column(String(30), default="")
    failure_reason: Mapped[str] = mapped_column(String(300), default="")
    carried_from_id: Mapped[int | None] = mapped_column(ForeignKey("payment_lines.id"), unique=True)
    carried_to_id: Mapped[int | None] = mapped_column(ForeignKey("payment_lines.id"))
    paid_at: Mapped[datetime | None]
    confirmed_at: Mapped[datetime | None]  # the student confirmed receipt online
    recovered_at: Mapped[datetime | None]
    recovered_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    recovery_note: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    batch = relationship("PaymentBatch")
    student = relationship("Student")
    programme = relationship("Programme")

    @property
    def status_label(self) -> str:
        return LINE_STATUSES.get(self.status, self.status)

    @property
    def period_label(self) -> str:
        return period_label(self.period)

    def audit_view(self) -> dict:
        return {"student_id": self.student_id, "period": self.period, "amount_fen": self.amount_fen,
                "status": self.status, "card": self.card_masked, "failure_reason": self.failure_reason}


class BatchExclusion(db.Model):
    """A student left out of a batch, with the reason (hold, card, enrolment, already paid)."""

    __tablename__ = "batch_exclusions"
    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("payment_batches.id"), index=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("students.id"))
    application_id: Mapped[int | None] = mapped_column(ForeignKey("applications.id"))
    carried_line_id: Mapped[int | None] = mapped_column(ForeignKey("payment_lines.id"))
    period: Mapped[str] = mapped_column(String(12))
    code: Mapped[str] = mapped_column(String(20))  # hold | card | enrolment | already_paid
    reason: Mapped[str] = mapped_column(String(300))

    student = relationship("Student")


class PaymentLineTally(db.Model):
    """Payment lines and their amounts per programme, period, school and status, kept by database
    triggers (migration 0019) like the student and application tallies: the settlement roll-up
    of a province sums a few thousand rows instead of its ≈ 60,000 lines a semester. Always read
    as SUM(n), SUM(amount_fen) per key: on PostgreSQL the triggers append +/- rows until
    `flask --app app funds tallies --compact` folds them."""
    __tablename__ = "payment_line_tallies"
    __table_args__ = (Index("ix_payment_line_tallies_key", "programme_id", "period", "school_id", "status",
                            "n", "amount_fen"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int]
    period: Mapped[str] = mapped_column(String(12))
    school_id: Mapped[int]
    status: Mapped[str] = mapped_column(String(12))
    n: Mapped[int]
    amount_fen: Mapped[int] = mapped_column(BigInteger)


class Settlement(db.Model):
    """A school's semester settlement for one programme (学期结算), with its statement."""

    __tablename__ = "fund_settlements"
    __table_args__ = (UniqueConstraint("school_id", "programme_id", "semester"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programmes.id"))
    semester: Mapped[str] = mapped_column(String(12))
    allocated_fen: Mapped[int]
    paid_fen: Mapped[int]
    returned_fen: Mapped[int]
    recovered_fen: Mapped[int]
    surplus_fen: Mapped[int]
    students_registered: Mapped[int]
    students_aided: Mapped[int]
    note: Mapped[str] = mapped_column(Text, default="")
    settled_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    settled_at: Mapped[datetime] = mapped_column(default=utcnow)
    document_id: Mapped[int | None] = mapped_column(ForeignKey("stored_documents.id"))

    school = relationship("School")
    programme = relationship("Programme")
    settler = relationship("User")

    @property
    def semester_label(self) -> str:
        return period_label(self.semester)

    def audit_view(self) -> dict:
        return {k: getattr(self, k) for k in ("programme_id", "semester", "allocated_fen", "paid_fen",
                                              "returned_fen", "recovered_fen", "surplus_fen",
                                              "students_registered", "students_aided", "note")}
