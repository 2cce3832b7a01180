"""Demo: hardship determinations for 2025-autumn in every state, mostly filed (so
grant levels follow), with a priority student determined 不困难 (with its reason)."""
from aid.hardship import service
from aid.programmes.eligibility import NOT_DIFFICULT
from aid.programmes.semesters import Semester

DEMO_SEMESTER = Semester(2025, "autumn")
# target state → the actions that lead there from draft
PATHS = {
    "draft": (), "submitted": ("submit",), "returned": ("submit", "return_to_applicant"),
    "class_reviewed": ("submit", "class_review"), "determined": ("submit", "class_review", "determine"),
    "on_notice": ("submit", "class_review", "determine", "post_notice"),
    "noticed": ("submit", "class_review", "determine", "post_notice", "end_notice"),
    "filed": ("submit", "class_review", "determine", "post_notice", "end_notice", "file"),
}
STATE_WEIGHTS = {"filed": 60, "noticed": 6, "on_notice": 6, "determined": 6, "class_reviewed": 6,
                 "submitted": 6, "returned": 4, "draft": 6}
RELATIONS = {"父亲": (38, 56), "母亲": (36, 54), "祖父": (60, 82), "祖母": (58, 80), "兄": (17, 26),
             "姐": (17, 26), "弟": (6, 15), "妹": (6, 15)}
JOBS = ("务农", "务工", "个体经营", "无业", "在校学生", "退休")
STORIES = ("父母务农，收入微薄，家中有两名子女上学。", "父亲因病丧失劳动能力，常年就医，家庭开支大。",
           "家庭遭受洪涝灾害，房屋受损，收入骤减。", "单亲家庭，母亲打零工维持生活。",
           "家中老人长期患病，医疗支出负担重。")


def demo_step(ctx) -> None:
    service.seed_categories()
    rng = ctx.rng
    cats = [c for c in service.categories_for_year(DEMO_SEMESTER.school_year_start)]
    priority = [c.code for c in cats if c.priority]
    states, weights = zip(*STATE_WEIGHTS.items())
    for school in ctx.schools:
        officer = ctx.users[f"s{school.code}_officer"]
        leader = ctx.users[f"s{school.code}_leader"]
        students = [s for s in ctx.students if s.school_id == school.id and s.study_mode == "full_time"
                    and s.status == "在籍"]
        chosen = rng.sample(students, k=max(len(STATE_WEIGHTS) + 1, len(students) // 4))
        for n, student in enumerate(chosen):
            target = list(states)[n] if n < len(states) else rng.choices(states, weights)[0]
            is_priority = rng.random() < 0.5
            codes = [rng.choice(priority)] if is_priority else ["other"]
            members = []
            for relation in [rng.choice(("父亲", "母亲"))] + rng.sample(list(RELATIONS)[2:], rng.randint(1, 3)):
                age = rng.randint(*RELATIONS[relation])
                job = "在校学生" if age < 18 else rng.choice(JOBS[:4] if age < 60 else JOBS[3:])
                income = 0 if job in ("在校学生", "无业") else rng.randint(3000, 30000) * 100
                members.append(service.FamilyMember(relation, ctx_name(rng), age, job, income))
            app = service.create_application(officer, student, DEMO_SEMESTER, categories=codes, members=members,
                                             circumstances=rng.choice(STORIES), declaration=True)
            not_difficult = n == len(states)  # one priority student per school determined 不困难, with reason
            if not_difficult:
                app.categories = f'["{priority[0]}"]'
            for action in PATHS[target if not not_difficult else "filed"]:
                user = leader if action == "determine" else officer
                level = NOT_DIFFICULT if not_difficult else rng.choices(("特别困难", "比较困难", "一般困难"), (2, 4, 4))[0]
                service.act(user, app, action, reason="证明材料不全，请补充低保证明" if action == "return_to_applicant" else "",
                            opinion="经班级评议小组评议，情况属实，同意申请。", level=level,
                            level_reason="经入户核实，家庭已稳定脱贫，收入高于当地困难标准。" if not_difficult else "")


def ctx_name(rng) -> str:
    from aid.demo import _name
    return _name(rng)
