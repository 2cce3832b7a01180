"""Semester aid applications: proposals from the engine (应免尽免), single applications
and scholarship recommendations, the approval queues and bulk steps with optimistic
locking. Every step goes through aid.workflow.apply_transition."""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import NamedTuple

from sqlalchemy import and_, func, select
from sqlalchemy.orm import aliased, joinedload
from sqlalchemy.orm.exc import StaleDataError

from aid.applications.models import Application
from aid.applications.workflow import APPLICATION_STATES, APPLICATION_WORKFLOW
from aid.audit.service import record
from aid.extensions import db
from aid.programmes import service as programmes
from aid.programmes.eligibility import Decision
from aid.programmes.models import Programme
from aid.programmes.semesters import Semester
from aid.scoping import scope
from aid.students.models import SchoolClass, Student
from aid.workflow import STALE_MESSAGE, BulkOutcome, TransitionError, apply_transition, parse_selection

PROPOSED_KINDS = ("tuition_waiver", "national_grant")


class ApplicationError(Exception):
    """Refused input; str() is a Chinese message."""


# --- what each role's queue shows and does ---------------------------------------------

@dataclass(frozen=True)
class QueueSpec:
    states: tuple[str, ...]  # the states the role works on (its tabs)
    default_state: str
    approve: dict[str, str] = field(default_factory=dict)  # state → action of "approve"
    give_back: dict[str, str] = field(default_factory=dict)  # state → action of "return"
    reject: tuple[str, ...] = ()  # states the role may reject from


QUEUES = {
    "school_officer": QueueSpec(("draft", "returned", "submitted", "school_approved"), "submitted",
                                {"draft": "submit", "returned": "submit", "submitted": "review"},
                                {"submitted": "return_to_applicant"}, ("submitted",)),
    "school_leader": QueueSpec(("reviewed", "school_approved"), "reviewed", {"reviewed": "approve_school"},
                               {"reviewed": "return_to_applicant"}, ("reviewed", "school_approved")),
    "bureau_officer": QueueSpec(("noticed", "bureau_approved"), "noticed", {"noticed": "approve_bureau"},
                                {"noticed": "return_to_school"}, ("noticed",)),
    "province_admin": QueueSpec(("noticed", "bureau_approved"), "noticed"),
}


def queue_spec(role: str) -> QueueSpec:
    return QUEUES.get(role, QueueSpec((), ""))


def action_for(role: str, verb: str, state: str) -> str | None:
    spec = queue_spec(role)
    if verb == "approve":
        return spec.approve.get(state)
    if verb == "return":
        return spec.give_back.get(state)
    if verb == "reject":
        return "reject" if state in spec.reject else None
    return None


@dataclass
class QueueFilters:
    semester: str = ""
    state: str = ""
    school_id: int = 0
    class_id: int = 0
    programme_id: int = 0
    level: str = ""


def queue_stmt(user, f: QueueFilters, columns=None):
    """The queue's select under the filters; `columns` (e.g. state and a count) instead of the
    records skips the join to students unless a class is chosen, so counts stay index-only."""
    if columns is None:
        stmt = select(Application).join(Student, Student.id == Application.student_id)
    else:
        stmt = select(*columns).select_from(Application)
        if f.class_id:
            stmt = stmt.join(Student, Student.id == Application.student_id)
    stmt = scope(stmt, Application, user)
    if f.semester:
        stmt = stmt.where(Application.semester == f.semester)
    if f.state:
        stmt = stmt.where(Application.state == f.state)
    if f.school_id:
        stmt = stmt.where(Application.school_id == f.school_id)
    if f.class_id:
        stmt = stmt.where(Student.class_id == f.class_id)
    if f.programme_id:
        stmt = stmt.where(Application.programme_id == f.programme_id)
    if f.level:
        stmt = stmt.where(Application.level == f.level)
    return stmt


class QueueRow(NamedTuple):
    """One line of the approval queue: what it shows, read as columns, and the engine's decision
    (quota not counted: see the detail) with its reasons as shown."""
    id: int
    version: int
    semester: str
    school_name: str
    class_name: str | None
    student_name: str
    programme_name: str
    level: str
    amount_fen: int
    state: str
    decision: Decision | None
    decision_text: str


