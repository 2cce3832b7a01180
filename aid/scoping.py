"""Jurisdiction scoping: the one place that decides which records a user may see.

Every view, export and document restricts its queries with `scope()` or loads a
single record with `get_scoped_or_404()`. Records are school-owned (they carry
`school_id`) or student-owned (`student_id`); schools and authorities are scoped
by the authority tree.
"""
from __future__ import annotations

from flask import abort, g, has_request_context
from flask_login import current_user
from sqlalchemy import Select, false, func, select

from aid.extensions import db
from aid.org.models import Authority, School


def authority_ids_under(authority_id: int) -> list[int]:
    """The authority and all its descendants (the tree is small: one province)."""
    cache_key = f"_auth_tree_{authority_id}"
    if has_request_context() and cache_key in g:
        return g.get(cache_key)
    pairs = db.session.execute(select(Authority.id, Authority.parent_id)).all()
    children: dict[int | None, list[int]] = {}
    for aid_, parent in pairs:
        children.setdefault(parent, []).append(aid_)
    result, stack = [], [authority_id]
    while stack:
        node = stack.pop()
        result.append(node)
        stack.extend(children.get(node, []))
    if has_request_context():
        setattr(g, cache_key, result)
    return result


def _user(user):
    return user if user is not None else current_user


def school_ids_select(user=None) -> Select:
    """A sub-select of the school ids inside the user's jurisdiction."""
    user = _user(user)
    if user.role in ("school_officer", "school_leader", "student"):
        return select(School.id).where(School.id == (user.school_id or -1))
    if user.role in ("bureau_officer", "province_admin") and user.authority_id:
        return select(School.id).where(School.authority_id.in_(authority_ids_under(user.authority_id)))
    return select(School.id).where(false())


def school_ids(user=None) -> list[int]:
    return list(db.session.execute(school_ids_select(user)).scalars())


def scope(stmt: Select, model, user=None) -> Select:
    """Restrict a select over `model` to the user's jurisdiction."""
    user = _user(user)
    if model is Authority:
        if user.role in ("bureau_officer", "province_admin") and user.authority_id:
            return stmt.where(Authority.id.in_(authority_ids_under(user.authority_id)))
        return stmt.where(false())
    if user.role == "student":
        if model.__name__ == "Student":
            return stmt.where(model.id == (user.student_id or -1))
        if hasattr(model, "student_id"):
            return stmt.where(model.student_id == (user.student_id or -1))
        if model is School:
            return stmt.where(School.id == (user.school_id or -1))
        return stmt.where(false())
    column = School.id if model is School else getattr(model, "school_id", None)
    if column is None:
        raise TypeError(f"{model.__name__} has no school_id: it cannot be scoped")
    # Plain values, not a sub-select: the query planners (SQLite's above all) then use
    # the composite (school_id, …) indexes instead of a single-column index on state.
    if user.role in ("school_officer", "school_leader"):
        return stmt.where(column == (user.school_id or -1))
    ids, every_school = _school_id_list(user)
    if every_school and ids:
        # the province's own jurisdiction: "any school" (school ids are foreign keys), which
        # lets the planner use the (semester, state …) indexes instead of one probe per school
        return stmt.where(column.is_not(None))
    return stmt.where(column.in_(ids))


def _school_id_list(user) -> tuple[list[int], bool]:
    """school_ids(user) and whether that is every school; once per request."""
    cache_key = f"_scope_schools_{user.role}_{user.authority_id}"
    if has_request_context() and cache_key in g:
        return g.get(cache_key)
    ids = school_ids(user)
    result = (ids, len(ids) == db.session.scalar(select(func.count()).select_from(School)))
    if has_request_context():
        setattr(g, cache_key, result)
    return result


def scoped_select(model, user=None) -> Select:
    return scope(select(model), model, user)


def get_scoped_or_404(model, object_id, user=None):
    """Load one record by id inside the jurisdiction; 404 otherwise (no hint it exists)."""
    try:
        object_id = int(object_id)
    except (TypeError, ValueError):
        abort(404)
    pk = model.__mapper__.primary_key[0]
    obj = db.session.execute(scope(select(model).where(pk == object_id), model, user)).scalar_one_or_none()
    if obj is None:
        abort(404)
    return obj


def in_jurisdiction(school_id: int | None, user=None) -> bool:
    if school_id is None:
        return False
    return school_id in school_ids(user)
