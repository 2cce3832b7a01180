"""Status changes (学籍异动), their evidence files, and the working-day calendar table."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from aid.extensions import db
from aid.timeutil import utcnow

CHANGE_KINDS = {
    "suspend": "休学",
    "resume": "复学",
    "withdraw": "退学",
    "transfer": "转学",
    "repeat": "留级",
    "military": "入伍",
    "switch_class": "转专业/转班",
}


class CalendarDay(db.Model):
    """An administrator's entry for one day: wins over the package and the weekday rule."""

    __tablename__ = "calendar_days"
    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date, unique=True)
    is_workday: Mapped[bool]
    note: Mapped[str] = mapped_column(String(200), default="")
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    creator = relationship("User")

    def audit_view(self) -> dict:
        return {"day": self.day, "is_workday": self.is_workday, "note": self.note}


class CalendarYear(db.Model):
    """A year the administrator declared complete: its holidays and make-up days are entered."""

    __tablename__ = "calendar_years"
    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    note: Mapped[str] = mapped_column(String(200), default="")
    declared_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    declared_at: Mapped[datetime] = mapped_column(default=utcnow)

    declarer = relationship("User")


class StatusChange(db.Model):
    __tablename__ = "status_changes"
    __table_args__ = (db.Index("ix_status_changes_queue", "school_id", "state"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)  # the student's school when recorded
    target_school_id: Mapped[int | None] = mapped_column(ForeignKey("schools.id"), index=True)  # transfers
    student_id: Mapped[int] = mapped_column(ForeignKey("students.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16), index=True)
    # indexed in the queue's order (happened_on, id): a page stops after its rows instead of sorting all
    happened_on: Mapped[date] = mapped_column(Date, index=True)
    reason: Mapped[str] = mapped_column(Text)
    from_class_id: Mapped[int | None] = mapped_column(ForeignKey("school_classes.id"))
    # 留级 / 转专业 / 转班: the new class; 转学: the class the receiving school places the student in
    target_class_id: Mapped[int | None] = mapped_column(ForeignKey("school_classes.id"))
    status_before: Mapped[str] = mapped_column(String(8), default="")
    state: Mapped[str] = mapped_column(String(20), default="new", index=True)
    # the day the school finished its processing (leader approval): decides on time / late
    school_processed_on: Mapped[date | None] = mapped_column(Date)
    # the processing deadline fixed when recorded (None when the calendar lacks the year);
    # stored so supervision can count overdue changes in SQL
    deadline: Mapped[date | None] = mapped_column(Date, index=True)
    completed_at: Mapped[datetime | None]
    recorded_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    student = relationship("Student")
    school = relationship("School", foreign_keys=[school_id])
    target_school = relationship("School", foreign_keys=[target_school_id])
    from_class = relationship("SchoolClass", foreign_keys=[from_class_id])
    target_class = relationship("SchoolClass", foreign_keys=[target_class_id])
    recorder = relationship("User", foreign_keys=[recorded_by])
    evidence: Mapped[list[ChangeEvidence]] = relationship(back_populates="change", order_by="ChangeEvidence.id")

    __mapper_args__ = {"version_id_col": version}

    @property
    def kind_label(self) -> str:
        return CHANGE_KINDS.get(self.kind, self.kind)

    @property
    def is_transfer(self) -> bool:
        return self.kind == "transfer"

    def audit_view(self) -> dict:
        return {"student_id": self.student_id, "kind": self.kind, "happened_on": self.happened_on,
                "reason": self.reason, "target_school_id": self.target_school_id,
                "target_class_id": self.target_class_id, "state": self.state}


class ChangeEvidence(db.Model):
    """An uploaded evidence file, stored under STORAGE_DIR (never under static/)."""

    __tablename__ = "status_change_evidence"
    id: Mapped[int] = mapped_column(primary_key=True)
    change_id: Mapped[int] = mapped_column(ForeignKey("status_changes.id"), index=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    filename: Mapped[str] = mapped_column(String(200))
    mimetype: Mapped[str] = mapped_column(String(40))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    path: Mapped[str] = mapped_column(String(300))
    uploaded_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)

    change: Mapped[StatusChange] = relationship(back_populates="evidence")
    uploader = relationship("User")
