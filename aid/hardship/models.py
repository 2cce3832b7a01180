"""Family economic hardship determination (家庭经济困难学生认定, 教财〔2018〕16号)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from aid.extensions import db
from aid.timeutil import utcnow

DEFAULT_LEVELS = ("特别困难", "比较困难", "一般困难", "不困难")


class HardshipCategory(db.Model):
    """The versioned category list: names change between policy years."""

    __tablename__ = "hardship_categories"
    __table_args__ = (UniqueConstraint("code", "valid_from_year"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(100))
    priority: Mapped[bool] = mapped_column(default=True)  # 应助尽助 priority group
    proactive: Mapped[bool] = mapped_column(default=False)  # 防止返贫监测对象: include proactively
    valid_from_year: Mapped[int] = mapped_column(default=2023)
    valid_to_year: Mapped[int | None]
    sort_order: Mapped[int] = mapped_column(default=0)


class HardshipApplication(db.Model):
    """One per student and school year; adjusted each semester (a new semester row)."""

    __tablename__ = "hardship_applications"
    __table_args__ = (UniqueConstraint("student_id", "semester"),
                      # 应助尽助 (coverage_page): a school year's determinations with what the finding
                      # needs, read from the index alone instead of rows with family data and evidence text
                      db.Index("ix_hardship_applications_coverage", "school_year", "semester", "school_id",
                               "student_id", "state", "level", "categories"))
    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("students.id"), index=True)
    school_year: Mapped[str] = mapped_column(String(16))  # "2025-2026"
    semester: Mapped[str] = mapped_column(String(12))  # the semester it applies from
    categories: Mapped[str] = mapped_column(Text, default="[]")  # JSON list of category codes
    family_json: Mapped[str] = mapped_column(Text, default="[]")  # members and incomes (fen)
    circumstances: Mapped[str] = mapped_column(Text, default="")
    declaration_signed_at: Mapped[datetime | None]
    state: Mapped[str] = mapped_column(String(20), default="draft", index=True)
    class_opinion: Mapped[str] = mapped_column(Text, default="")
    level: Mapped[str] = mapped_column(String(20), default="")  # determined level
    level_reason: Mapped[str] = mapped_column(Text, default="")  # required for priority → 不困难
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    student = relationship("Student")
    school = relationship("School")

    __mapper_args__ = {"version_id_col": version}


# the list's order (newest semester, then school): a page reads one school's determinations and
# sorts only those by class and name, not all of a province's 34,000
db.Index("ix_hardship_applications_semester_desc_school", HardshipApplication.semester.desc(),
         HardshipApplication.school_id)
# the home page's waiting-work counts (state IN (...) per school): counted from the index alone
db.Index("ix_hardship_applications_state_school", HardshipApplication.state, HardshipApplication.school_id)
# the list filtered by state over many schools (a bureau, the province): that state's rows already in the
# list's order, instead of the province's 20,000 filed determinations sorted per page. A school's own
# list keeps the index above (see hardship.service.list_stmt: the state is a planner hint there)
db.Index("ix_hardship_applications_state_semester_desc_school", HardshipApplication.state,
         HardshipApplication.semester.desc(), HardshipApplication.school_id)


class HardshipEvidence(db.Model):
    """An evidence file of a hardship application, stored under STORAGE_DIR (never static/)."""

    __tablename__ = "hardship_evidence"
    id: Mapped[int] = mapped_column(primary_key=True)
    hardship_id: Mapped[int] = mapped_column(ForeignKey("hardship_applications.id"), index=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("students.id"), index=True)
    original_name: Mapped[str] = mapped_column(String(200))
    mimetype: Mapped[str] = mapped_column(String(50))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    path: Mapped[str] = mapped_column(String(300))
    uploaded_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)
