"""Supervision rules: reproducible roll-call draws, findings, measures, inspections, flag reviews."""
from __future__ import annotations

import hashlib
import json
import random
import secrets
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from aid import area_module
from aid.audit.service import record
from aid.core.workdays import CalendarUnavailable, WorkdayCalendar
from aid.extensions import db
from aid.org.models import School
from aid.scoping import in_jurisdiction
from aid.students.models import Student
from aid.supervision.flag_store import recount_after_review
from aid.supervision.models import (
    INSPECTION_POINTS, INSPECTION_RESULTS, MEASURE_KINDS, ROLLCALL_KINDS, ROLLCALL_RESULTS, Finding, FlagReview,
    Inspection, InspectionPoint, Measure, RollCall, RollCallEntry,
)
from aid.supervision.workflow import MEASURE_WORKFLOW
from aid.timeutil import local_today, utcnow
from aid.workflow import TransitionError, apply_transition

MAX_SAMPLE = 500


class SupervisionError(Exception):
    """Refused action; str() is the Chinese message."""


def get_calendar():
    """The DB-backed calendar of the changes area when present, else the package calendar."""
    module = area_module("changes", "calendar")
    if module is not None and hasattr(module, "get_calendar"):
        return module.get_calendar()
    return WorkdayCalendar()


# --- roll calls -------------------------------------------------------------------------------------

def eligible_student_ids(school_id: int) -> list[int]:
    """Full-time students on the register (在籍) of the school, ascending by id."""
    return list(db.session.execute(
        select(Student.id).where(Student.school_id == school_id, Student.study_mode == "full_time",
                                 Student.status == "在籍").order_by(Student.id)).scalars())


def population_digest(ids: list[int]) -> str:
    return hashlib.sha256(",".join(str(i) for i in ids).encode()).hexdigest()


def draw_sample(seed: str, population: list[int], size: int) -> list[int]:
    """The sample: random.Random(seed) over the ids sorted ascending. Same seed, same sample."""
    return random.Random(seed).sample(sorted(population), size)


def _school_in_jurisdiction(user, school_id) -> School:
    school = db.session.get(School, school_id) if school_id else None
    if school is None or not in_jurisdiction(school.id, user):
        raise SupervisionError("该学校不在您的管辖范围内")
    return school


def draw_rollcall(user, school_id: int, size: int, kind: str = "remote", note: str = "",
                  seed: str | None = None) -> RollCall:
    school = _school_in_jurisdiction(user, school_id)
    if kind not in ROLLCALL_KINDS:
        raise SupervisionError("请选择远程点名或现场抽验")
    if not isinstance(size, int) or size < 1:
        raise SupervisionError("抽样人数必须是正整数")
    if size > MAX_SAMPLE:
        raise SupervisionError(f"每次抽样不超过{MAX_SAMPLE}人")
    population = eligible_student_ids(school.id)
    if size > len(population):
        raise SupervisionError(f"抽样人数（{size}人）超过该校全日制在籍学生人数（{len(population)}人），请减少抽样人数")
    seed = seed or secrets.token_hex(16)
    sample = draw_sample(seed, population, size)
    rc = RollCall(school_id=school.id, kind=kind, seed=seed, sample_size=size, population_size=len(population),
                  population_json=json.dumps(population), population_sha256=population_digest(population),
                  note=note.strip()[:500], drawn_by=user.id)
    db.session.add(rc)
    db.session.flush()
    for position, student_id in enumerate(sample, start=1):
        db.session.add(RollCallEntry(roll_call_id=rc.id, school_id=school.id, student_id=student_id, position=position))
    db.session.flush()
    record("rollcall.draw", rc, user=user, after=rc.audit_view(),
           summary=f"{ROLLCALL_KINDS[kind]}：{school.name} 抽取{size}人（种子 {seed}）")
    return rc


@dataclass
class RedrawCheck:
    seed: str
    sample_size: int
    population_size: int
    population_digest_ok: bool
    recorded: list[int]
    redrawn: list[int]
    population_now: int
    population_changed: bool

    @property
    def matches(self) -> bool:
        return self.population_digest_ok and self.recorded == self.redrawn


def redraw_check(rc: RollCall) -> RedrawCheck:
    """Redraw from the recorded seed and population and compare with the recorded sample."""
    population = json.loads(rc.population_json)
    redrawn = draw_sample(rc.seed, population, rc.sample_size)
    recorded = [e.student_id for e in sorted(rc.entries, key=lambda e: e.position)]
    now = eligible_student_ids(rc.school_id)
    return RedrawCheck(rc.seed, rc.sample_size, rc.population_size,
                       population_digest(population) == rc.population_sha256, recorded, redrawn,
                       len(now), now != sorted(population))


