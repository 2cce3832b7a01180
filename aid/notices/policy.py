"""The public policy page: what each programme in force gives, to whom, how
much, and how to apply — generated from the programme versions (or the shipped
defaults when the province has not entered any)."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select

from aid.extensions import db
from aid.programmes.defaults import DEFAULT_PROGRAMMES
from aid.programmes.eligibility import ProgrammeRules
from aid.programmes.models import Programme, ProgrammeVersion
from aid.programmes.rules_io import rules_from_dict, rules_to_json  # noqa: F401 (re-exported)
from aid.programmes.semesters import Semester
from aid.settings import get_setting

RULE_KINDS = {"tuition_waiver": "waiver", "national_grant": "grant", "national_scholarship": "scholarship",
              "local": "local"}
SCHEDULES = {"semester": "每学期发放一次（按学期）", "monthly": "按月发放"}

HOW_TO_APPLY = {
    "waiver": ("无需个人申请：学校根据电子学籍信息，对符合条件的全日制学生逐一审核、应免尽免，"
               "名单经学校审批、公示和人社部门审核后执行，学生在学期内不再缴纳学费。"),
    "grant": ("每学期开学后，由学生（或监护人）向学校学生资助管理部门提出申请；"
              "家庭经济困难学生须先完成家庭经济困难认定。学校审核、评定资助等次并公示不少于{n}个工作日，"
              "经人社部门审批后，助学金发放至学生本人的中职学生资助卡或社会保障卡。"),
    "scholarship": ("每学年由学校按照分配名额，从二年级及以上学习成绩和专业技能特别优秀的学生中评审推荐，"
                    "推荐名单公示不少于{n}个工作日后报人社部门审核，奖学金一次性发放。"),
    "local": ("按照地方或学校公布的办法，向学校学生资助管理部门提出申请，经审核、公示不少于{n}个工作日后发放。"),
}

HARDSHIP_STEPS = (
    "学校每学年组织一次家庭经济困难学生认定，每学期对认定结果进行调整。",
    "学生（或监护人）提交认定申请表，如实填写家庭经济情况并签署诚信承诺。",
    "班级认定评议小组评议，学校学生资助工作组审核认定困难等次。",
    "认定结果在校内公示不少于{n}个工作日，公示内容不涉及学生个人敏感信息及隐私。",
    "原建档立卡贫困家庭、最低生活保障家庭、特困供养、孤儿、烈士子女、家庭经济困难残疾学生及残疾人子女等"
    "特困家庭学生重点保障，应助尽助、应免尽免；边缘易致贫户、突发严重困难户家庭的学生主动纳入资助范围。",
)

INTEGRITY_PLEDGE = (
    "学生和监护人应如实提供家庭经济情况，家庭经济情况发生变化时及时告知学校。",
    "申请人签署诚信承诺书，对所提供材料的真实性负责。",
    "弄虚作假、冒领套取资助资金的，学校将取消资助资格、追回资金，并依法依规追究责任。",
)


@dataclass
class PolicySection:
    name: str
    validity: str
    who: list[str] = field(default_factory=list)
    amounts: list[str] = field(default_factory=list)
    schedule: str = ""
    how: str = ""
    source: str = ""


def _semester(value):
    if value is None or isinstance(value, Semester):
        return value
    if isinstance(value, dict):
        return Semester(int(value["year"]), value["term"])
    return Semester.parse(str(value))


def rules_from_json(text: str, programme: Programme, version: ProgrammeVersion | None = None) -> ProgrammeRules:
    """The stored rules (aid.programmes.rules_io format), with the programme's
    identity and the version row's validity filling what a sparse record omits."""
    data = json.loads(text or "{}")
    if version is not None:
        data.setdefault("valid_from", version.valid_from)
        data.setdefault("valid_to", version.valid_to)
    data.setdefault("code", programme.code)
    data.setdefault("name", programme.name)
    data.setdefault("kind", RULE_KINDS.get(programme.kind, "local"))
    return rules_from_dict(data)


