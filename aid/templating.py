"""Jinja filters and per-role navigation."""
from __future__ import annotations

from flask import Flask
from flask_login import current_user

from aid.timeutil import format_date_cn, format_datetime

# (endpoint, label, roles) — the navigation each role sees
NAVIGATION = [
    ("home.index", "首页", ("student", "school_officer", "school_leader", "bureau_officer", "province_admin")),
    ("org.schools", "学校", ("bureau_officer", "province_admin")),
    ("org.authorities", "主管部门", ("province_admin",)),
    ("org.users", "用户", ("bureau_officer", "province_admin")),
    ("audit.events", "审计日志", ("school_leader", "bureau_officer", "province_admin")),
]


def register_nav(endpoint: str, label: str, roles: tuple[str, ...], before: str | None = None) -> None:
    """Areas add their entries here (ordered by registration, or before another endpoint)."""
    entry = (endpoint, label, roles)
    if entry in NAVIGATION:
        return
    if before:
        for i, (ep, _l, _r) in enumerate(NAVIGATION):
            if ep == before:
                NAVIGATION.insert(i, entry)
                return
    NAVIGATION.append(entry)


def init_templating(app: Flask) -> None:
    from aid.core.money import capital_amount, format_fen
    from aid.printing.fit import cell_fit

    app.jinja_env.filters["fen"] = lambda v: format_fen(int(v or 0))
    app.jinja_env.filters["capital"] = lambda v: capital_amount(int(v or 0))
    app.jinja_env.filters["date_cn"] = format_date_cn
    app.jinja_env.filters["datetime"] = format_datetime
    app.jinja_env.filters["cell_fit"] = cell_fit  # <td{{ text|cell_fit(22) }}>: printed cells never cut text

    @app.context_processor
    def nav():
        from flask import has_request_context
        if not has_request_context() or not current_user.is_authenticated:
            return {"navigation": []}
        from flask import url_for
        items = [(url_for(ep), label, ep) for ep, label, roles in NAVIGATION if current_user.role in roles]
        return {"navigation": items}