def record_result(user, entry: RollCallEntry, result: str, note: str = "") -> RollCallEntry:
    if result not in ROLLCALL_RESULTS:
        raise SupervisionError("请选择点名结果：在校、不在校或联系不上")
    note = (note or "").strip()
    if len(note) > 500:
        raise SupervisionError("备注不能超过500字")
    if not in_jurisdiction(entry.school_id, user):
        raise SupervisionError("该记录不在您的管辖范围内")
    before = {"result": entry.result, "note": entry.note}
    entry.result, entry.note, entry.recorded_by, entry.recorded_at = result, note, user.id, utcnow()
    finding = db.session.execute(select(Finding).where(Finding.roll_call_entry_id == entry.id)).scalar_one_or_none()
    if result == "absent":
        text = f"{entry.roll_call.kind_label}：学生{entry.student.name}（学籍号{entry.student.register_no}）不在校"
        if note:
            text += f"；{note}"
        if finding is None:
            db.session.add(Finding(school_id=entry.school_id, source="rollcall", roll_call_entry_id=entry.id,
                                   description=text, created_by=user.id))
        else:
            finding.description, finding.withdrawn = text, False
    elif finding is not None:
        finding.withdrawn = True
    db.session.flush()
    record("rollcall.result", entry, user=user, before=before, after={"result": result, "note": note},
           summary=f"点名结果：{entry.student.name} {ROLLCALL_RESULTS[result]}")
    return entry


# --- measures ---------------------------------------------------------------------------------------

def check_deadline(deadline: date | None, today: date | None = None) -> date:
    today = today or local_today()
    if deadline is None:
        raise SupervisionError("请填写整改期限")
    if deadline <= today:
        raise SupervisionError("整改期限必须晚于今天")
    try:
        workday = get_calendar().is_workday(deadline)
    except CalendarUnavailable as exc:
        raise SupervisionError(str(exc)) from exc
    if not workday:
        raise SupervisionError(f"整改期限 {deadline.year}年{deadline.month}月{deadline.day}日 不是工作日，请选择工作日")
    return deadline


def open_measure(user, school_id: int, kind: str, reason: str, deadline: date,
                 finding_ids: list[int] = ()) -> Measure:
    school = _school_in_jurisdiction(user, school_id)
    if kind not in MEASURE_KINDS:
        raise SupervisionError("请选择措施类型：约谈、警告或通报")
    reason = (reason or "").strip()
    if not reason:
        raise SupervisionError("请填写采取措施的原因")
    if len(reason) > 2000:
        raise SupervisionError("原因不能超过2000字")
    check_deadline(deadline)
    findings = []
    if finding_ids:
        findings = db.session.execute(select(Finding).where(Finding.id.in_(list(finding_ids)))).scalars().all()
        if len(findings) != len(set(finding_ids)) or any(f.school_id != school.id for f in findings):
            raise SupervisionError("关联的问题必须属于该学校")
    measure = Measure(school_id=school.id, kind=kind, reason=reason, deadline=deadline, state="open",
                      created_by=user.id, findings=list(findings))
    db.session.add(measure)
    db.session.flush()
    record("measure.open", measure, user=user, after={**measure.audit_view(), "findings": [f.id for f in findings]},
           summary=f"对{school.name}采取{MEASURE_KINDS[kind]}措施，整改期限{deadline}")
    return measure


def respond_measure(user, measure: Measure, response: str, expected_version: int | None = None) -> Measure:
    response = (response or "").strip()
    if not response:
        raise SupervisionError("请填写整改情况")
    if len(response) > 4000:
        raise SupervisionError("整改情况不能超过4000字")
    if user.role not in ("school_officer", "school_leader") or user.school_id != measure.school_id:
        raise SupervisionError("只有被采取措施的学校可以回复")
    _transition(measure, "respond", user, expected_version=expected_version)
    measure.response, measure.responded_by, measure.responded_at = response, user.id, utcnow()
    db.session.flush()
    return measure


def close_measure(user, measure: Measure, note: str = "", expected_version: int | None = None) -> Measure:
    if not measure.response:
        raise SupervisionError("学校尚未回复整改情况，不能关闭该措施")
    note = (note or "").strip()[:1000]
    _transition(measure, "close", user, reason=note, expected_version=expected_version)
    measure.closing_note = note
    db.session.flush()
    return measure


def reopen_measure(user, measure: Measure, reason: str, expected_version: int | None = None) -> Measure:
    _transition(measure, "require_more", user, reason=reason, expected_version=expected_version)
    return measure


def _transition(measure, action, user, *, reason: str = "", expected_version=None):
    try:
        apply_transition(MEASURE_WORKFLOW, measure, action, user, reason=reason, expected_version=expected_version)
    except TransitionError as exc:
        raise SupervisionError(str(exc)) from exc
    db.session.flush()


