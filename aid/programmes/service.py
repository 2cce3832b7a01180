"""Programmes as data: seeding the shipped defaults, versions by semester, quotas,
and the adapter from the register's models to the pure eligibility engine."""
from __future__ import annotations

from dataclasses import replace
from functools import lru_cache

from sqlalchemy import Select, func, select

from aid.audit.service import record
from aid.database import id_groups
from aid.extensions import db
from aid.settings import get_setting
from aid.timeutil import local_today

from .defaults import DEFAULT_PROGRAMMES
from .eligibility import (Decision, ProgrammeRules, StudentFacts, eligibility, level_for,
                          levels_average_fen, amount_for)
from .models import Programme, ProgrammeQuota, ProgrammeVersion
from .rules_io import rules_from_json, rules_to_dict, rules_to_json
from .semesters import Semester

KIND_OF_RULES = {"waiver": "tuition_waiver", "grant": "national_grant", "scholarship": "national_scholarship",
                 "local": "local"}
# application states that hold a place or count as "receiving aid"
LIVE_STATES = ("draft", "submitted", "reviewed", "school_approved", "on_notice", "noticed",
               "bureau_approved", "disbursed", "returned")
AIDED_STATES = ("school_approved", "on_notice", "noticed", "bureau_approved", "disbursed")


class ProgrammeError(Exception):
    """Refused policy change; str() is a Chinese message."""


def current_semester() -> Semester:
    return Semester.containing(local_today())


def parse_semester(text: str | None, default: Semester | None = None) -> Semester:
    try:
        return Semester.parse(text or "")
    except ValueError:
        return default or current_semester()


def semester_choices(around: Semester | None = None, before: int = 6, after: int = 2) -> list[tuple[str, str]]:
    centre = around or current_semester()
    sems = [Semester.from_ordinal(centre.ordinal + k) for k in range(-before, after + 1)]
    return [(str(s), s.label) for s in reversed(sems)]


# --- versions ----------------------------------------------------------------------

@lru_cache(maxsize=256)
def _parse(rules_json: str) -> ProgrammeRules:
    return rules_from_json(rules_json)


def version_rules(version: ProgrammeVersion) -> ProgrammeRules:
    return _parse(version.rules_json)


def programme_by_code(code: str) -> Programme | None:
    return db.session.execute(select(Programme).where(Programme.code == code)).scalar_one_or_none()


def version_for(programme: Programme, semester: Semester) -> ProgrammeVersion | None:
    """The version of `programme` in force in `semester` (None: no policy then)."""
    row = db.session.execute(
        select(ProgrammeVersion).where(ProgrammeVersion.programme_id == programme.id,
                                       ProgrammeVersion.valid_from_ordinal <= semester.ordinal)
        .order_by(ProgrammeVersion.valid_from_ordinal.desc()).limit(1)
    ).scalar_one_or_none()
    if row is None:
        return None
    if row.valid_to and Semester.parse(row.valid_to) < semester:
        return None
    return row


def programmes_for_school(school_id: int | None) -> list[Programme]:
    stmt = select(Programme).where(Programme.active.is_(True))
    stmt = stmt.where((Programme.school_id.is_(None)) | (Programme.school_id == (school_id or -1)))
    return list(db.session.execute(stmt.order_by(Programme.id)).scalars())


def _add_version(programme: Programme, rules: ProgrammeRules, *, payment_schedule: str, note: str,
                 user) -> ProgrammeVersion:
    version = ProgrammeVersion(programme_id=programme.id, valid_from=str(rules.valid_from),
                               valid_to=str(rules.valid_to) if rules.valid_to else None,
                               valid_from_ordinal=rules.valid_from.ordinal, rules_json=rules_to_json(rules),
                               payment_schedule=payment_schedule, note=note,
                               created_by=getattr(user, "id", None))
    db.session.add(version)
    db.session.flush()
    record("programme_version_create", version, user=user, school_id=programme.school_id,
           after={"programme": programme.code, **rules_to_dict(rules), "payment_schedule": payment_schedule},
           summary=f"{programme.name}：新政策版本自{rules.valid_from.label}起")
    return version


