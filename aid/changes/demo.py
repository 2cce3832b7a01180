"""Demo status changes: every state, one suspension recorded late (overdue at the school
and at its bureau), one processed late, and a transfer awaiting the receiving school."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta

from sqlalchemy import select

from aid.changes import service
from aid.changes.workflow import CHANGE_WORKFLOW
from aid.extensions import db
from aid.timeutil import local_today
from aid.workflow import WorkflowStep

def _png_evidence() -> bytes:
    """A small real PNG (uploads must decode as images)."""
    from io import BytesIO

    from PIL import Image

    out = BytesIO()
    Image.new("RGB", (8, 8), (200, 40, 40)).save(out, format="PNG")
    return out.getvalue()


PNG_EVIDENCE = _png_evidence()


def _pick(ctx, school, status="在籍", used=set()):
    candidates = sorted((s for s in ctx.students if s.school_id == school.id and s.status == status
                         and s.study_mode == "full_time" and s.enrolment_date.year <= 2024 and s.id not in used),
                        key=lambda s: s.id)
    student = ctx.rng.choice(candidates)
    used.add(student.id)
    return student


def _backdate(change, day: date) -> None:
    """Demo history: show the last step on the day it is meant to have happened."""
    step = db.session.execute(select(WorkflowStep).where(WorkflowStep.workflow == CHANGE_WORKFLOW.name,
                                                         WorkflowStep.object_id == change.id)
                              .order_by(WorkflowStep.id.desc())).scalars().first()
    step.at = datetime.combine(day, time(2, 30))


def _record(ctx, school, student, kind, happened, reason, recorded_on, **extra):
    officer = ctx.users[f"s{school.code}_officer"]
    change = service.record_change(officer, student, service.NewChange(
        kind=kind, happened_on=happened, reason=reason, files=[("证明材料.png", PNG_EVIDENCE)], **extra),
        today=recorded_on)
    change.recorded_at = datetime.combine(recorded_on, time(1, 0))
    for evidence in change.evidence:
        evidence.uploaded_at = change.recorded_at
    _backdate(change, recorded_on)
    return change


def _step(ctx, change, action, username, day, **kw):
    service.transition(ctx.users[username], change, action, today=day, **kw)
    _backdate(change, day)


def demo_step(ctx) -> None:
    today = local_today()
    by_code = {s.code: s for s in ctx.schools}
    fz, fz_private, xm, qz = by_code["3501001"], by_code["3501002"], by_code["3502001"], by_code["3505001"]
    ago = lambda days: today - timedelta(days=days)  # noqa: E731

    # approved on time: suspension, confirmed by the bureau
    c = _record(ctx, fz, _pick(ctx, fz), "suspend", ago(40), "因病住院治疗，申请休学一年", ago(38))
    _step(ctx, c, "approve_school", "s3501001_leader", ago(37))
    _step(ctx, c, "confirm", "fz_bureau", ago(35))

    # recorded late and still open: overdue at the school and at 福州 bureau
    _record(ctx, fz, _pick(ctx, fz), "suspend", ago(75), "家庭变故，申请休学（补录）", ago(3))

    # processed by the school after the deadline (late), waiting for the bureau
    c = _record(ctx, fz, _pick(ctx, fz), "withdraw", ago(50), "本人及监护人申请退学，外出务工", ago(30))
    _step(ctx, c, "approve_school", "s3501001_leader", ago(29))

    # a transfer from 福州技师学院 to 厦门技师学院 awaiting the receiving school
    c = _record(ctx, fz, _pick(ctx, fz), "transfer", ago(6), "随父母工作调动转学至厦门", ago(5),
                target_school_id=xm.id)
    _step(ctx, c, "approve_school", "s3501001_leader", ago(4))
    _step(ctx, c, "confirm", "fz_bureau", ago(2))

    # returned by the bureau with a reason
    student = _pick(ctx, fz_private)
    other_class = next(cls for cls in sorted({s.school_class for s in ctx.students if s.school_id == fz_private.id
                                              and s.study_mode == "full_time"}, key=lambda k: k.id)
                       if cls.id != student.class_id)
    c = _record(ctx, fz_private, student, "switch_class", ago(9), "本人申请转专业", ago(8),
                target_class_id=other_class.id)
    _step(ctx, c, "approve_school", "s3501002_leader", ago(7))
    _step(ctx, c, "return_by_bureau", "fz_bureau", ago(6), reason="缺少转入专业的同意意见，请补充后重新报送")

    # waiting for the school leader: military service and a resumption
    _record(ctx, qz, _pick(ctx, qz), "military", ago(4), "应征入伍，保留学籍", ago(2))
    suspended = [s for s in ctx.students if s.school_id == qz.id and s.status == "休学"]
    if suspended:
        _record(ctx, qz, sorted(suspended, key=lambda s: s.id)[0], "resume", ago(1), "休学期满，申请复学", ago(1))
