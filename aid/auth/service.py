"""Account rules: password hashing and policy, lockout, sessions."""
from __future__ import annotations

import hashlib
import secrets
import string
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from sqlalchemy import func, select, update

from aid.audit.service import client_ip, record
from aid.auth.models import AuthSession, User
from aid.extensions import db
from aid.settings import get_setting
from aid.timeutil import utcnow


class AuthError(Exception):
    """A refused login or password change; str() is the Chinese message."""


def _hasher() -> PasswordHasher:
    if current_app.config.get("PASSWORD_HASH_FAST"):
        return PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    return PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def check_password(user: User, password: str) -> bool:
    try:
        return _hasher().verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def password_problems(password: str, min_length: int, min_classes: int) -> list[str]:
    """The password policy as a plain function: the Chinese reasons it is refused."""
    problems = []
    if len(password) < min_length:
        problems.append(f"密码至少需要{min_length}个字符")
    if len(password) > 128:
        problems.append("密码不能超过128个字符")
    classes = sum([
        any(c in string.ascii_lowercase for c in password),
        any(c in string.ascii_uppercase for c in password),
        any(c in string.digits for c in password),
        any(not c.isalnum() for c in password),
    ])
    if classes < min_classes:
        problems.append(f"密码需包含大写字母、小写字母、数字、符号中的至少{min_classes}类")
    return problems


def policy_problems(password: str) -> list[str]:
    return password_problems(password, get_setting("password_min_length"), get_setting("password_min_classes"))


def generate_password() -> str:
    """A random initial password that satisfies the default policy."""
    alphabet = string.ascii_letters + string.digits
    core = "".join(secrets.choice(alphabet) for _ in range(9))
    return f"{core}{secrets.choice(string.ascii_uppercase)}{secrets.choice(string.digits)}!"


def authenticate(username: str, password: str) -> User:
    """Check credentials with lockout; every outcome is audited. Commits."""
    username = (username or "").strip()
    user = db.session.execute(select(User).where(User.username == username)).scalar_one_or_none()
    generic = "用户名或密码错误"
    if user is None:
        check_dummy(password)
        raise AuthError(generic)
    now = utcnow()
    if user.locked_until and user.locked_until > now:
        minutes = max(1, int((user.locked_until - now).total_seconds() // 60) + 1)
        raise AuthError(f"账户已被锁定，请在{minutes}分钟后再试，或联系管理员解锁")
    if not check_password(user, password):
        failures = _count_failure(user)
        max_failures = get_setting("login_max_failures")
        if failures >= max_failures:
            user.locked_until = now + timedelta(minutes=get_setting("login_lock_minutes"))
            user.failed_logins = 0
            record("lockout", user, user=user, summary=f"连续{max_failures}次登录失败，账户锁定")
            db.session.commit()
            raise AuthError(f"连续{max_failures}次密码错误，账户已锁定{get_setting('login_lock_minutes')}分钟")
        record("login_failed", user, user=user, summary="密码错误")
        db.session.commit()
        left = max_failures - failures
        raise AuthError(f"{generic}（再错{left}次将锁定账户）")
    if not user.active:
        raise AuthError("账户已停用，请联系管理员")
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now
    return user


def _count_failure(user: User) -> int:
    """Add one failure in the database itself (an atomic UPDATE, not read-modify-write), so
    that concurrent wrong passwords on several server processes all count; the row stays
    locked until the commit, so the next attempt sees this one."""
    db.session.execute(update(User).where(User.id == user.id)
                       .values(failed_logins=User.failed_logins + 1).execution_options(synchronize_session=False))
    db.session.refresh(user, ["failed_logins", "locked_until"])
    return user.failed_logins


_DUMMY_HASH = None


def check_dummy(password: str) -> None:
    """Spend the same time on unknown usernames, so they cannot be told apart."""
    global _DUMMY_HASH
    if _DUMMY_HASH is None:
        _DUMMY_HASH = hash_password("dummy-password-Aa1!")
    try:
        _hasher().verify(_DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        pass


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def open_session(user: User) -> str:
    token = secrets.token_urlsafe(32)
    db.session.add(AuthSession(token_hash=_token_hash(token), user_id=user.id, ip=client_ip()))
    user.session_token = token
    return token


def session_for_token(token: str) -> AuthSession | None:
    if not token:
        return None
    return db.session.execute(
        select(AuthSession).where(AuthSession.token_hash == _token_hash(token))
    ).scalar_one_or_none()


def revoke_session(token: str) -> None:
    db.session.execute(update(AuthSession).where(AuthSession.token_hash == _token_hash(token),
                                                 AuthSession.revoked_at.is_(None))
                       .values(revoked_at=utcnow()))


def revoke_all_sessions(user_id: int, except_token: str | None = None) -> int:
    stmt = update(AuthSession).where(AuthSession.user_id == user_id, AuthSession.revoked_at.is_(None))
    if except_token:
        stmt = stmt.where(AuthSession.token_hash != _token_hash(except_token))
    return db.session.execute(stmt.values(revoked_at=utcnow())).rowcount


def change_password(user: User, current: str, new: str, confirm: str) -> None:
    if not check_password(user, current):
        raise AuthError("当前密码不正确")
    if new != confirm:
        raise AuthError("两次输入的新密码不一致")
    if new == current:
        raise AuthError("新密码不能与当前密码相同")
    problems = policy_problems(new)
    if problems:
        raise AuthError("；".join(problems))
    user.password_hash = hash_password(new)
    user.must_change_password = False
    revoke_all_sessions(user.id)
    record("password_change", user, user=user, summary="修改密码，注销全部会话")


def count_active_sessions(user_id: int) -> int:
    return db.session.scalar(select(func.count()).select_from(AuthSession)
                             .where(AuthSession.user_id == user_id, AuthSession.revoked_at.is_(None)))
