"""Users (one role each) and server-side login sessions."""
from __future__ import annotations

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from aid.extensions import db
from aid.timeutil import utcnow

ROLES = {
    "student": "学生",
    "school_officer": "学校经办人员",
    "school_leader": "学校负责人",
    "bureau_officer": "人社局经办人员",
    "province_admin": "省级管理员",
}
SCHOOL_ROLES = ("school_officer", "school_leader")
AUTHORITY_ROLES = ("bureau_officer", "province_admin")


class User(UserMixin, db.Model):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(50))
    role: Mapped[str] = mapped_column(String(20), index=True)
    school_id: Mapped[int | None] = mapped_column(ForeignKey("schools.id"), index=True)
    authority_id: Mapped[int | None] = mapped_column(ForeignKey("authorities.id"), index=True)
    student_id: Mapped[int | None] = mapped_column(ForeignKey("students.id"), index=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    must_change_password: Mapped[bool] = mapped_column(default=True)
    active: Mapped[bool] = mapped_column(default=True)
    failed_logins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None]
    last_login_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    school = relationship("School")
    authority = relationship("Authority")

    # Set at request time to the server-side session token (see auth.sessions).
    session_token = None

    def get_id(self) -> str:
        return self.session_token or ""

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def role_label(self) -> str:
        return ROLES.get(self.role, self.role)

    def audit_view(self) -> dict:
        return {
            "username": self.username, "display_name": self.display_name, "role": self.role,
            "school_id": self.school_id, "authority_id": self.authority_id,
            "student_id": self.student_id, "active": self.active,
            "must_change_password": self.must_change_password,
        }


class AuthSession(db.Model):
    """One row per login. The cookie carries only the random token; logout,
    password change and account disable revoke rows, so a replayed cookie is refused."""

    __tablename__ = "auth_sessions"
    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    ip: Mapped[str] = mapped_column(String(45), default="")
    revoked_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()
