"""Authorities (province → city → county) and the schools they supervise."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from aid.extensions import db
from aid.timeutil import utcnow

AUTHORITY_LEVELS = {"province": "省级", "city": "设区市", "county": "县（区）"}
SCHOOL_KINDS = ("技工学校", "高级技工学校", "技师学院")
OWNERSHIPS = {"public": "公办", "private": "民办"}


class Authority(db.Model):
    __tablename__ = "authorities"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    level: Mapped[str] = mapped_column(String(16))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("authorities.id"), index=True)
    region_code: Mapped[str | None] = mapped_column(String(6))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    parent: Mapped[Authority | None] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list[Authority]] = relationship(back_populates="parent")
    schools: Mapped[list[School]] = relationship(back_populates="authority")

    @property
    def level_label(self) -> str:
        return AUTHORITY_LEVELS.get(self.level, self.level)

    def audit_view(self) -> dict:
        return {"name": self.name, "level": self.level, "parent_id": self.parent_id}


class School(db.Model):
    __tablename__ = "schools"
    __table_args__ = (UniqueConstraint("code"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(16))
    ownership: Mapped[str] = mapped_column(String(16), default="public")
    authority_id: Mapped[int] = mapped_column(ForeignKey("authorities.id"), index=True)
    address: Mapped[str] = mapped_column(String(200), default="")
    credit_code: Mapped[str] = mapped_column(String(18), default="")
    legal_representative: Mapped[str] = mapped_column(String(50), default="")
    contact_phone: Mapped[str] = mapped_column(String(30), default="")
    ethnic_minority_area: Mapped[bool] = mapped_column(default=False)
    contiguous_poverty_area: Mapped[bool] = mapped_column(default=False)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    authority: Mapped[Authority] = relationship(back_populates="schools")

    @property
    def school_id(self) -> int:  # lets the jurisdiction filter treat schools like any school-owned row
        return self.id

    @property
    def ownership_label(self) -> str:
        return OWNERSHIPS.get(self.ownership, self.ownership)

    def audit_view(self) -> dict:
        return {
            "code": self.code, "name": self.name, "kind": self.kind, "ownership": self.ownership,
            "authority_id": self.authority_id, "address": self.address,
            "credit_code": self.credit_code, "legal_representative": self.legal_representative,
            "ethnic_minority_area": self.ethnic_minority_area,
            "contiguous_poverty_area": self.contiguous_poverty_area, "active": self.active,
        }
