"""Pure aid-eligibility engine: who may receive a programme in a semester, and why.

Inputs are plain frozen dataclasses filled by the database layer; nothing here touches
Flask or SQLAlchemy. A programme version is eligible for a student when ALL hard
requirements pass and ANY of the programme's inclusion criteria matches (programmes with
no inclusion criteria, e.g. the scholarship, need only the hard requirements). Every
requirement is evaluated and reported, even after an earlier one failed, so the UI can
show the complete picture.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from fractions import Fraction
from math import floor

from .semesters import Semester, intake_semester, year_of_study

STUDY_MODES = ("full_time", "part_time")
REGISTER_STATUSES = ("在籍", "休学", "退学", "转出", "毕业", "结业")
REGISTRATION_STATES = ("draft", "submitted", "verified", "returned")
HOUSEHOLDS = ("rural", "urban")  # rural = 农村（含县镇）
OWNERSHIPS = ("public", "private")
HARDSHIP_LEVELS = ("特别困难", "比较困难", "一般困难")  # default; provinces may rename
NOT_DIFFICULT = "不困难"
AMOUNT_SOURCES = ("tuition_standard", "level", "fixed")
PAYMENT_SCHEDULES = ("semester", "monthly")
MONTHS_PER_SEMESTER = 5

_REGISTRATION_LABEL = {
    "draft": "尚未报送",
    "submitted": "已报送，待人社部门审核",
    "returned": "被人社部门退回",
}
_GRADE = "一二三四五六七八九"


def grade_label(year: int) -> str:
    return f"{_GRADE[year - 1]}年级" if 1 <= year <= len(_GRADE) else f"{year}年级"


@dataclass(frozen=True, kw_only=True)
class StudentFacts:
    study_mode: str
    register_status: str
    registration_state: str
    household: str
    intake_date: date
    programme_length_years: int
    major_agriculture: bool = False
    major_opera: bool = False
    major_other_performing_arts: bool = False
    school_ethnic_minority_area: bool = False
    school_contiguous_poverty_area: bool = False  # "11+3"
    school_ownership: str = "public"
    hardship_level: str | None = None  # None = not determined
    has_hold: bool = False
    hold_reason: str | None = None
    academic_excellent: bool = False

    def __post_init__(self):
        # Unknown codes must fail loudly: a typo would otherwise silently make a
        # student ineligible (or, for household, silently "urban").
        for name, allowed in (
            ("study_mode", STUDY_MODES),
            ("register_status", REGISTER_STATUSES),
            ("registration_state", REGISTRATION_STATES),
            ("household", HOUSEHOLDS),
            ("school_ownership", OWNERSHIPS),
        ):
            if getattr(self, name) not in allowed:
                raise ValueError(f"{name} must be one of {allowed}, not {getattr(self, name)!r}")
        if self.programme_length_years < 1:
            raise ValueError("programme_length_years must be at least 1")

    @property
    def hardship_determined(self) -> bool:
        return self.hardship_level not in (None, "", NOT_DIFFICULT)


@dataclass(frozen=True)
class Level:
    name: str
    annual_fen: int


@dataclass(frozen=True)
class Criterion:
    code: str
    flag: str  # the ProgrammeRules attribute that switches it on
    text: str  # may use {hardship_level}
    test: Callable[[StudentFacts], bool] = field(compare=False, repr=False)


CRITERIA = (
    Criterion("rural", "include_rural", "农村（含县镇）户籍学生",
              lambda s: s.household == "rural"),
    Criterion("urban_agriculture", "include_urban_agriculture", "城镇户籍涉农专业学生",
              lambda s: s.household == "urban" and s.major_agriculture),
    Criterion("agriculture_major", "include_agriculture_major", "涉农专业",
              lambda s: s.major_agriculture),
    Criterion("hardship", "include_hardship", "家庭经济困难学生（{hardship_level}）",
              lambda s: s.hardship_determined),
    Criterion("ethnic_minority_area_school", "include_ethnic_minority_area_school",
              "民族地区学校学生", lambda s: s.school_ethnic_minority_area),
    Criterion("opera", "include_opera", "戏曲表演专业", lambda s: s.major_opera),
    # The grant rule says 农村学生（不含县城）; the register only records 农村（含县镇）,
    # so county-town students of such schools are included too (the generous reading).
    Criterion("poverty_area_rural", "include_poverty_area_rural",
              "“11+3”连片特困地区学校农村学生",
              lambda s: s.school_contiguous_poverty_area and s.household == "rural"),
)
CRITERION_CODES = tuple(c.code for c in CRITERIA)


@dataclass(frozen=True, kw_only=True)
class ProgrammeRules:
    """One version of a programme, valid from `valid_from` to `valid_to` (None: open)."""

    code: str
    name: str
    kind: str  # 'waiver' | 'grant' | 'scholarship' | 'local'
    valid_from: Semester
    valid_to: Semester | None = None
    years_of_study: tuple[int, ...] = ()  # empty: any year >= min_year
    min_year: int = 1
    # inclusion criteria: any one suffices
    include_rural: bool = False
    include_urban_agriculture: bool = False
    include_agriculture_major: bool = False
    include_hardship: bool = False
    include_ethnic_minority_area_school: bool = False
    include_opera: bool = False
    include_poverty_area_rural: bool = False
    # students of other performing-arts majors count only through these criteria
    exclude_other_performing_arts: bool = False
    performing_arts_allowed_via: tuple[str, ...] = ("ethnic_minority_area_school", "opera")
    # hard requirements beyond the universal ones
    require_hardship: bool = False
    require_excellence: bool = False
    # amount
    amount_source: str = "fixed"
    levels: tuple[Level, ...] = ()
    fixed_annual_fen: int | None = None
    paid_once: bool = False  # whole annual amount in one payment (scholarship)
    policy_average_fen: int | None = None
    # expected head counts per level (in level order) for the average; empty: equal weights
    level_weights: tuple[int, ...] = ()
    quota: int | None = None

    def __post_init__(self):
        if self.amount_source not in AMOUNT_SOURCES:
            raise ValueError(f"amount_source must be one of {AMOUNT_SOURCES}")
        if self.amount_source == "level" and not self.levels:
            raise ValueError("amount_source 'level' needs levels")
        if self.amount_source == "fixed" and self.fixed_annual_fen is None:
            raise ValueError("amount_source 'fixed' needs fixed_annual_fen")
        if self.valid_to is not None and self.valid_to < self.valid_from:
            raise ValueError("valid_to is before valid_from")
        if self.min_year < 1 or any(y < 1 for y in self.years_of_study):
            raise ValueError("years of study start at 1")
        unknown = set(self.performing_arts_allowed_via) - set(CRITERION_CODES)
        if unknown:
            raise ValueError(f"unknown criteria in performing_arts_allowed_via: {sorted(unknown)}")
        if self.quota is not None and self.quota < 0:
            raise ValueError("quota cannot be negative")
        if not isinstance(self.level_weights, tuple):  # e.g. a list from JSON
            object.__setattr__(self, "level_weights", tuple(self.level_weights))
        if self.level_weights and len(self.level_weights) != len(self.levels):
            raise ValueError("one weight per level")

    @property
    def criteria(self) -> tuple[Criterion, ...]:
        return tuple(c for c in CRITERIA if getattr(self, c.flag))

    def is_valid_in(self, semester: Semester) -> bool:
        return self.valid_from <= semester and (self.valid_to is None or semester <= self.valid_to)

    def covers_year(self, year: int) -> bool:
        return year >= self.min_year and (not self.years_of_study or year in self.years_of_study)

    @property
    def validity_text(self) -> str:
        if self.valid_to is None:
            return f"{self.valid_from.label}起"
        return f"{self.valid_from.label}至{self.valid_to.label}"

    @property
    def years_text(self) -> str:
        ys = sorted(y for y in self.years_of_study if y >= self.min_year)
        if not self.years_of_study:
            return f"{self.min_year}年级及以上"
        if not ys:
            return "无"
        if ys == list(range(ys[0], ys[-1] + 1)):
            return f"{ys[0]}年级" if len(ys) == 1 else f"{ys[0]}–{ys[-1]}年级"
        return "、".join(f"{y}年级" for y in ys)


@dataclass(frozen=True)
class Reason:
    code: str
    ok: bool
    text: str


@dataclass(frozen=True)
class Decision:
    eligible: bool
    reasons: tuple[Reason, ...]
    programme_code: str
    programme_name: str
    semester: Semester
    year_of_study: int
    matched: tuple[str, ...]  # inclusion criteria that qualified the student

    @property
    def failures(self) -> tuple[Reason, ...]:
        return tuple(r for r in self.reasons if not r.ok)

    @property
    def summary(self) -> str:
        if self.eligible:
            why = "；".join(r.text for r in self.reasons if r.code in self.matched)
            return f"符合{self.programme_name}条件" + (f"：{why}" if why else "")
        return f"不符合{self.programme_name}条件：" + "；".join(r.text for r in self.failures)


def eligibility(
    student: StudentFacts,
    programme: ProgrammeRules,
    semester: Semester,
    *,
    quota_used: int | None = None,
    quota: int | None = None,
) -> Decision:
    """Decide one student, one programme version, one semester.

    `quota` overrides programme.quota (quotas are usually set per school); `quota_used`
    counts places already taken by OTHER students.
    """
    s, p = student, programme
    reasons: list[Reason] = []

    def check(code: str, ok: bool, yes: str, no: str) -> None:
        reasons.append(Reason(code, ok, yes if ok else no))

    # Hard requirements. Full-time is not a flag: no configuration can admit part-time.
    check("full_time", s.study_mode == "full_time",
          "全日制正式学籍", "非全日制学生不享受资助（硬性规定）")
    check("register_status", s.register_status == "在籍",
          "学籍状态为在籍", f"学籍状态为{s.register_status}，不能享受资助")
    check("registration_verified", s.registration_state == "verified",
          "电子注册已审核",
          f"电子注册未经人社部门审核（{_REGISTRATION_LABEL.get(s.registration_state, '')}）")
    check("programme_valid", p.is_valid_in(semester),
          f"{p.name}政策（{p.validity_text}）适用于{semester.label}",
          f"{p.name}此版本政策（{p.validity_text}）不适用于{semester.label}")
    year = year_of_study(s.intake_date, semester)
    if year == 0:
        check("year_of_study", False, "",
              f"{semester.label}尚未入学（{intake_semester(s.intake_date).label}入学）")
    else:
        check("year_of_study", p.covers_year(year),
              f"{grade_label(year)}，在资助年级（{p.years_text}）内",
              f"{grade_label(year)}，不在资助年级（{p.years_text}）内")
        check("programme_length", year <= s.programme_length_years,
              f"在学制（{s.programme_length_years}年）内",
              f"{grade_label(year)}已超出学制（{s.programme_length_years}年）")
    check("no_hold", not s.has_hold,
          "无发放暂停", f"学生有发放暂停：{s.hold_reason}" if s.hold_reason else "学生有发放暂停")
    if p.require_hardship:
        check("hardship_required", s.hardship_determined,
              f"已认定为家庭经济困难（{s.hardship_level}）",
              "家庭经济困难认定结果为不困难" if s.hardship_level == NOT_DIFFICULT
              else "未认定为家庭经济困难学生")
    if p.require_excellence:
        check("excellence", s.academic_excellent,
              "学习成绩和专业技能特别优秀", "未被评为学习成绩和专业技能特别优秀")
    limit = p.quota if quota is None else quota
    if limit is not None:
        if quota_used is None:
            check("quota", True, f"限额{limit}名（未统计已用名额）", "")
        else:
            check("quota", quota_used < limit,
                  f"名额未满（{quota_used}/{limit}）", f"名额已满（{quota_used}/{limit}）")
    hard_ok = all(r.ok for r in reasons)

    # Inclusion criteria.
    criteria = p.criteria
    matched = [c for c in criteria if c.test(s)]
    if p.exclude_other_performing_arts and s.major_other_performing_arts:
        kept = [c for c in matched if c.code in p.performing_arts_allowed_via]
        if not kept:
            check("other_performing_arts", False, "", f"其他文艺类表演专业不享受{p.name}")
        matched = kept
    elif criteria and not matched:
        check("no_criterion", False, "",
              f"不属于{p.name}资助对象（须为"
              + "、".join(c.text.replace("（{hardship_level}）", "") for c in criteria)
              + "之一）")
    for c in matched:
        reasons.append(Reason(c.code, True, c.text.format(hardship_level=s.hardship_level)))

    return Decision(
        eligible=hard_ok and (not criteria or bool(matched)),
        reasons=tuple(reasons),
        programme_code=p.code,
        programme_name=p.name,
        semester=semester,
        year_of_study=year,
        matched=tuple(c.code for c in matched),
    )


def select_version(
    programmes: Sequence[ProgrammeRules], code: str, semester: Semester
) -> ProgrammeRules | None:
    """The version of programme `code` valid in `semester`, or None."""
    found = [p for p in programmes if p.code == code and p.is_valid_in(semester)]
    if len(found) > 1:
        raise ValueError(f"overlapping versions of {code} in {semester}")
    return found[0] if found else None


# --- amounts (integer fen throughout) ---------------------------------------------

def level_for(programme: ProgrammeRules, hardship_level: str | None) -> Level | None:
    """The grant level for a student: the level named after his hardship level.

    Students who qualify without a hardship level (agriculture majors, "11+3" rural
    students not determined difficult) get the lowest level: levels exist to grade aid
    by need, and these students have no determined need.
    """
    if programme.amount_source != "level":
        return None
    for level in programme.levels:
        if level.name == hardship_level:
            return level
    return min(programme.levels, key=lambda lv: lv.annual_fen)


def annual_amount_fen(
    programme: ProgrammeRules,
    level_name: str | None = None,
    tuition_standard_fen: int | None = None,
) -> int:
    src = programme.amount_source
    if src == "fixed":
        return programme.fixed_annual_fen
    if src == "tuition_standard":
        if tuition_standard_fen is None:
            raise ValueError(f"{programme.name}按专业学费标准计算，缺少学费标准")
        if tuition_standard_fen < 0:
            raise ValueError("tuition standard cannot be negative")
        return tuition_standard_fen
    for level in programme.levels:
        if level.name == level_name:
            return level.annual_fen
    raise ValueError(f"{programme.name}没有“{level_name}”档次")


def amount_for(
    programme: ProgrammeRules,
    level_name: str | None,
    tuition_standard_fen: int | None,
    semester: Semester,
) -> int:
    """Fen payable for `semester`: half the annual amount, or all of it if paid once.

    An odd annual amount gives the extra fen to the autumn semester (the first of the
    school year), so the two semesters of a school year always sum to the annual amount.
    """
    if not programme.is_valid_in(semester):
        raise ValueError(f"{programme.name}此版本不适用于{semester.label}")
    annual = annual_amount_fen(programme, level_name, tuition_standard_fen)
    if programme.paid_once:
        return annual
    half = annual // 2
    return annual - half if semester.term == "autumn" else half


def monthly_instalments(semester_fen: int, months: int = MONTHS_PER_SEMESTER) -> list[int]:
    """Equal monthly instalments; the remainder goes on the last month."""
    if semester_fen < 0 or months < 1:
        raise ValueError("amount must be >= 0 and months >= 1")
    each = semester_fen // months
    return [each] * (months - 1) + [semester_fen - each * (months - 1)]


def payments_for(
    programme: ProgrammeRules,
    level_name: str | None,
    tuition_standard_fen: int | None,
    semester: Semester,
    payment_schedule: str = "semester",
) -> list[int]:
    """The individual payments for one semester under the province's payment setting."""
    if payment_schedule not in PAYMENT_SCHEDULES:
        raise ValueError(f"payment_schedule must be one of {PAYMENT_SCHEDULES}")
    total = amount_for(programme, level_name, tuition_standard_fen, semester)
    if payment_schedule == "semester" or programme.paid_once:
        return [total]
    return monthly_instalments(total)


def levels_average_fen(
    levels: Sequence[Level], weights: Sequence[float] | Mapping[str, float] | None = None
) -> int:
    """(Weighted) average annual amount of the levels, rounded half up to a fen.

    `weights` are e.g. head counts per level, given in level order or by level name;
    None weighs every level equally.
    """
    if not levels:
        raise ValueError("no levels")
    if weights is None:
        ws = [1] * len(levels)
    elif isinstance(weights, Mapping):
        ws = [weights.get(lv.name, 0) for lv in levels]
    else:
        ws = list(weights)
        if len(ws) != len(levels):
            raise ValueError("one weight per level")
    ws = [Fraction(w) for w in ws]
    if any(w < 0 for w in ws) or sum(ws) == 0:
        raise ValueError("weights must be non-negative and not all zero")
    avg = sum(Fraction(lv.annual_fen) * w for lv, w in zip(levels, ws)) / sum(ws)
    return floor(avg + Fraction(1, 2))


__all__ = [
    "StudentFacts", "ProgrammeRules", "Level", "Reason", "Decision", "Criterion", "CRITERIA",
    "eligibility", "select_version", "level_for", "annual_amount_fen", "amount_for",
    "payments_for", "monthly_instalments", "levels_average_fen", "grade_label",
]
