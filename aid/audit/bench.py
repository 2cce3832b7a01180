"""Bench data: 50,000 audit events over the last months — logins, reveals, edits —
appended in bulk with a valid hash chain (aid.audit.service.append_many)."""
from datetime import timedelta

from aid.audit.service import append_many
from aid.timeutil import utcnow

EVENTS = 50_000  # at full size; a quarter of the student count when smaller
ACTIONS = (("login", "", "登录成功"), ("update", "students", "修改学生信息"),
           ("reveal", "students", "查看完整身份证件号码"), ("registration_submit", "students", "提交学籍注册"),
           ("export", "students", "导出学生名册"))


def bench_step(ctx) -> None:
    rng = ctx.rng
    users = list(ctx.users.values())
    students = ctx.students()
    count = min(EVENTS, max(1000, len(students) // 4))
    start = utcnow() - timedelta(days=180)
    step = timedelta(days=180) / count

    def events():
        for n in range(count):
            user = rng.choice(users)
            action, object_type, summary = rng.choice(ACTIONS)
            student = rng.choice(students) if object_type else None
            yield dict(at=start + step * n, user_id=user.id, username=user.username, role=user.role,
                       ip=f"10.0.{rng.randint(0, 255)}.{rng.randint(1, 254)}", action=action,
                       object_type=object_type, object_id=student.id if student else None,
                       school_id=student.school_id if student else user.school_id, summary=summary,
                       after={"field": "phone"} if action == "update" else None)

    append_many(events())