def seed_defaults(user=None) -> int:
    """Create the shipped programmes and versions that are missing (idempotent)."""
    created = 0
    schedule = get_setting("grant_payment_schedule")
    for rules in DEFAULT_PROGRAMMES:
        programme = programme_by_code(rules.code)
        if programme is None:
            programme = Programme(code=rules.code, name=rules.name, kind=KIND_OF_RULES[rules.kind],
                                  paid_to_card=rules.kind != "waiver")
            db.session.add(programme)
            db.session.flush()
            record("programme_create", programme, user=user, after={"code": rules.code, "name": rules.name},
                   summary=f"新建资助项目 {rules.name}")
        exists = db.session.execute(select(ProgrammeVersion.id).where(
            ProgrammeVersion.programme_id == programme.id,
            ProgrammeVersion.valid_from == str(rules.valid_from))).first()
        if exists:
            continue
        _add_version(programme, rules, payment_schedule=schedule if rules.kind == "grant" else "semester",
                     note="系统预置（人社厅函〔2023〕77号及2025年春季学期起国家助学金调整）", user=user)
        created += 1
    return created


def new_version(user, programme: Programme, rules: ProgrammeRules, *, payment_schedule: str = "semester",
                note: str = "", today: Semester | None = None) -> ProgrammeVersion:
    """A new version from `rules.valid_from` onward; the version before it ends the semester before.

    Past semesters are never rewritten: the start must not be before the current semester,
    nothing may be later than it, and no application of that semester or later may exist.
    """
    today = today or current_semester()
    start = rules.valid_from
    if start < today:
        raise ProgrammeError(f"新版本不能早于当前学期（{today.label}）：已过去的学期不能改写")
    if payment_schedule not in ("semester", "monthly"):
        raise ProgrammeError("发放方式只能是按学期或按月")
    versions = list(programme.versions)
    if any(v.valid_from_ordinal >= start.ordinal for v in versions):
        raise ProgrammeError(f"{start.label}或之后已有政策版本，请从更晚的学期开始")
    from aid.applications.models import Application
    later_semesters = db.session.execute(
        select(Application.semester).where(Application.programme_id == programme.id).distinct()).scalars()
    if any(Semester.parse(s) >= start for s in later_semesters):
        raise ProgrammeError(f"{start.label}或之后已有该项目的申请，不能改写其政策")
    if rules.code != programme.code:
        rules = replace(rules, code=programme.code)
    previous = versions[-1] if versions else None
    if previous is not None:
        prev_rules = version_rules(previous)
        if prev_rules.valid_to is None or prev_rules.valid_to >= start:
            ended = replace(prev_rules, valid_to=start.prev())
            before = {"valid_to": previous.valid_to}
            previous.rules_json = rules_to_json(ended)
            previous.valid_to = str(start.prev())
            record("programme_version_end", previous, user=user, before=before,
                   after={"valid_to": previous.valid_to},
                   summary=f"{programme.name}：原政策版本截至{start.prev().label}")
    version = _add_version(programme, rules, payment_schedule=payment_schedule, note=note, user=user)
    db.session.expire(programme, ["versions"])
    return version


def create_local_programme(user, code: str, name: str, school_id: int | None) -> Programme:
    if programme_by_code(code):
        raise ProgrammeError("项目代码已存在")
    programme = Programme(code=code, name=name, kind="local", school_id=school_id, paid_to_card=True)
    db.session.add(programme)
    db.session.flush()
    record("programme_create", programme, user=user, after={"code": code, "name": name, "school_id": school_id},
           summary=f"新建资助项目 {name}")
    return programme


def average_vs_policy(rules: ProgrammeRules) -> dict | None:
    """The levels' (weighted) average against the policy average, for the settings page."""
    if rules.amount_source != "level" or not rules.levels:
        return None
    avg = levels_average_fen(rules.levels, rules.level_weights or None)
    policy = rules.policy_average_fen
    return {"average_fen": avg, "policy_fen": policy, "weighted": bool(rules.level_weights),
            "meets": policy is None or avg >= policy, "difference_fen": (avg - policy) if policy else None}


# --- quotas --------------------------------------------------------------------------

def quota_for(programme: Programme, school_id: int, semester: Semester, rules: ProgrammeRules | None = None) -> int | None:
    row = db.session.execute(select(ProgrammeQuota.quota).where(
        ProgrammeQuota.programme_id == programme.id, ProgrammeQuota.school_id == school_id,
        ProgrammeQuota.school_year_start == semester.school_year_start)).scalar_one_or_none()
    if row is not None:
        return row
    return rules.quota if rules is not None else None


def school_year_semesters(semester: Semester) -> tuple[str, str]:
    autumn = Semester(semester.school_year_start, "autumn")
    return str(autumn), str(autumn.next())


def quota_used(programme: Programme, school_id: int, semester: Semester, *, exclude_student_id: int | None = None) -> int:
    from aid.applications.models import Application
    stmt = select(func.count()).select_from(Application).where(
        Application.programme_id == programme.id, Application.school_id == school_id,
        Application.semester.in_(school_year_semesters(semester)), Application.state != "rejected")
    if exclude_student_id is not None:
        stmt = stmt.where(Application.student_id != exclude_student_id)
    return db.session.scalar(stmt) or 0


