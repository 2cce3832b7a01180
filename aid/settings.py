"""Province-wide settings with typed defaults; edits are audited."""
from __future__ import annotations

import json
from datetime import datetime

from flask import g, has_request_context
from sqlalchemy import String, Text, select
from sqlalchemy.orm import Mapped, mapped_column

from aid.extensions import db
from aid.timeutil import utcnow

DEFAULTS: dict[str, tuple[object, str]] = {
    "login_max_failures": (5, "连续登录失败锁定次数"),
    "login_lock_minutes": (15, "账户锁定时长（分钟）"),
    "session_idle_minutes": (30, "会话空闲超时（分钟）"),
    "password_min_length": (8, "密码最短长度"),
    "password_min_classes": (3, "密码至少包含的字符类别数（大写、小写、数字、符号）"),
    "status_change_deadline_workdays": (10, "学籍异动办理时限（工作日）"),
    "notice_min_workdays": (5, "公示最短期限（工作日）"),
    "suspension_max_months": (24, "休学最长期限（月），超过视为长期空挂"),
    "grant_payment_schedule": ("semester", "助学金发放方式（semester 按学期 / monthly 按月）"),
}


class Setting(db.Model):
    __tablename__ = "settings"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


def _all_settings() -> dict:
    """Every stored setting, read once per request (settings change rarely)."""
    if has_request_context() and "_settings" in g:
        return g._settings
    values = {key: json.loads(value) for key, value in db.session.execute(select(Setting.key, Setting.value))}
    if has_request_context():
        g._settings = values
    return values


def get_setting(key: str):
    default, _label = DEFAULTS[key]
    return _all_settings().get(key, default)


def set_setting(key: str, value) -> None:
    from aid.audit.service import record

    if key not in DEFAULTS:
        raise KeyError(key)
    before = get_setting(key)
    if has_request_context():
        g.pop("_settings", None)
    row = db.session.get(Setting, key)
    if row is None:
        row = Setting(key=key, value=json.dumps(value))
        db.session.add(row)
    else:
        row.value = json.dumps(value)
    record("setting_update", object_type="settings", summary=f"修改设置 {DEFAULTS[key][1]}",
           before={key: before}, after={key: value})
