"""Stored red-flag counts: the read model behind the counts on 首页, 监督检查总览 and 风险提示.

Counting the eight flags costs tens of milliseconds per view for a province, so the counts of
each jurisdiction root (the authority a bureau or province user is attached to, with its
subtree) are stored, computed with the same scoped queries as the live count, and shown with
"数据截至 <time>". They are refreshed by `flask --app app supervision refresh-flags` (cron) or
the 刷新 button (POST); a GET never writes and counts live where nothing is stored. A review
recounts its flag in every stored jurisdiction the reviewed row belongs to, so the stored
numbers never contradict the reviewer's own action. The flag's own page (its rows) is live.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, insert, select, update

from aid.access import AUTHORITY
from aid.auth.models import User
from aid.database import reading
from aid.extensions import db
from aid.org.models import Authority, School
from aid.supervision.flags import RED_FLAGS, FlagCount, RedFlag, flag_counts
from aid.supervision.models import StoredFlagCount
from aid.timeutil import utcnow


@dataclass(frozen=True)
class Jurisdiction:
    """A jurisdiction root as the scoping functions see a bureau user attached to it (the
    province's and a bureau's scoping differ only by their authority)."""

    authority_id: int
    role: str = "bureau_officer"
    school_id: None = None
    student_id: None = None


@dataclass
class FlagSummary:
    counts: list[tuple[RedFlag, FlagCount | None]]
    as_of: datetime | None  # the oldest stored count shown; None: every count is live


def root_of(user) -> int | None:
    """The jurisdiction root whose counts the user sees (None for school users)."""
    return user.authority_id if user.role in AUTHORITY and user.authority_id else None


def summary(user) -> FlagSummary:
    """The user's flag counts: stored ones when their jurisdiction has them, else live (no write)."""
    root = root_of(user)
    stored = {} if root is None else {r.flag_code: r for r in db.session.execute(
        select(StoredFlagCount).where(StoredFlagCount.authority_id == root)).scalars()}
    if not stored:
        return FlagSummary(flag_counts(user), None)
    counts, times = [], []
    for flag in RED_FLAGS:
        row = stored.get(flag.code)
        if row is None:  # a flag added since the last refresh
            counts.append((flag, flag.count_fn(user)))
            continue
        times.append(row.computed_at)
        counts.append((flag, FlagCount(row.open_count + row.reviewed_count, row.reviewed_count)
                       if row.available else None))
    return FlagSummary(counts, min(times))


def _values(count: FlagCount | None) -> dict:
    if count is None:
        return {"available": False, "open_count": 0, "reviewed_count": 0}
    return {"available": True, "open_count": count.open, "reviewed_count": count.reviewed}


def refresh(authority_ids) -> datetime:
    """Recount every flag for these jurisdiction roots and store the counts, replacing theirs, and
    commit (the caller must have nothing pending). Counted in a read-only transaction, written in
    a short one (like the report snapshots). Returns the time stamped on them."""
    ids = sorted(set(authority_ids))
    db.session.commit()
    with reading():
        now = utcnow()
        rows = [{"authority_id": aid, "flag_code": flag.code, "computed_at": now,
                 **_values(flag.count_fn(Jurisdiction(aid)))}
                for aid in ids for flag in RED_FLAGS]
        db.session.rollback()  # nothing was written
    if ids:
        # concurrent refreshes of the same roots take turns (PostgreSQL row locks; SQLite's
        # BEGIN IMMEDIATE already serialises writers)
        db.session.execute(select(Authority.id).where(Authority.id.in_(ids)).order_by(Authority.id)
                           .with_for_update()).all()
        db.session.execute(delete(StoredFlagCount).where(StoredFlagCount.authority_id.in_(ids)))
        db.session.execute(insert(StoredFlagCount), rows)
    db.session.commit()
    return now


def roots_to_refresh() -> list[int]:
    """The authorities active bureau and province users are attached to, and any already stored."""
    users = select(User.authority_id).where(User.role.in_(AUTHORITY), User.active.is_(True),
                                            User.authority_id.is_not(None))
    stored = select(StoredFlagCount.authority_id)
    return sorted(set(db.session.execute(users.union(stored)).scalars()))


def refresh_all() -> int:
    """`flask --app app supervision refresh-flags`: every jurisdiction root in use (commits)."""
    roots = roots_to_refresh()
    refresh(roots)
    return len(roots)


def _roots_holding(school_ids: list[int]) -> set[int]:
    """Every authority whose subtree holds one of these schools (the schools' authorities and
    their ancestors)."""
    parents = dict(db.session.execute(select(Authority.id, Authority.parent_id)).all())
    found: set[int] = set()
    for node in db.session.execute(select(School.authority_id).where(School.id.in_(school_ids))).scalars():
        while node is not None and node not in found:
            found.add(node)
            node = parents.get(node)
    return found


def recount_after_review(flag: RedFlag, key: str, school_id: int | None) -> None:
    """A new review changes the flag's reviewed count in every jurisdiction whose list holds the
    row: recount that flag for each such stored root, in the reviewer's transaction."""
    stored = set(db.session.execute(select(StoredFlagCount.authority_id)
                                    .where(StoredFlagCount.flag_code == flag.code)).scalars())
    if not stored:
        return
    schools = flag.key_schools(key) if flag.key_schools is not None else [school_id]
    schools = [s for s in schools if s is not None]
    roots = stored & _roots_holding(schools) if schools else stored
    now = utcnow()
    for root in sorted(roots):
        db.session.execute(update(StoredFlagCount).where(
            StoredFlagCount.authority_id == root, StoredFlagCount.flag_code == flag.code)
            .values(computed_at=now, **_values(flag.count_fn(Jurisdiction(root)))))