def set_quota(user, programme: Programme, school_id: int, school_year_start: int, quota: int) -> ProgrammeQuota:
    if quota < 0 or quota > 100000:
        raise ProgrammeError("名额必须是0到100000之间的整数")
    row = db.session.execute(select(ProgrammeQuota).where(
        ProgrammeQuota.programme_id == programme.id, ProgrammeQuota.school_id == school_id,
        ProgrammeQuota.school_year_start == school_year_start)).scalar_one_or_none()
    before = row.quota if row else None
    if row is None:
        row = ProgrammeQuota(programme_id=programme.id, school_id=school_id, school_year_start=school_year_start)
        db.session.add(row)
    row.quota = quota
    row.updated_by = getattr(user, "id", None)
    db.session.flush()
    record("programme_quota_set", row, user=user, before={"quota": before}, after={"quota": quota},
           summary=f"{programme.name} {school_year_start}-{school_year_start + 1}学年名额：{quota}")
    return row


# --- the adapter to the engine ----------------------------------------------------------

def tuition_standard_fen(student) -> int | None:
    """The major's tuition standard; private schools use the public standard of the same major."""
    cls = student.school_class
    if cls is None:
        return None
    major = cls.major
    if student.school.ownership == "private":
        return major.public_tuition_fen_per_year if major.public_tuition_fen_per_year is not None \
            else major.tuition_fen_per_year
    return major.tuition_fen_per_year


def hardship_levels_for(student_ids: list[int] | Select, semester: Semester) -> dict[int, str]:
    """{student_id: level} from the noticed or filed determination of the semester's school year
    (`student_ids`: a list, or a select of one id column)."""
    from aid.hardship.models import HardshipApplication
    sy = f"{semester.school_year_start}-{semester.school_year_start + 1}"
    levels: dict[int, tuple[int, str]] = {}
    for group in id_groups(student_ids):
        rows = db.session.execute(select(
            HardshipApplication.student_id, HardshipApplication.semester, HardshipApplication.level).where(
            HardshipApplication.student_id.in_(group),
            HardshipApplication.school_year == sy,
            HardshipApplication.state.in_(("noticed", "filed")))).all()
        for sid, sem, level in rows:
            ordinal = Semester.parse(sem).ordinal
            if ordinal <= semester.ordinal and (sid not in levels or levels[sid][0] < ordinal):
                levels[sid] = (ordinal, level)
    return {sid: level for sid, (_o, level) in levels.items()}


def excellent_students(student_ids: list[int] | Select, semester: Semester) -> set[int]:
    """Students recommended for the scholarship (a live scholarship application) this semester
    (`student_ids`: a list, or a select of one id column)."""
    from aid.applications.models import Application
    programme = programme_by_code("national_scholarship")
    if programme is None:
        return set()
    found: set[int] = set()
    for group in id_groups(student_ids):
        found.update(db.session.execute(select(Application.student_id).where(
            Application.programme_id == programme.id, Application.semester == str(semester),
            Application.student_id.in_(group), Application.state != "rejected")).scalars())
    return found


def facts_for_many(students: list, semester: Semester) -> dict[int, StudentFacts]:
    from aid.changes.holds import holds_for
    ids = [s.id for s in students]
    levels = hardship_levels_for(ids, semester)
    holds = holds_for(ids, semester.start_date)
    excellent = excellent_students(ids, semester)
    return {s.id: _facts(s, levels.get(s.id), holds.get(s.id), s.id in excellent) for s in students}


def facts_for(student, semester: Semester, *, academic_excellent: bool | None = None) -> StudentFacts:
    """The engine's view of one student in one semester."""
    facts = facts_for_many([student], semester)[student.id]
    if academic_excellent is not None:
        facts = replace(facts, academic_excellent=academic_excellent)
    return facts


def fact_columns():
    """The register's columns the engine reads, for selecting plain rows instead of records (the
    approval queue's rows): select them from students joined to school_classes, majors and schools
    and pass each row to facts_from_row(). Labels match the names facts_from_row() reads."""
    from aid.org.models import School
    from aid.students.models import Major, SchoolClass, Student
    return (Student.study_mode, Student.status, Student.registration_state, Student.household,
            Student.enrolment_date, SchoolClass.study_mode.label("class_study_mode"),
            SchoolClass.intake_date, SchoolClass.programme_years, Major.agriculture_related,
            Major.opera_performance, Major.other_performing_arts, School.ethnic_minority_area,
            School.contiguous_poverty_area, School.ownership)