def queue_page(user, f: QueueFilters, page: int, size: int) -> tuple[list[QueueRow], bool]:
    """One page in the queue's order (school, class, name): the page's ids first, sorted on the few
    columns the order needs, then just those applications as plain columns (no records: sorting
    the full joined rows of a school's 250 submitted applications, and building six records per
    row, cost more than the rest of the page)."""
    order = queue_stmt(user, f, columns=(Application.id,))
    if not f.class_id:
        order = order.join(Student, Student.id == Application.student_id)
    ids = list(db.session.scalars(order.order_by(Application.school_id, Student.class_id, Student.name_sort,
                                                 Application.id).offset((page - 1) * size).limit(size + 1)))
    shown = ids[:size]
    if not shown:
        return [], False
    stmt = _page_select().where(Application.id.in_(shown))
    found = {r.application_id: r for r in db.session.execute(scope(stmt, Application, user))}
    rows = [found[i] for i in shown if i in found]
    decisions = _decisions(rows)
    texts: dict[int, str] = {}  # by id() of the decision: one text per distinct decision
    out = []
    for r in rows:
        d = decisions[r.application_id]
        if d is not None and id(d) not in texts:
            texts[id(d)] = proposal_why(d)
        out.append(QueueRow(r.application_id, r.version, r.semester, r.school_name, r.class_name, r.student_name,
                            r.programme_name, r.level, r.amount_fen, r.state, d,
                            texts[id(d)] if d is not None else ""))
    return out, len(ids) > size


@lru_cache(maxsize=1)
def _page_select():
    """The columns of a queue row and of the engine's facts (built once: ~30 columns)."""
    from aid.org.models import School
    from aid.students.models import Major
    app_school = aliased(School)  # the application's school; School below is the student's (the facts')
    return (select(Application.id.label("application_id"), Application.version, Application.semester,
                   Application.level, Application.amount_fen, Application.state, Application.programme_id,
                   app_school.name.label("school_name"), Programme.name.label("programme_name"),
                   Student.name.label("student_name"), Student.class_id, SchoolClass.name.label("class_name"),
                   Student.id, *programmes.fact_columns())
            .join(Student, Student.id == Application.student_id)
            .join(app_school, app_school.id == Application.school_id)
            .join(Programme, Programme.id == Application.programme_id)
            .join(School, School.id == Student.school_id)
            .outerjoin(SchoolClass, SchoolClass.id == Student.class_id)
            .outerjoin(Major, Major.id == SchoolClass.major_id))


def _decisions(rows) -> dict[int, Decision | None]:
    """The engine's decision per application row (quota not counted), as decide() gives it for the
    student's record: one engine run per distinct set of facts and policy version."""
    out: dict[int, Decision | None] = {}
    listed = {p.id: p for p in db.session.execute(select(Programme).where(
        Programme.id.in_({r.programme_id for r in rows}))).scalars()}
    by_semester: dict[str, list] = {}
    for r in rows:
        by_semester.setdefault(r.semester, []).append(r)
    for sem_text, sem_rows in by_semester.items():
        semester = Semester.parse(sem_text)
        with_class = [r for r in sem_rows if r.class_id is not None]
        facts = programmes.facts_for_rows(with_class, semester)
        classless = [r.id for r in sem_rows if r.class_id is None]  # their facts come from the records
        if classless:
            students = db.session.execute(select(Student).where(Student.id.in_(classless))).scalars().all()
            facts.update(programmes.facts_for_many(students, semester))
        versions: dict[int, tuple] = {}  # programme id → (programme, version in force)
        decided: dict[tuple, Decision | None] = {}
        for r in sem_rows:
            if r.programme_id not in versions:
                programme = listed[r.programme_id]
                versions[r.programme_id] = (programme, programmes.version_for(programme, semester))
            programme, version = versions[r.programme_id]
            if version is None:
                out[r.application_id] = None
                continue
            key = (facts[r.id], version.id)
            if key not in decided:
                decided[key] = programmes.decide(None, programme, semester, facts=facts[r.id],
                                                 count_quota=False, version=version)[0]
            out[r.application_id] = decided[key]
    return out


# Tab counts come from the trigger-kept tallies (aid/applications/tallies.py), exact, whenever the
# filters are columns of the tally; a class filter (a column of students) is counted from the
# applications themselves and stops at COUNT_CAP + 1 (shown as "10000+"), as on the student list.
COUNT_CAP = 10000


