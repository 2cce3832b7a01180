"""Aid programmes as data: a programme and its versions, each valid for a range
of semesters (a new policy year is a new version; past semesters are never
rewritten)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from aid.extensions import db
from aid.timeutil import utcnow

PROGRAMME_KINDS = {
    "tuition_waiver": "免学费",
    "national_grant": "国家助学金",
    "national_scholarship": "国家奖学金",
    "local": "地方/学校资助项目",
}


class Programme(db.Model):
    __tablename__ = "programmes"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(30))
    # None: province-wide; otherwise a school-defined programme
    school_id: Mapped[int | None] = mapped_column(ForeignKey("schools.id"), index=True)
    paid_to_card: Mapped[bool] = mapped_column(default=True)  # the waiver is not paid to cards
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    versions: Mapped[list[ProgrammeVersion]] = relationship(back_populates="programme",
                                                           order_by="ProgrammeVersion.valid_from_ordinal")


class ProgrammeVersion(db.Model):
    __tablename__ = "programme_versions"
    __table_args__ = (UniqueConstraint("programme_id", "valid_from"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programmes.id"), index=True)
    valid_from: Mapped[str] = mapped_column(String(12))  # Semester string, e.g. "2025-spring"
    valid_to: Mapped[str | None] = mapped_column(String(12))
    valid_from_ordinal: Mapped[int] = mapped_column(default=0)  # for ordering and range queries
    rules_json: Mapped[str] = mapped_column(Text)  # serialised eligibility.ProgrammeRules
    payment_schedule: Mapped[str] = mapped_column(String(12), default="semester")  # semester | monthly
    note: Mapped[str] = mapped_column(String(500), default="")
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    programme: Mapped[Programme] = relationship(back_populates="versions")


class ProgrammeQuota(db.Model):
    """A school's number of places in a programme for one school year (e.g. 国家奖学金)."""

    __tablename__ = "programme_quotas"
    __table_args__ = (UniqueConstraint("programme_id", "school_id", "school_year_start"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programmes.id"), index=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    school_year_start: Mapped[int]  # the autumn that opens the school year
    quota: Mapped[int] = mapped_column(default=0)
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    programme: Mapped[Programme] = relationship()
    school = relationship("School")