def facts_from_row(row, hardship_level, hold_reason, excellent, has_class: bool = True) -> StudentFacts:
    """The engine's facts from plain values named like the register's columns (study_mode, status,
    registration_state, household, enrolment_date; the class's class_study_mode, intake_date,
    programme_years; the major's agriculture_related, opera_performance, other_performing_arts; the
    school's ethnic_minority_area, contiguous_poverty_area, ownership): lists of a whole school read
    those columns instead of records (applications.service.proposal_rows)."""
    return StudentFacts(
        study_mode=row.class_study_mode if has_class and row.class_study_mode == "part_time" else row.study_mode,
        register_status=row.status,
        registration_state=row.registration_state,
        household=row.household,
        intake_date=row.intake_date if has_class else row.enrolment_date,
        programme_length_years=row.programme_years if has_class else 3,
        major_agriculture=bool(has_class and row.agriculture_related),
        major_opera=bool(has_class and row.opera_performance),
        major_other_performing_arts=bool(has_class and row.other_performing_arts),
        school_ethnic_minority_area=bool(row.ethnic_minority_area),
        school_contiguous_poverty_area=bool(row.contiguous_poverty_area),
        school_ownership=row.ownership,
        hardship_level=hardship_level or None,
        has_hold=hold_reason is not None,
        hold_reason=hold_reason,
        academic_excellent=excellent,
    )


class _RecordRow:
    """A student record seen through the names facts_from_row() reads."""

    def __init__(self, student):
        cls = student.school_class
        major = cls.major if cls is not None else None
        school = student.school
        self.study_mode, self.status = student.study_mode, student.status
        self.registration_state, self.household = student.registration_state, student.household
        self.enrolment_date = student.enrolment_date
        self.class_study_mode = cls.study_mode if cls is not None else None
        self.intake_date = cls.intake_date if cls is not None else None
        self.programme_years = cls.programme_years if cls is not None else None
        self.agriculture_related = major.agriculture_related if major is not None else False
        self.opera_performance = major.opera_performance if major is not None else False
        self.other_performing_arts = major.other_performing_arts if major is not None else False
        self.ethnic_minority_area = school.ethnic_minority_area
        self.contiguous_poverty_area = school.contiguous_poverty_area
        self.ownership = school.ownership


def _facts(student, hardship_level, hold_reason, excellent) -> StudentFacts:
    return facts_from_row(_RecordRow(student), hardship_level, hold_reason, excellent,
                          has_class=student.school_class is not None)


def facts_for_rows(rows, semester: Semester) -> dict[int, StudentFacts]:
    """facts_for_many() for plain rows carrying `id` and ending with fact_columns(). Students with
    the same values share one (immutable) StudentFacts, so callers can decide once per object."""
    from aid.changes.holds import holds_for
    n = len(fact_columns())
    ids = [r.id for r in rows]
    levels = hardship_levels_for(ids, semester)
    holds = holds_for(ids, semester.start_date)
    excellent = excellent_students(ids, semester)
    made: dict[tuple, StudentFacts] = {}
    out = {}
    for r in rows:
        extra = (levels.get(r.id), holds.get(r.id), r.id in excellent)
        key = tuple(r[-n:]) + extra
        if key not in made:
            made[key] = facts_from_row(r, *extra)
        out[r.id] = made[key]
    return out


def decide(student, programme: Programme, semester: Semester, *, facts: StudentFacts | None = None,
           count_quota: bool = True, version: ProgrammeVersion | None = None
           ) -> tuple[Decision | None, ProgrammeVersion | None]:
    """The engine's decision for a student, programme and semester (None when no policy applies)."""
    version = version or version_for(programme, semester)
    if version is None:
        return None, None
    rules = version_rules(version)
    facts = facts or facts_for(student, semester)
    quota = used = None
    if count_quota:
        quota = quota_for(programme, student.school_id, semester, rules)
        if quota is not None:
            used = quota_used(programme, student.school_id, semester, exclude_student_id=student.id)
    return eligibility(facts, rules, semester, quota=quota, quota_used=used), version


def amount_and_level(student, rules: ProgrammeRules, semester: Semester, hardship_level: str | None,
                     level_name: str | None = None) -> tuple[str, int]:
    """(level name, fen for the semester) under a version's rules."""
    if rules.amount_source == "level":
        level = level_name or level_for(rules, hardship_level).name
        return level, amount_for(rules, level, None, semester)
    return "", amount_for(rules, None, tuition_standard_fen(student), semester)