class Counts(dict):
    """Counts per state; `exact` is False when they were counted up to COUNT_CAP + 1 only."""

    def __init__(self, counts: dict[str, int], exact: bool):
        super().__init__(counts)
        self.exact = exact


def capped_count(stmt) -> int:
    """Rows of a one-column select, counted up to COUNT_CAP + 1."""
    return db.session.scalar(select(func.count()).select_from(stmt.limit(COUNT_CAP + 1).subquery()))


def tally_answers(f: QueueFilters) -> bool:
    """Whether the tallies hold the filters' columns (all but the class)."""
    return not f.class_id


def state_counts(user, f: QueueFilters) -> Counts:
    """Counts of the role's tabs (its states) and of all states ("") under the filters other than
    the state itself: exact from the tallies, or each capped at COUNT_CAP + 1 under a class filter."""
    states = queue_spec(user.role).states
    if tally_answers(f):
        if f.semester in window_semesters() and not (f.school_id or f.programme_id or f.level):
            by_state = {st: n for (sem, st), n in _window_counts(user).items() if sem == f.semester}
        else:
            from aid.applications import tallies
            by_state = {st: n for (st,), n in tallies.counts(
                user, ("state",), semesters=[f.semester] if f.semester else None, school_id=f.school_id,
                programme_id=f.programme_id, level=f.level).items()}
        return Counts({"": sum(by_state.values()), **{s: by_state.get(s, 0) for s in states}}, exact=True)
    without_state = QueueFilters(**{**f.__dict__, "state": ""})
    counts = {"": capped_count(queue_stmt(user, without_state, columns=(Application.id,)))}
    for state in states:
        counts[state] = capped_count(queue_stmt(user, QueueFilters(**{**f.__dict__, "state": state}),
                                                columns=(Application.id,)))
    return Counts(counts, exact=False)


def work_counts(user) -> dict[str, int]:
    """The role's waiting work, per state it acts on (home panel, navigation, queue header),
    exact from the tallies; computed once per request."""
    from flask import g, has_request_context
    key = f"_aid_work_counts_{user.id}"
    if has_request_context() and key in g:
        return dict(g.get(key))
    counts = _work_counts(user)
    if has_request_context():
        setattr(g, key, counts)
    return dict(counts)


def forget_counts(user) -> None:
    """Drop this request's counts (after a write in the same request, e.g. a bulk step)."""
    from flask import g, has_request_context
    if has_request_context():
        g.pop(f"_aid_work_counts_{user.id}", None)
        g.pop(f"_aid_window_counts_{user.id}", None)


WORK_SEMESTERS_BACK = 5  # waiting work counts the last three school years (and the next semester)


def recent_semesters() -> list[str]:
    current = programmes.current_semester()
    return [str(Semester.from_ordinal(current.ordinal + k)) for k in range(-WORK_SEMESTERS_BACK, 2)]


def _work_counts(user) -> dict[str, int]:
    spec = queue_spec(user.role)
    acting = [s for s in spec.states if s in spec.approve] or list(spec.states)
    if not acting:
        return {}
    recent = set(recent_semesters())
    window = _window_counts(user)
    return {s: sum(n for (sem, st), n in window.items() if st == s and sem in recent) for s in acting}


LOOK_BACK = 8  # the queue opens on the newest of the last eight semesters with work in its state


def default_semester(user, state: str = "") -> str:
    """The current semester, or the newest of the previous few with applications in `state` in the
    jurisdiction: the queue opens on the work at hand without counting every semester ever."""
    current = programmes.current_semester()
    window = _window_counts(user)
    for k in range(LOOK_BACK + 1):
        sem = str(Semester.from_ordinal(current.ordinal - k))
        if any(n for (s, st), n in window.items() if s == sem and (not state or st == state)):
            return sem
    return str(current)


def window_semesters() -> list[str]:
    """The semesters the queue opens on and counts waiting work in: LOOK_BACK back to the next one."""
    current = programmes.current_semester()
    return [str(Semester.from_ordinal(current.ordinal + k)) for k in range(-max(LOOK_BACK, WORK_SEMESTERS_BACK), 2)]


def _window_counts(user) -> dict[tuple[str, str], int]:
    """{(semester, state): applications} of the jurisdiction over window_semesters(), from the
    tallies, once per request: the queue's opening semester, its tabs when no other filter is
    chosen, and the waiting-work badges all read it (one small grouped read, not one each)."""
    from flask import g, has_request_context

    from aid.applications import tallies
    key = f"_aid_window_counts_{user.id}"
    if has_request_context() and key in g:
        return g.get(key)
    counts = tallies.counts(user, ("semester", "state"), semesters=window_semesters())
    if has_request_context():
        setattr(g, key, counts)
    return counts


