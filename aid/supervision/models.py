"""Roll calls, findings, measures against schools, inspections and red-flag reviews."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from aid.applications.models import Application
from aid.extensions import db
from aid.students.models import Student
from aid.timeutil import utcnow

ROLLCALL_KINDS = {"remote": "远程点名", "onsite": "现场抽验"}
ROLLCALL_RESULTS = {"present": "在校", "absent": "不在校", "unreachable": "联系不上"}
MEASURE_KINDS = {"interview": "约谈", "warning": "警告", "circular": "通报"}
FINDING_SOURCES = {"rollcall": "点名抽验", "inspection": "监督检查", "flag": "风险提示"}
INSPECTION_POINTS = {
    "rules": "学籍与资助管理制度是否健全",
    "data": "学籍与资助数据是否全面准确",
    "tiering": "助学金是否分档精准资助",
    "payment": "资助资金发放是否及时",
    "archives": "学籍与资助档案管理是否规范完整",
}
INSPECTION_RESULTS = {"pass": "符合", "partial": "基本符合", "fail": "不符合"}

# Red-flag queries group students by these columns: covering indexes keep them fast.
Index("ix_students_idhash_status_school_mode", Student.id_number_hash, Student.status, Student.school_id,
      Student.study_mode)
Index("ix_students_cardhash_status_school", Student.aid_card_hash, Student.status, Student.school_id)
Index("ix_students_status_school_mode", Student.status, Student.school_id, Student.study_mode, Student.enrolment_date)
# 长期空挂: the suspended full-time students and their last change, from the index alone
Index("ix_students_status_mode_school_updated", Student.status, Student.study_mode, Student.school_id,
      Student.updated_at)
# 非在籍学生获批资助: the applications of the few students not enrolled, by student, from the index alone
Index("ix_applications_student_state_school", Application.student_id, Application.state, Application.school_id)


class RollCall(db.Model):
    """A random sample of a school's full-time enrolled students, drawn from a recorded seed."""

    __tablename__ = "roll_calls"
    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    kind: Mapped[str] = mapped_column(String(10), default="remote")
    seed: Mapped[str] = mapped_column(String(64))
    sample_size: Mapped[int]
    population_size: Mapped[int]
    # the eligible student ids at the time of the draw, ascending, as JSON; and their SHA-256
    population_json: Mapped[str] = mapped_column(Text)
    population_sha256: Mapped[str] = mapped_column(String(64))
    note: Mapped[str] = mapped_column(String(500), default="")
    drawn_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    drawn_at: Mapped[datetime] = mapped_column(default=utcnow)

    school = relationship("School")
    drawer = relationship("User")
    entries: Mapped[list[RollCallEntry]] = relationship(back_populates="roll_call", order_by="RollCallEntry.position")

    @property
    def kind_label(self) -> str:
        return ROLLCALL_KINDS.get(self.kind, self.kind)

    def audit_view(self) -> dict:
        return {"school_id": self.school_id, "kind": self.kind, "seed": self.seed,
                "sample_size": self.sample_size, "population_size": self.population_size,
                "population_sha256": self.population_sha256}


class RollCallEntry(db.Model):
    __tablename__ = "roll_call_entries"
    __table_args__ = (UniqueConstraint("roll_call_id", "student_id"),
                      Index("ix_roll_call_entries_result", "result", "school_id"))
    id: Mapped[int] = mapped_column(primary_key=True)
    roll_call_id: Mapped[int] = mapped_column(ForeignKey("roll_calls.id"), index=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("students.id"), index=True)
    position: Mapped[int]  # order in the draw, from 1
    result: Mapped[str] = mapped_column(String(12), default="")
    note: Mapped[str] = mapped_column(String(500), default="")
    recorded_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime | None]

    roll_call: Mapped[RollCall] = relationship(back_populates="entries")
    student = relationship("Student")

    @property
    def result_label(self) -> str:
        return ROLLCALL_RESULTS.get(self.result, "未记录")


class Finding(db.Model):
    """A problem found in supervision; measures link to findings."""

    __tablename__ = "supervision_findings"
    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    source: Mapped[str] = mapped_column(String(12))
    roll_call_entry_id: Mapped[int | None] = mapped_column(ForeignKey("roll_call_entries.id"), index=True)
    inspection_id: Mapped[int | None] = mapped_column(ForeignKey("inspections.id"), index=True)
    flag_code: Mapped[str] = mapped_column(String(40), default="")  # a red-flag row turned into a finding
    flag_key: Mapped[str] = mapped_column(String(260), default="")
    description: Mapped[str] = mapped_column(Text)
    withdrawn: Mapped[bool] = mapped_column(default=False)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    school = relationship("School")

    @property
    def source_label(self) -> str:
        return FINDING_SOURCES.get(self.source, self.source)