def _in_force(semester: Semester) -> list[tuple[ProgrammeRules, str, str]]:
    """(rules, payment schedule, source) of each province-wide programme in force."""
    programmes = db.session.execute(
        select(Programme).where(Programme.school_id.is_(None), Programme.active.is_(True)).order_by(Programme.id)
    ).scalars().all()
    found = []
    for programme in programmes:
        versions = db.session.execute(
            select(ProgrammeVersion).where(ProgrammeVersion.programme_id == programme.id,
                                           ProgrammeVersion.valid_from_ordinal <= semester.ordinal)
            .order_by(ProgrammeVersion.valid_from_ordinal.desc())
        ).scalars().all()
        for version in versions:
            if version.valid_to and _semester(version.valid_to) < semester:
                continue
            try:
                rules = rules_from_json(version.rules_json, programme, version)
            except (ValueError, KeyError, TypeError):
                continue  # an unreadable version is not shown rather than shown wrong
            found.append((rules, version.payment_schedule, "省级资助政策设置"))
            break
    if found:
        return found
    schedule = str(get_setting("grant_payment_schedule"))
    return [(rules, schedule, "国家资助政策（系统默认设置）")
            for rules in DEFAULT_PROGRAMMES if rules.is_valid_in(semester)]


def _yuan(fen: int) -> str:
    from aid.core.money import format_fen

    return f"{format_fen(fen)}元"


def _who(rules: ProgrammeRules) -> list[str]:
    lines = [f"全日制正式学籍、在籍且电子注册已审核的学生（非全日制学生不享受），{rules.years_text}"]
    criteria = [c.text.replace("（{hardship_level}）", "") for c in rules.criteria]
    if criteria:
        lines.append("符合下列条件之一：" + "；".join(criteria))
    if rules.exclude_other_performing_arts:
        lines.append("其他文艺类表演专业学生除外（民族地区学校学生和戏曲表演专业学生不受此限）")
    if rules.require_hardship:
        lines.append("须经认定为家庭经济困难学生")
    if rules.require_excellence:
        lines.append("学习成绩和专业技能特别优秀")
    if rules.quota is not None:
        lines.append(f"名额：{rules.quota}名")
    return lines


def _amounts(rules: ProgrammeRules) -> list[str]:
    if rules.amount_source == "tuition_standard":
        return ["按所学专业的学费标准免除学费；民办学校按同类型同专业公办学校的学费标准免除"]
    if rules.amount_source == "fixed":
        once = "，一次性发放" if rules.paid_once else "，每学期发放一半"
        return [f"每生每年{_yuan(rules.fixed_annual_fen)}{once}"]
    lines = [f"{lv.name}：每生每年{_yuan(lv.annual_fen)}（每学期{_yuan(lv.annual_fen // 2)}）" for lv in rules.levels]
    if rules.policy_average_fen:
        lines.append(f"平均资助标准每生每年{_yuan(rules.policy_average_fen)}，按家庭经济困难程度分档资助")
    return lines


def policy_sections(today: date) -> tuple[Semester, list[PolicySection]]:
    semester = Semester.containing(today)
    n = int(get_setting("notice_min_workdays"))
    sections = []
    for rules, schedule, source in _in_force(semester):
        sections.append(PolicySection(
            name=rules.name, validity=rules.validity_text, who=_who(rules), amounts=_amounts(rules),
            schedule="" if rules.kind == "waiver" else ("一次性发放" if rules.paid_once else SCHEDULES.get(schedule, schedule)),
            how=HOW_TO_APPLY.get(rules.kind, HOW_TO_APPLY["local"]).format(n=n), source=source))
    return semester, sections


def hardship_steps() -> list[str]:
    n = int(get_setting("notice_min_workdays"))
    return [s.format(n=n) for s in HARDSHIP_STEPS]