# --- creating applications -------------------------------------------------------------

def _refuse_ineligible(decision: Decision | None, programme: Programme, semester: Semester) -> None:
    if decision is None:
        raise ApplicationError(f"{programme.name}在{semester.label}没有适用的政策")
    if not decision.eligible:
        raise ApplicationError(decision.summary)


def create_application(user, student: Student, programme: Programme, semester: Semester, *,
                       level: str | None = None, note: str = "", submit: bool = False) -> Application:
    """One application; the engine must find the student eligible, the level must be in the
    province's set and the amount follows from the rules (never typed)."""
    exists = db.session.execute(select(Application.id).where(
        Application.student_id == student.id, Application.programme_id == programme.id,
        Application.semester == str(semester))).first()
    if exists:
        raise ApplicationError(f"{student.name}已有{semester.label}{programme.name}的申请，不能重复申请")
    excellent = True if programme.kind == "national_scholarship" else None
    if excellent and not (note or "").strip():
        raise ApplicationError("推荐国家奖学金须填写推荐理由（学习成绩和专业技能表现）")
    facts = programmes.facts_for(student, semester, academic_excellent=excellent)
    decision, version = programmes.decide(student, programme, semester, facts=facts)
    _refuse_ineligible(decision, programme, semester)
    rules = programmes.version_rules(version)
    if level and rules.amount_source == "level" and level not in {lv.name for lv in rules.levels}:
        raise ApplicationError(f"档次“{level}”不在本省设定的档次（{'、'.join(lv.name for lv in rules.levels)}）内")
    if level and rules.amount_source != "level":
        raise ApplicationError(f"{programme.name}不分档次")
    try:
        level_name, amount = programmes.amount_and_level(student, rules, semester, facts.hardship_level, level)
    except ValueError as exc:
        raise ApplicationError(f"无法计算金额：{exc}") from exc
    app = Application(school_id=student.school_id, student_id=student.id, programme_id=programme.id,
                      programme_version_id=version.id, semester=str(semester), level=level_name,
                      amount_fen=amount, state="draft", note=(note or "").strip()[:1000],
                      created_by=getattr(user, "id", None))
    db.session.add(app)
    db.session.flush()
    record("create", app, user=user, after={"student": student.register_no, "programme": programme.code,
                                            "semester": str(semester), "level": level_name, "amount_fen": amount},
           summary=f"新建{semester.label}{programme.name}申请（{student.name}）")
    if submit:
        apply_transition(APPLICATION_WORKFLOW, app, "submit", user)
    return app


def check_amount(app: Application) -> str | None:
    """A Chinese message when the stored amount does not match the level under the version's rules."""
    rules = programmes.version_rules(app.programme_version)
    semester = Semester.parse(app.semester)
    try:
        expected = programmes.amount_and_level(app.student, rules, semester, None, app.level or None)[1]
    except ValueError as exc:
        return f"无法核对金额：{exc}"
    if expected != app.amount_fen:
        return f"金额与档次不符：应为{expected / 100:.2f}元"
    return None


def full_time_students(school_id: int) -> list[Student]:
    """The school's full-time students (part-time students never reach an aid list)."""
    return list(db.session.execute(
        select(Student).join(SchoolClass, SchoolClass.id == Student.class_id)
        .where(Student.school_id == school_id, Student.study_mode == "full_time",
               SchoolClass.study_mode == "full_time")
        .options(joinedload(Student.school_class).joinedload(SchoolClass.major), joinedload(Student.school))
        .order_by(Student.class_id, Student.name_sort, Student.id)).unique().scalars())


@dataclass
class Proposal:
    student: Student
    decision: Decision
    existing: Application | None


