"""Organisation rules: who may create which authority, school and user."""
from __future__ import annotations

from sqlalchemy import select

from aid.audit.service import diff, record
from aid.auth.models import SCHOOL_ROLES, User
from aid.auth.service import generate_password, hash_password, revoke_all_sessions
from aid.extensions import db
from aid.org.models import Authority, School
from aid.scoping import authority_ids_under, school_ids


class OrgError(Exception):
    """Refused change; str() is the Chinese message."""


def create_authority(actor, name: str, level: str, parent_id: int) -> Authority:
    if parent_id not in authority_ids_under(actor.authority_id):
        raise OrgError("上级部门不在您的管辖范围内")
    parent = db.session.get(Authority, parent_id)
    if level == "city" and parent.level != "province":
        raise OrgError("设区市人社局的上级必须是省级部门")
    if level == "county" and parent.level != "city":
        raise OrgError("县（区）人社局的上级必须是设区市人社局")
    if db.session.scalar(select(Authority.id).where(Authority.name == name)):
        raise OrgError("已存在同名部门")
    authority = Authority(name=name, level=level, parent_id=parent_id)
    db.session.add(authority)
    db.session.flush()
    record("create", authority, user=actor, after=authority.audit_view(), summary=f"新建主管部门 {name}")
    return authority


def save_school(actor, school: School | None, data: dict) -> School:
    if data["authority_id"] not in authority_ids_under(actor.authority_id):
        raise OrgError("主管部门不在您的管辖范围内")
    duplicate = select(School.id).where(School.code == data["code"])
    if school is not None:
        duplicate = duplicate.where(School.id != school.id)
    if db.session.scalar(duplicate):
        raise OrgError(f"学校代码 {data['code']} 已被使用")
    before = school.audit_view() if school else {}
    if school is None:
        school = School(**data)
        db.session.add(school)
    else:
        for key, value in data.items():
            setattr(school, key, value)
    db.session.flush()
    if before:
        b, a = diff(before, school.audit_view())
        if a:
            record("update", school, user=actor, before=b, after=a, summary=f"修改学校 {school.name}")
    else:
        record("create", school, user=actor, after=school.audit_view(), summary=f"新建学校 {school.name}")
    return school


def create_user(actor, *, username: str, display_name: str, role: str,
                school_id: int | None, authority_id: int | None) -> tuple[User, str]:
    """Creates the account with a random initial password that must be changed at first login."""
    if actor.role == "bureau_officer" and role not in SCHOOL_ROLES:
        raise OrgError("人社局经办人员只能为所辖学校创建学校账户")
    if role in SCHOOL_ROLES:
        if not school_id or school_id not in school_ids(actor):
            raise OrgError("请选择您管辖范围内的学校")
        authority_id = None
    elif role in ("bureau_officer", "province_admin"):
        if not authority_id or authority_id not in authority_ids_under(actor.authority_id):
            raise OrgError("请选择您管辖范围内的部门")
        school_id = None
    else:
        raise OrgError("学生账户由学籍管理生成，不能在此创建")
    if db.session.scalar(select(User.id).where(User.username == username)):
        raise OrgError("用户名已存在")
    password = generate_password()
    user = User(username=username, display_name=display_name, role=role, school_id=school_id,
                authority_id=authority_id, password_hash=hash_password(password), must_change_password=True)
    db.session.add(user)
    db.session.flush()
    record("create", user, user=actor, after=user.audit_view(), summary=f"新建用户 {username}", school_id=school_id)
    return user, password


def user_in_reach(actor, user: User) -> bool:
    if actor.role == "province_admin":
        if user.school_id:
            return user.school_id in school_ids(actor)
        return user.authority_id in authority_ids_under(actor.authority_id)
    if actor.role == "bureau_officer":
        return user.role in SCHOOL_ROLES + ("student",) and user.school_id in school_ids(actor)
    return False


def unlock_user(actor, user: User) -> None:
    user.locked_until = None
    user.failed_logins = 0
    record("unlock", user, user=actor, summary=f"解除账户 {user.username} 的锁定", school_id=user.school_id)


def set_active(actor, user: User, active: bool) -> None:
    if user.id == actor.id:
        raise OrgError("不能停用自己的账户")
    user.active = active
    if not active:
        revoke_all_sessions(user.id)
    record("update", user, user=actor, before={"active": not active}, after={"active": active},
           summary=f"{'启用' if active else '停用'}账户 {user.username}", school_id=user.school_id)


def reset_password(actor, user: User) -> str:
    password = generate_password()
    user.password_hash = hash_password(password)
    user.must_change_password = True
    revoke_all_sessions(user.id)
    record("password_reset", user, user=actor, summary=f"重置账户 {user.username} 的密码", school_id=user.school_id)
    return password
