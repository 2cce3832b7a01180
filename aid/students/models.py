"""Majors, classes and the student register (学籍)."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship, synonym

from aid.extensions import db
from aid.timeutil import utcnow

STUDY_MODES = {"full_time": "全日制", "part_time": "非全日制"}
HOUSEHOLDS = {"rural": "农村（含县镇）", "urban": "城镇"}
REGISTER_STATUSES = ("在籍", "休学", "退学", "转出", "毕业", "结业")
REGISTRATION_STATES = {"draft": "待报送", "submitted": "已报送", "verified": "已审核", "returned": "已退回"}
CLASS_LEVELS = ("中级工", "高级工", "预备技师(技师)")
ENTRY_POINTS = ("初中起点", "高中起点", "中级工起点")


class Major(db.Model):
    __tablename__ = "majors"
    __table_args__ = (UniqueConstraint("school_id", "code"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    code: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(100))
    training_level: Mapped[str] = mapped_column(String(20), default="中级工")
    agriculture_related: Mapped[bool] = mapped_column(default=False)
    opera_performance: Mapped[bool] = mapped_column(default=False)
    other_performing_arts: Mapped[bool] = mapped_column(default=False)
    tuition_fen_per_year: Mapped[int] = mapped_column(default=0)
    # private schools are waived at the standard of a public school's same major
    public_tuition_fen_per_year: Mapped[int | None]
    school = relationship("School")

    def audit_view(self) -> dict:
        return {c: getattr(self, c) for c in ("code", "name", "training_level", "agriculture_related",
                                              "opera_performance", "other_performing_arts",
                                              "tuition_fen_per_year", "public_tuition_fen_per_year")}


class SchoolClass(db.Model):
    __tablename__ = "school_classes"
    __table_args__ = (UniqueConstraint("school_id", "name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    major_id: Mapped[int] = mapped_column(ForeignKey("majors.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    intake_date: Mapped[date]
    level: Mapped[str] = mapped_column(String(20), default="中级工")
    entry_point: Mapped[str] = mapped_column(String(20), default="初中起点")
    programme_years: Mapped[int] = mapped_column(default=3)
    study_mode: Mapped[str] = mapped_column(String(16), default="full_time")
    major: Mapped[Major] = relationship()
    school = relationship("School")

    def audit_view(self) -> dict:
        return {"name": self.name, "major_id": self.major_id, "intake_date": self.intake_date,
                "level": self.level, "entry_point": self.entry_point,
                "programme_years": self.programme_years, "study_mode": self.study_mode}


class StudentTally(db.Model):
    """Students per school, study mode, status and registration state, kept by database
    triggers (migration 0014; aid/students/tallies.py reads them). Always read as SUM(n)
    per key: on PostgreSQL the triggers append +1/-1 rows until they are compacted."""
    __tablename__ = "student_tallies"
    __table_args__ = (db.Index("ix_student_tallies_key", "school_id", "study_mode", "status", "registration_state"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int]
    study_mode: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(8))
    registration_state: Mapped[str] = mapped_column(String(16))
    n: Mapped[int]


class Student(db.Model):
    __tablename__ = "students"
    __table_args__ = (
        UniqueConstraint("school_id", "register_no"),
        # the list: one school's tab in 学籍号 order, and a bureau's / the province's tab in 学籍号 order
        db.Index("ix_students_school_mode_register", "school_id", "study_mode", "register_no"),
        db.Index("ix_students_mode_register_school", "study_mode", "register_no", "school_id"),
        db.Index("ix_students_mode_name_school", "study_mode", "name", "school_id"),
        # counts per school, study mode and registration state (dashboards, 电子注册): index-only
        db.Index("ix_students_school_mode_regstate", "school_id", "study_mode", "registration_state"),
        # the data-quality page: only records with a problem have a non-NULL key, so the count and
        # the page read those entries alone, for a school as for the province
        db.Index("ix_students_idproblem_school", "id_number_problem", "school_id"),
        # a jurisdiction's ID hashes without reading its rows (the data-quality page's duplicates:
        # each hash probed against ix_students_idhash_status_school_mode)
        db.Index("ix_students_school_idhash", "school_id", "id_number_hash"),
        # the students on a hold status, ids from the index alone (the recovery page's candidates)
        db.Index("ix_students_status_id", "status", "id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    class_id: Mapped[int | None] = mapped_column(ForeignKey("school_classes.id"), index=True)
    register_no: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(50), index=True)
    name_sort: Mapped[str] = mapped_column(String(200), default="")  # pinyin, for sorting
    gender: Mapped[str] = mapped_column(String(2))
    ethnicity: Mapped[str] = mapped_column(String(20), default="汉族")
    birth_date: Mapped[date]
    # personal data: encrypted value, keyed hash for exact search, masked form for display
    id_number_enc: Mapped[bytes] = mapped_column(LargeBinary)
    # active_history: a change loads the old value, so the shared-key groups it left are refreshed too
    id_number_hash: Mapped[str] = mapped_column(String(64), index=True, active_history=True)
    id_number_masked: Mapped[str] = mapped_column(String(20))
    # what is wrong with the ID number (invalid, or at odds with birth date / gender); NULL when
    # nothing is. Set at every write (personal.set_id_number / check_id_number), never on a view.
    id_number_problem: Mapped[str | None] = mapped_column(String(200))
    household: Mapped[str] = mapped_column(String(10), default="rural")
    study_mode: Mapped[str] = mapped_column(String(16), default="full_time", index=True)
    enrolment_date: Mapped[date]
    status: Mapped[str] = mapped_column(String(8), default="在籍", active_history=True)
    registration_state: Mapped[str] = mapped_column(String(16), default="draft", index=True)
    registration_note: Mapped[str] = mapped_column(String(500), default="")
    aid_card_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    aid_card_hash: Mapped[str | None] = mapped_column(String(64), index=True, active_history=True)
    aid_card_masked: Mapped[str] = mapped_column(String(30), default="")
    aid_card_kind: Mapped[str] = mapped_column(String(16), default="")  # aid_card | social_security
    phone_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    phone_masked: Mapped[str] = mapped_column(String(20), default="")
    address: Mapped[str] = mapped_column(String(200), default="")
    version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    school = relationship("School")
    school_class: Mapped[SchoolClass | None] = relationship()

    __mapper_args__ = {"version_id_col": version}

    # the workflow engine reads and writes `state`; for students it is the registration state
    state = synonym("registration_state")

    @property
    def study_mode_label(self) -> str:
        return STUDY_MODES.get(self.study_mode, self.study_mode)

    @property
    def household_label(self) -> str:
        return HOUSEHOLDS.get(self.household, self.household)

    @property
    def registration_label(self) -> str:
        return REGISTRATION_STATES.get(self.registration_state, self.registration_state)

    def audit_view(self) -> dict:
        """Masked values only: audit records never hold a full ID or card number."""
        return {
            "register_no": self.register_no, "name": self.name, "gender": self.gender,
            "ethnicity": self.ethnicity, "birth_date": self.birth_date, "class_id": self.class_id,
            "id_number": self.id_number_masked, "household": self.household,
            "study_mode": self.study_mode, "enrolment_date": self.enrolment_date, "status": self.status,
            "registration_state": self.registration_state, "aid_card": self.aid_card_masked,
            "aid_card_kind": self.aid_card_kind, "phone": self.phone_masked,
        }


class StudentSharedKey(db.Model):
    """A keyed-hash value (ID number or aid card) that two or more active students share.

    Kept exact on every write of students by aid.students.shared_keys; the duplicate-ID and
    shared-card red flags count from these few rows instead of grouping the whole register."""

    __tablename__ = "student_shared_keys"
    kind: Mapped[str] = mapped_column(String(8), primary_key=True)  # "id" | "card"
    key_hash: Mapped[str] = mapped_column(String(64), primary_key=True)


# 纸质档案: the paper file of each student must match the electronic register
ARCHIVE_ITEMS = {
    "enrolment_form": "入学登记表",
    "id_copy": "身份证复印件",
    "hukou_copy": "户口簿复印件",
    "diploma": "毕业证/学历证明",
    "photo": "照片",
    "aid_materials": "资助申请材料",
}
ARCHIVE_STATES = {"present": "已归档", "missing": "缺失", "mismatch": "与电子学籍不一致", "not_applicable": "不适用"}


class ArchiveItem(db.Model):
    """One item of a student's paper archive checklist; absent rows mean 未登记."""

    __tablename__ = "student_archive_items"
    __table_args__ = (UniqueConstraint("student_id", "item"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("students.id"), index=True)
    item: Mapped[str] = mapped_column(String(30))
    state: Mapped[str] = mapped_column(String(16), default="present")
    note: Mapped[str] = mapped_column(String(200), default="")
    recorded_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def label(self) -> str:
        return ARCHIVE_ITEMS.get(self.item, self.item)

    @property
    def state_label(self) -> str:
        return ARCHIVE_STATES.get(self.state, self.state)


from aid.students import shared_keys as _shared_keys  # noqa: E402,F401  (registers the flush hook)