def proposals(user, school_id: int, programme: Programme, semester: Semester) -> list[Proposal]:
    """Every full-time student of the school with the engine's decision and any existing application."""
    if programme.kind not in PROPOSED_KINDS:
        raise ApplicationError("只有免学费和国家助学金按名单生成建议")
    from aid.scoping import in_jurisdiction
    if not in_jurisdiction(school_id, user):
        raise ApplicationError("该学校不在您的管辖范围内")
    students = full_time_students(school_id)
    facts = programmes.facts_for_many(students, semester)
    existing = {a.student_id: a for a in db.session.execute(select(Application).where(
        Application.school_id == school_id, Application.programme_id == programme.id,
        Application.semester == str(semester))).scalars()}
    version = programmes.version_for(programme, semester)
    if version is None:
        raise ApplicationError(f"{programme.name}在{semester.label}没有适用的政策")
    out = []
    for s in students:
        decision, _v = programmes.decide(s, programme, semester, facts=facts[s.id], count_quota=False, version=version)
        out.append(Proposal(s, decision, existing.get(s.id)))
    return out


class ProposalRow(NamedTuple):
    """One line of the 资助名单 page: what it shows of the student, the decision, any application."""
    student_id: int
    name: str
    class_name: str
    decision: Decision
    application_id: int | None
    application_state: str | None
    why: str  # the reasons the page shows: the criteria met, or what is not met


def proposal_why(decision: Decision) -> str:
    """The reasons a list line shows: the criteria met when eligible, otherwise each failure."""
    if decision.eligible:
        return "；".join(r.text for r in decision.reasons if r.code in decision.matched)
    return "；".join(r.text for r in decision.failures)


class _FactRow(NamedTuple):
    """What programmes.facts_from_row() reads, for one class and one set of a student's values
    (the enrolment date only matters for a student without a class; listed students have one)."""
    study_mode: str
    status: str
    registration_state: str
    household: str
    class_study_mode: str
    intake_date: object
    programme_years: int
    agriculture_related: bool
    opera_performance: bool
    other_performing_arts: bool
    ethnic_minority_area: bool
    contiguous_poverty_area: bool
    ownership: str
    enrolment_date: object = None


def proposal_rows(user, school_id: int, programme: Programme, semester: Semester) -> list[ProposalRow]:
    """proposals() as plain rows for the page: the same students, order, decisions and
    applications. The students are read as a few plain columns with their application; what the
    engine reads of their class, major and school once per class (a few dozen rows); hardship,
    holds and recommendations with one statement each for the school; and the engine runs once
    per distinct set of facts (students sharing them share one decision; Decision is immutable)."""
    if programme.kind not in PROPOSED_KINDS:
        raise ApplicationError("只有免学费和国家助学金按名单生成建议")
    from aid.changes.holds import holds_for
    from aid.org.models import School
    from aid.scoping import in_jurisdiction
    from aid.students.models import Major
    if not in_jurisdiction(school_id, user):
        raise ApplicationError("该学校不在您的管辖范围内")
    version = programmes.version_for(programme, semester)
    if version is None:
        raise ApplicationError(f"{programme.name}在{semester.label}没有适用的政策")
    # with the student's application for the programme and semester, if any (at most one: unique)
    rows = db.session.execute(
        select(Student.id, Student.name, Student.class_id, Student.status, Student.registration_state,
               Student.household, Application.id, Application.state)
        .join(SchoolClass, SchoolClass.id == Student.class_id)
        .outerjoin(Application, and_(Application.student_id == Student.id, Application.programme_id == programme.id,
                                     Application.semester == str(semester), Application.school_id == school_id))
        .where(Student.school_id == school_id, Student.study_mode == "full_time", SchoolClass.study_mode == "full_time")
        .order_by(Student.class_id, Student.name_sort, Student.id)).all()
    if not rows:
        return []
    school = db.session.execute(select(School.ethnic_minority_area, School.contiguous_poverty_area, School.ownership)
                                .where(School.id == school_id)).one()
    class_names, class_facts = {}, {}  # classes with the same dates and major flags share their facts
    for c in db.session.execute(
            select(SchoolClass.id, SchoolClass.name, SchoolClass.intake_date, SchoolClass.programme_years,
                   Major.agriculture_related, Major.opera_performance, Major.other_performing_arts)
            .join(Major, Major.id == SchoolClass.major_id)
            .where(SchoolClass.id.in_({r.class_id for r in rows}))):
        class_names[c.id] = c.name
        class_facts[c.id] = tuple(c[2:])
    # the facts read from other tables, one statement each for the school's full-time students (a
    # superset of the rows: their class's mode is not needed to look them up)
    ids = select(Student.id).where(Student.school_id == school_id, Student.study_mode == "full_time")
    levels = programmes.hardship_levels_for(ids, semester)
    holds = holds_for(ids, semester.start_date)
    excellent = programmes.excellent_students(ids, semester)
    decided: dict[tuple, tuple[Decision, str]] = {}
    out = []
    for sid, name, class_id, status, reg_state, household, app_id, app_state in rows:
        extra = (levels.get(sid), holds.get(sid), sid in excellent)
        key = (class_facts[class_id], status, reg_state, household) + extra
        found = decided.get(key)
        if found is None:
            facts = programmes.facts_from_row(_FactRow(
                "full_time", status, reg_state, household, "full_time", *class_facts[class_id], *school), *extra)
            decision = programmes.decide(None, programme, semester, facts=facts, count_quota=False, version=version)[0]
            found = decided[key] = (decision, proposal_why(decision))
        out.append(ProposalRow(sid, name, class_names[class_id], found[0], app_id, app_state, found[1]))
    return out