measure_findings = db.Table(
    "measure_findings",
    db.Column("measure_id", ForeignKey("measures.id"), primary_key=True),
    db.Column("finding_id", ForeignKey("supervision_findings.id"), primary_key=True),
)


class Measure(db.Model):
    """约谈 / 警告 / 通报 against a school, answered by the school and closed by the bureau."""

    __tablename__ = "measures"
    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    kind: Mapped[str] = mapped_column(String(12))
    reason: Mapped[str] = mapped_column(Text)
    deadline: Mapped[date]
    state: Mapped[str] = mapped_column(String(12), default="open", index=True)
    response: Mapped[str] = mapped_column(Text, default="")
    responded_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    responded_at: Mapped[datetime | None]
    closing_note: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    school = relationship("School")
    findings: Mapped[list[Finding]] = relationship(secondary=measure_findings, order_by="Finding.id")

    __mapper_args__ = {"version_id_col": version}

    @property
    def kind_label(self) -> str:
        return MEASURE_KINDS.get(self.kind, self.kind)

    @property
    def overdue(self) -> bool:
        """Still open (not answered) after its rectification deadline."""
        from aid.timeutil import local_today
        return self.state == "open" and local_today() > self.deadline

    def audit_view(self) -> dict:
        return {"school_id": self.school_id, "kind": self.kind, "reason": self.reason,
                "deadline": self.deadline, "state": self.state}


class Inspection(db.Model):
    """监督检查: one visit to a school, the seed's five points, findings and follow-up."""

    __tablename__ = "inspections"
    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    visit_date: Mapped[date]
    inspectors: Mapped[str] = mapped_column(String(200))
    findings_text: Mapped[str] = mapped_column(Text, default="")
    follow_up: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    school = relationship("School")
    points: Mapped[list[InspectionPoint]] = relationship(back_populates="inspection", order_by="InspectionPoint.id")

    def audit_view(self) -> dict:
        return {"school_id": self.school_id, "visit_date": self.visit_date, "inspectors": self.inspectors,
                "findings_text": self.findings_text, "follow_up": self.follow_up,
                "points": {p.point: [p.result, p.note] for p in self.points}}


class InspectionPoint(db.Model):
    __tablename__ = "inspection_points"
    __table_args__ = (UniqueConstraint("inspection_id", "point"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    inspection_id: Mapped[int] = mapped_column(ForeignKey("inspections.id"), index=True)
    point: Mapped[str] = mapped_column(String(12))
    result: Mapped[str] = mapped_column(String(10))
    note: Mapped[str] = mapped_column(String(1000), default="")

    inspection: Mapped[Inspection] = relationship(back_populates="points")

    @property
    def point_label(self) -> str:
        return INSPECTION_POINTS.get(self.point, self.point)

    @property
    def result_label(self) -> str:
        return INSPECTION_RESULTS.get(self.result, self.result)


class FlagReview(db.Model):
    """A red-flag row marked as reviewed, keyed by the flag's code and the row's stable key."""

    __tablename__ = "flag_reviews"
    __table_args__ = (UniqueConstraint("flag_code", "row_key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    flag_code: Mapped[str] = mapped_column(String(40))
    row_key: Mapped[str] = mapped_column(String(260))
    note: Mapped[str] = mapped_column(String(1000))
    reviewed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reviewed_at: Mapped[datetime] = mapped_column(default=utcnow)

    reviewer = relationship("User")


class StoredFlagCount(db.Model):
    """A read model of the red-flag counts of one jurisdiction root (an authority and its subtree,
    the `authority_id` bureau and province users are attached to), one row per flag. Kept per
    authority, not per school: the duplicate-ID, shared-card and 一校两牌 flags group rows across
    schools, so per-school counts do not add up. Derived data, not audited: refreshed by
    `flask --app app supervision refresh-flags` or the 刷新 button, and the flag's row is
    recounted when someone reviews one of its entries (aid.supervision.flag_store)."""

    __tablename__ = "stored_flag_counts"
    __table_args__ = (UniqueConstraint("authority_id", "flag_code"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    authority_id: Mapped[int] = mapped_column(ForeignKey("authorities.id"))
    flag_code: Mapped[str] = mapped_column(String(40))
    available: Mapped[bool] = mapped_column(default=True)  # False while the flag's data source is not enabled
    open_count: Mapped[int] = mapped_column(default=0)
    reviewed_count: Mapped[int] = mapped_column(default=0)
    computed_at: Mapped[datetime] = mapped_column(default=utcnow)
