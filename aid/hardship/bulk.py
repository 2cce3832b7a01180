"""Bulk steps on the hardship list: a class teacher's review, the school's determination,
returning and filing, for the rows a school officer or leader selected — the same step and
checks as on each application's page, row by row in savepoints, so a row someone else changed
meanwhile is reported back and the rest still done."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.exc import StaleDataError

from aid.extensions import db
from aid.hardship import service
from aid.hardship.models import HardshipApplication
from aid.hardship.workflow import HARDSHIP_STATES, HARDSHIP_WORKFLOW
from aid.programmes.semesters import Semester
from aid.scoping import scope
from aid.workflow import STALE_MESSAGE, BulkOutcome, TransitionError


@dataclass(frozen=True)
class BulkAction:
    action: str
    label: str
    needs: str = ""  # "opinion", "level" or "reason": the one input the step takes for every row


BULK_ACTIONS = {
    "school_officer": (BulkAction("class_review", "班级评议通过", "opinion"),
                       BulkAction("return_to_applicant", "退回", "reason"),
                       BulkAction("file", "存档")),
    "school_leader": (BulkAction("determine", "认定为", "level"),
                      BulkAction("return_to_applicant", "退回", "reason"),
                      BulkAction("file", "存档")),
}


def actions_for(role: str) -> tuple[BulkAction, ...]:
    return BULK_ACTIONS.get(role, ())


def bulk_act(user, items: list[tuple[int, int]], action: str, *, opinion: str = "", level: str = "",
             level_reason: str = "", reason: str = "") -> BulkOutcome:
    """Apply `action` to the selected (id, version) rows. Input every row shares is checked
    first (nothing is written when it is missing); then each row gets exactly the checks of
    `service.act`."""
    chosen = {a.action: a for a in actions_for(user.role)}.get(action)
    if chosen is None:
        raise service.HardshipError("请选择要执行的操作")
    if chosen.needs == "opinion" and not (opinion or "").strip():
        raise service.HardshipError("请填写班级评议意见")
    if chosen.needs == "reason" and not (reason or "").strip():
        raise service.HardshipError("退回必须填写原因")
    if chosen.needs == "level" and not level:
        raise service.HardshipError("请选择认定等级")
    stmt = scope(select(HardshipApplication).where(HardshipApplication.id.in_([i for i, _v in items])),
                 HardshipApplication, user).options(selectinload(HardshipApplication.student))
    apps = {a.id: a for a in db.session.execute(stmt).scalars()}
    outcome = BulkOutcome()
    transition = HARDSHIP_WORKFLOW.get(action)
    for app_id, version in items:
        app = apps.get(app_id)
        if app is None:
            outcome.refused.append((app_id, "记录不存在或不在管辖范围内"))
            continue
        if app.version != version:
            outcome.stale.append((app_id, STALE_MESSAGE))
            continue
        if app.state not in transition.sources:
            outcome.refused.append((app_id, f"{app.student.name}：当前状态为“{HARDSHIP_STATES.get(app.state, app.state)}”，"
                                            f"不能{transition.label}"))
            continue
        if chosen.needs == "level" and level not in service.levels(Semester.parse(app.semester)):
            outcome.refused.append((app_id, f"{app.student.name}：{app.semester}学期没有“{level}”这一认定等级"))
            continue
        try:
            with db.session.begin_nested():
                service.act(user, app, action, expected_version=version, reason=reason, opinion=opinion,
                            level=level, level_reason=level_reason)
                db.session.flush()
        except StaleDataError:
            outcome.stale.append((app_id, STALE_MESSAGE))
        except (service.HardshipError, TransitionError) as exc:
            outcome.refused.append((app_id, f"{app.student.name}：{exc}"))
        else:
            outcome.done.append(app)
    return outcome