def generate_proposals(user, school_id: int, programme: Programme, semester: Semester) -> tuple[list[Application], int]:
    """Create a draft application for every eligible full-time student who has none
    (应免尽免). Idempotent: a second run creates nothing. Returns (created, eligible count)."""
    created: list[Application] = []
    eligible = 0
    for p in proposals(user, school_id, programme, semester):
        if not p.decision.eligible:
            continue
        eligible += 1
        if p.existing is not None:
            continue
        created.append(create_application(user, p.student, programme, semester))
    record("applications_propose", object_type="applications", school_id=school_id, user=user,
           after={"programme": programme.code, "semester": str(semester), "created": len(created), "eligible": eligible},
           summary=f"按资格生成{semester.label}{programme.name}名单：新增{len(created)}人")
    return created, eligible


# --- steps -----------------------------------------------------------------------------

BulkResult = BulkOutcome  # done: the applications stepped; stale / refused: (id, message)


def parse_items(values: list[str]) -> list[tuple[int, int]]:
    """'id:version' pairs from the selected rows (an empty selection is bulk()'s message)."""
    if not values:
        return []
    try:
        return parse_selection(values)
    except TransitionError as exc:
        raise ApplicationError(str(exc)) from None


def step(user, app: Application, action: str, *, expected_version: int | None, reason: str = "") -> None:
    """One transition, in a savepoint so that a lost race leaves the rest of a bulk intact."""
    if action in ("approve_school", "approve_bureau"):
        problem = check_amount(app)
        if problem:
            raise TransitionError(problem)
    try:
        with db.session.begin_nested():
            apply_transition(APPLICATION_WORKFLOW, app, action, user, reason=reason, expected_version=expected_version)
            db.session.flush()
    except StaleDataError as exc:
        raise TransitionError(STALE_MESSAGE) from exc


def bulk(user, items: list[tuple[int, int]], verb: str, reason: str = "") -> BulkResult:
    """Approve, return or reject the selected applications; stale or refused items are
    reported back, never applied."""
    if verb not in ("approve", "return", "reject"):
        raise ApplicationError("未知操作")
    if verb in ("return", "reject") and not (reason or "").strip():
        raise ApplicationError("退回或不予通过必须填写原因")
    result = BulkResult()
    if not items:
        raise ApplicationError("请先选择要处理的记录")
    ids = [i for i, _v in items]
    stmt = scope(select(Application).where(Application.id.in_(ids)), Application, user).options(
        joinedload(Application.student).joinedload(Student.school_class).joinedload(SchoolClass.major),
        joinedload(Application.student).joinedload(Student.school), joinedload(Application.programme_version))
    apps = {a.id: a for a in db.session.execute(stmt).unique().scalars()}
    for app_id, version in items:
        app = apps.get(app_id)
        if app is None:
            result.refused.append((app_id, "记录不存在或不在管辖范围内"))
            continue
        if app.version != version:
            result.stale.append((app_id, STALE_MESSAGE))
            continue
        action = action_for(user.role, verb, app.state)
        if action is None:
            result.refused.append((app_id, f"当前状态为“{APPLICATION_STATES.get(app.state, app.state)}”，不能执行该操作"))
            continue
        try:
            step(user, app, action, expected_version=version, reason=reason)
        except TransitionError as exc:
            (result.stale if str(exc) == STALE_MESSAGE else result.refused).append((app_id, str(exc)))
        else:
            result.done.append(app)
    return result
