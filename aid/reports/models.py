"""Report snapshots: a read model of the report figures per school and semester, so that a
bureau's or the province's report sums a few thousand stored rows instead of aggregating
every student, application and change of the semester on each view. Not audited (it is
derived data: `flask --app app reports refresh` or the page's 刷新 button rebuilds it)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from aid.extensions import db
from aid.timeutil import utcnow


class ReportSnapshot(db.Model):
    """When one school's figures of one semester were last computed."""

    __tablename__ = "report_snapshots"
    __table_args__ = (UniqueConstraint("semester", "school_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    semester: Mapped[str] = mapped_column(String(12))
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    computed_at: Mapped[datetime] = mapped_column(default=utcnow)


class ReportFigure(db.Model):
    """One row of one report table for one school (aid.reports.service.Figure): every report
    table is a sum over schools of these rows."""

    __tablename__ = "report_figures"
    __table_args__ = (db.Index("ix_report_figures_semester_school", "semester", "school_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    semester: Mapped[str] = mapped_column(String(12))
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"))
    table_code: Mapped[str] = mapped_column(String(20))
    item: Mapped[str] = mapped_column(String(200), default="")  # programme name, change kind, category code
    detail: Mapped[str] = mapped_column(String(40), default="")  # grant level
    n1: Mapped[int] = mapped_column(BigInteger, default=0)
    n2: Mapped[int] = mapped_column(BigInteger, default=0)
    n3: Mapped[int] = mapped_column(BigInteger, default=0)
    n4: Mapped[int] = mapped_column(BigInteger, default=0)
