"""Notices, the items they list (a snapshot of the allowed fields only) and the
objections received while they are posted."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from aid.extensions import db
from aid.timeutil import utcnow


class Notice(db.Model):
    __tablename__ = "notices"
    __table_args__ = (db.Index("ix_notices_public", "state", "first_day", "end_day"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # hardship | grant | scholarship
    semester: Mapped[str] = mapped_column(String(12))
    title: Mapped[str] = mapped_column(String(200))
    contact: Mapped[str] = mapped_column(String(200), default="")  # the school office, never a student's
    state: Mapped[str] = mapped_column(String(20), default="draft", index=True)
    first_day: Mapped[date]  # first day of posting (counted)
    end_day: Mapped[date]  # last day of posting (inclusive, a working day)
    workdays: Mapped[int] = mapped_column(default=5)  # working days in [first_day, end_day]
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    approved_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    posted_at: Mapped[datetime | None]
    ended_at: Mapped[datetime | None]
    document_id: Mapped[int | None] = mapped_column(ForeignKey("stored_documents.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    school = relationship("School")
    document = relationship("StoredDocument")
    items: Mapped[list[NoticeItem]] = relationship(back_populates="notice", order_by="NoticeItem.position")
    objections: Mapped[list[Objection]] = relationship(back_populates="notice", order_by="Objection.id")

    __mapper_args__ = {"version_id_col": version}


class NoticeItem(db.Model):
    """One listed student. The display columns are exactly the allowed fields
    (service.NOTICE_FIELDS); templates and PDFs render only these."""

    __tablename__ = "notice_items"
    __table_args__ = (db.Index("ix_notice_items_source", "source_type", "source_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    notice_id: Mapped[int] = mapped_column(ForeignKey("notices.id"), index=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    source_type: Mapped[str] = mapped_column(String(20))  # application | hardship
    source_id: Mapped[int]
    position: Mapped[int] = mapped_column(default=0)
    state: Mapped[str] = mapped_column(String(16), default="listed")  # listed | withdrawn
    withdrawn_reason: Mapped[str] = mapped_column(Text, default="")
    # snapshot of the allowed fields
    name: Mapped[str] = mapped_column(String(50), default="")
    school: Mapped[str] = mapped_column(String(100), default="")
    major_class: Mapped[str] = mapped_column(String(200), default="")
    year: Mapped[str] = mapped_column(String(20), default="")
    programme: Mapped[str] = mapped_column(String(100), default="")
    level: Mapped[str] = mapped_column(String(20), default="")

    notice: Mapped[Notice] = relationship(back_populates="items")


class Objection(db.Model):
    """An objection (异议) received during the posting period, and its resolution."""

    __tablename__ = "notice_objections"
    id: Mapped[int] = mapped_column(primary_key=True)
    notice_id: Mapped[int] = mapped_column(ForeignKey("notices.id"), index=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    item_id: Mapped[int | None] = mapped_column(ForeignKey("notice_items.id"))
    received_on: Mapped[date]
    received_by: Mapped[str] = mapped_column(String(50))  # the staff member who took it
    channel: Mapped[str] = mapped_column(String(20))
    content: Mapped[str] = mapped_column(Text)
    recorded_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    state: Mapped[str] = mapped_column(String(16), default="open")  # open | resolved
    outcome: Mapped[str] = mapped_column(Text, default="")
    item_withdrawn: Mapped[bool] = mapped_column(default=False)
    resolved_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    resolved_at: Mapped[datetime | None]

    notice: Mapped[Notice] = relationship(back_populates="objections")
    item: Mapped[NoticeItem | None] = relationship()