def open_findings(school_id: int) -> list[Finding]:
    return list(db.session.execute(select(Finding).where(Finding.school_id == school_id, Finding.withdrawn.is_(False))
                                   .order_by(Finding.id.desc()).limit(200)).scalars())


# --- inspections ------------------------------------------------------------------------------------

def create_inspection(user, school_id: int, visit_date: date, inspectors: str, points: dict[str, tuple[str, str]],
                      findings_text: str = "", follow_up: str = "") -> Inspection:
    school = _school_in_jurisdiction(user, school_id)
    if visit_date is None:
        raise SupervisionError("请填写检查日期")
    if visit_date > local_today():
        raise SupervisionError("检查日期不能晚于今天")
    inspectors = (inspectors or "").strip()
    if not inspectors:
        raise SupervisionError("请填写检查人员")
    missing = [INSPECTION_POINTS[p] for p in INSPECTION_POINTS if points.get(p, ("", ""))[0] not in INSPECTION_RESULTS]
    if missing:
        raise SupervisionError("请为每个检查要点选择结果：" + "、".join(missing))
    inspection = Inspection(school_id=school.id, visit_date=visit_date, inspectors=inspectors[:200],
                            findings_text=(findings_text or "").strip(), follow_up=(follow_up or "").strip(),
                            created_by=user.id)
    db.session.add(inspection)
    db.session.flush()
    for code, label in INSPECTION_POINTS.items():
        result, note = points[code]
        db.session.add(InspectionPoint(inspection_id=inspection.id, point=code, result=result, note=(note or "").strip()[:1000]))
        if result == "fail":
            text = f"监督检查（{visit_date}）：{label}——不符合"
            if note and note.strip():
                text += f"；{note.strip()}"
            db.session.add(Finding(school_id=school.id, source="inspection", inspection_id=inspection.id,
                                   description=text, created_by=user.id))
    db.session.flush()
    db.session.refresh(inspection)
    record("inspection.create", inspection, user=user, after=inspection.audit_view(),
           summary=f"监督检查：{school.name}（{visit_date}）")
    return inspection


def update_follow_up(user, inspection: Inspection, follow_up: str) -> Inspection:
    follow_up = (follow_up or "").strip()
    if not follow_up:
        raise SupervisionError("请填写整改跟踪情况")
    if len(follow_up) > 4000:
        raise SupervisionError("整改跟踪情况不能超过4000字")
    before = inspection.follow_up
    inspection.follow_up = follow_up
    db.session.flush()
    record("inspection.follow_up", inspection, user=user, before={"follow_up": before}, after={"follow_up": follow_up},
           summary="更新监督检查整改跟踪情况")
    return inspection


def finding_from_flag(user, flag, key: str) -> Finding:
    """Turn a red-flag row into a finding of its school (once), for a measure to cite."""
    rows = flag.page(user, key=key).rows
    if not rows:
        raise LookupError(key)
    row = rows[0]
    if row.school_id is None or not in_jurisdiction(row.school_id, user):
        raise SupervisionError("该提示不涉及您管辖范围内的学校")
    finding = db.session.execute(select(Finding).where(Finding.school_id == row.school_id, Finding.flag_code == flag.code,
                                                       Finding.flag_key == key)).scalar_one_or_none()
    if finding is not None:
        finding.withdrawn = False
        return finding
    finding = Finding(school_id=row.school_id, source="flag", flag_code=flag.code, flag_key=key, created_by=user.id,
                      description=f"风险提示“{flag.label}”：" + "；".join(c for c in row.cells if c and c != "—"))
    db.session.add(finding)
    db.session.flush()
    record("finding.from_flag", finding, user=user, after={"flag": flag.code, "description": finding.description},
           summary=f"将风险提示“{flag.label}”记为问题")
    return finding


# --- red-flag reviews -------------------------------------------------------------------------------

def review_flag(user, flag, key: str, note: str) -> FlagReview:
    note = (note or "").strip()
    if not note:
        raise SupervisionError("请填写复核意见")
    if len(note) > 1000:
        raise SupervisionError("复核意见不能超过1000字")
    page = flag.page(user, key=key)
    if not page.rows:
        raise LookupError(key)
    review = db.session.execute(select(FlagReview).where(FlagReview.flag_code == flag.code,
                                                         FlagReview.row_key == key)).scalar_one_or_none()
    before = {"note": review.note} if review else None
    if review is None:
        review = FlagReview(flag_code=flag.code, row_key=key, note=note, reviewed_by=user.id)
        db.session.add(review)
    else:
        review.note, review.reviewed_by, review.reviewed_at = note, user.id, utcnow()
    db.session.flush()
    record("flag.review", review, user=user, before=before, after={"flag": flag.code, "note": note},
           summary=f"复核风险提示“{flag.label}”")
    if before is None:  # a newly reviewed row: the stored counts of its flag follow at once
        recount_after_review(flag, key, page.rows[0].school_id)
    return review
