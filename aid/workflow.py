"""State transitions: declared in one table per workflow, applied by one function.

`apply_transition()` checks the actor's role, jurisdiction, separation of duties
("谁采集、谁负责；谁报送、谁负责；谁审核、谁负责") and the version the actor saw
(optimistic locking), then changes the state, records the step (who, role, when,
from where, reason) and writes the audit event, all in the caller's transaction.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, select
from sqlalchemy.orm import Mapped, mapped_column

from aid.audit.service import client_ip, lock_chain_head, record
from aid.extensions import db
from aid.scoping import in_jurisdiction
from aid.timeutil import utcnow


class TransitionError(Exception):
    """Refused transition; str() is a Chinese message for the user."""


@dataclass(frozen=True)
class Transition:
    action: str
    sources: tuple[str, ...]
    target: str
    roles: tuple[str, ...]
    label: str
    needs_reason: bool = False
    # actions whose actors on this item may not perform this transition
    separate_from: tuple[str, ...] = ()


@dataclass
class Workflow:
    name: str
    states: dict[str, str]
    transitions: list[Transition] = field(default_factory=list)

    def get(self, action: str) -> Transition:
        for t in self.transitions:
            if t.action == action:
                return t
        raise TransitionError(f"未知操作：{action}")

    def available(self, item, user) -> list[Transition]:
        return [t for t in self.transitions if item.state in t.sources and user.role in t.roles]

    def state_label(self, state: str) -> str:
        return self.states.get(state, state)


class WorkflowStep(db.Model):
    __tablename__ = "workflow_steps"
    id: Mapped[int] = mapped_column(primary_key=True)
    workflow: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[int]
    action: Mapped[str] = mapped_column(String(40))
    from_state: Mapped[str] = mapped_column(String(30))
    to_state: Mapped[str] = mapped_column(String(30))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    role: Mapped[str] = mapped_column(String(20))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    ip: Mapped[str] = mapped_column(String(45), default="")
    reason: Mapped[str] = mapped_column(Text, default="")

    __table_args__ = (db.Index("ix_workflow_steps_object", "workflow", "object_id"),)


def steps_for(workflow: Workflow, object_id: int) -> list[WorkflowStep]:
    return list(db.session.execute(
        select(WorkflowStep).where(WorkflowStep.workflow == workflow.name,
                                   WorkflowStep.object_id == object_id).order_by(WorkflowStep.id)
    ).scalars())


def check_transition(workflow: Workflow, item, action: str, user, *, reason: str = "",
                     expected_version: int | None = None, school_id: int | None = None) -> Transition:
    """Every check of apply_transition() without changing anything: for a long operation
    (a batch lock that renders its ledger first) that must refuse early, and is then
    applied by apply_transition(), which checks again on the committed state."""
    t = workflow.get(action)
    if user.role not in t.roles:
        raise TransitionError(f"您的角色不能执行“{t.label}”")
    if not in_jurisdiction(school_id if school_id is not None else item.school_id, user):
        raise TransitionError("该记录不在您的管辖范围内")
    if expected_version is not None and getattr(item, "version", None) != expected_version:
        raise TransitionError("该记录已被他人处理，请刷新后重试")
    if item.state not in t.sources:
        raise TransitionError(f"当前状态为“{workflow.state_label(item.state)}”，不能执行“{t.label}”")
    reason = (reason or "").strip()
    if t.needs_reason and not reason:
        raise TransitionError(f"“{t.label}”必须填写原因")
    if len(reason) > 1000:
        raise TransitionError("原因不能超过1000字")
    if t.separate_from:
        prior = db.session.execute(
            select(WorkflowStep.id).where(
                WorkflowStep.workflow == workflow.name, WorkflowStep.object_id == item.id,
                WorkflowStep.user_id == user.id, WorkflowStep.action.in_(t.separate_from),
            ).limit(1)
        ).first()
        if prior:
            raise TransitionError("按照“谁采集、谁负责；谁报送、谁负责；谁审核、谁负责”的原则，经办或审核过该事项的人员不能执行下一步审批")
    return t


def apply_transition(workflow: Workflow, item, action: str, user, *, reason: str = "",
                     expected_version: int | None = None, school_id: int | None = None) -> WorkflowStep:
    t = workflow.get(action)
    if user.role not in t.roles:
        raise TransitionError(f"您的角色不能执行“{t.label}”")
    if not in_jurisdiction(school_id if school_id is not None else item.school_id, user):
        raise TransitionError("该记录不在您的管辖范围内")
    # Serialise with concurrent writers, then decide on the committed state and
    # version (another request may have moved the item since it was loaded).
    lock_chain_head()
    if item in db.session and not db.session.is_modified(item):
        db.session.refresh(item)
    check_transition(workflow, item, action, user, reason=reason, expected_version=expected_version,
                     school_id=school_id)
    reason = (reason or "").strip()
    before = item.state
    item.state = t.target
    step = WorkflowStep(workflow=workflow.name, object_id=item.id, action=action, from_state=before,
                        to_state=t.target, user_id=user.id, role=user.role, ip=client_ip(), reason=reason)
    db.session.add(step)
    record(f"{workflow.name}.{action}", item, user=user, before={"state": before},
           after={"state": t.target, **({"reason": reason} if reason else {})},
           summary=f"{t.label}：{workflow.state_label(before)} → {workflow.state_label(t.target)}")
    return step


# --- bulk steps (approval queues) ----------------------------------------------------------

STALE_MESSAGE = "该记录已被他人处理，请刷新后重试"
BULK_LIMIT = 1000


def parse_selection(values: list[str]) -> list[tuple[int, int]]:
    """The selected rows of a queue as (id, version) pairs from their 'id:version' values;
    raises TransitionError with the user's message for anything else."""
    items = []
    for v in values:
        a, _, b = (v or "").partition(":")
        if not (a.isdigit() and b.isdigit()):
            raise TransitionError("选择的记录无效，请刷新后重试")
        items.append((int(a), int(b)))
    if not items:
        raise TransitionError("请先选择要处理的记录")
    if len(items) > BULK_LIMIT:
        raise TransitionError(f"一次最多处理{BULK_LIMIT}条")
    return items


@dataclass
class BulkOutcome:
    """What a bulk step did: rows done, rows someone else changed first (stale) and rows the
    step does not apply to (refused), each with its message."""
    done: list = field(default_factory=list)
    stale: list[tuple[int, str]] = field(default_factory=list)
    refused: list[tuple[int, str]] = field(default_factory=list)

    @property
    def problems(self) -> list[tuple[int, str]]:
        return self.stale + self.refused

    @property
    def message(self) -> str:
        parts = [f"已处理{len(self.done)}条"]
        if self.stale:
            parts.append(f"{len(self.stale)}条已被他人处理，未执行，请刷新后重试")
        if self.refused:
            parts.append(f"{len(self.refused)}条不能执行")
        return "；".join(parts)
