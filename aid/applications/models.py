"""Aid applications: one per student, programme and semester."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from aid.extensions import db
from aid.timeutil import utcnow


class Application(db.Model):
    __tablename__ = "applications"
    __table_args__ = (UniqueConstraint("student_id", "programme_id", "semester"),
                      db.Index("ix_applications_queue", "school_id", "semester", "state"),
                      # a whole province's counts per state in one semester, index-only (school_id
                      # included: a bureau's school list is answered from it too, without table reads)
                      db.Index("ix_applications_semester_state", "semester", "state", "school_id"),
                      # "has this student approved aid this semester": one index probe (应助尽助)
                      db.Index("ix_applications_student_semester_state", "student_id", "semester", "state"))
    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("students.id"), index=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programmes.id"), index=True)
    programme_version_id: Mapped[int] = mapped_column(ForeignKey("programme_versions.id"))
    semester: Mapped[str] = mapped_column(String(12))  # "2025-autumn"
    level: Mapped[str] = mapped_column(String(20), default="")  # grant level name, '' when not tiered
    amount_fen: Mapped[int] = mapped_column(default=0)  # for the semester
    state: Mapped[str] = mapped_column(String(20), default="draft", index=True)
    note: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    student = relationship("Student")
    programme = relationship("Programme")
    programme_version = relationship("ProgrammeVersion")
    school = relationship("School")

    __mapper_args__ = {"version_id_col": version}


class ApplicationTally(db.Model):
    """Applications per school, semester, programme, level and state, kept by database triggers
    (migration 0017; aid/applications/tallies.py reads them): the queue's tabs and the waiting-work
    badges. Always read as SUM(n) per key: on PostgreSQL the triggers append +1/-1 rows until
    they are compacted."""
    __tablename__ = "application_tallies"
    __table_args__ = (db.Index("ix_application_tallies_key", "school_id", "semester", "programme_id", "level", "state"),
                      # a province's or a bureau's semester, read from the index alone
                      db.Index("ix_application_tallies_semester_state", "semester", "state", "school_id", "n"))
    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int]
    semester: Mapped[str] = mapped_column(String(12))
    programme_id: Mapped[int]
    level: Mapped[str] = mapped_column(String(20))
    state: Mapped[str] = mapped_column(String(20))
    n: Mapped[int]
