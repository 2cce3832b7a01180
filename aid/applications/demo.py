"""Demo: 2025-autumn applications in every state, so every queue has work: proposals
for the tuition waiver and the national grant, scholarship recommendations, then each
application moved along the workflow by the right people."""
from aid.applications import service
from aid.applications.workflow import APPLICATION_WORKFLOW
from aid.workflow import apply_transition
from aid.programmes import service as programmes
from aid.programmes.semesters import Semester

DEMO_SEMESTER = Semester(2025, "autumn")
PATHS = {
    "draft": (), "submitted": ("submit",), "returned": ("submit", "return_to_applicant"),
    "reviewed": ("submit", "review"), "rejected": ("submit", "reject"),
    "school_approved": ("submit", "review", "approve_school"),
    "on_notice": ("submit", "review", "approve_school", "post_notice"),
    "noticed": ("submit", "review", "approve_school", "post_notice", "end_notice"),
    "bureau_approved": ("submit", "review", "approve_school", "post_notice", "end_notice", "approve_bureau"),
    "disbursed": ("submit", "review", "approve_school", "post_notice", "end_notice", "approve_bureau", "disburse"),
}
WEIGHTS = {"submitted": 14, "returned": 3, "reviewed": 12, "rejected": 2, "school_approved": 12,
           "on_notice": 6, "noticed": 14, "bureau_approved": 9, "disbursed": 8}
MOVED_PER_SCHOOL = 26  # the rest of the generated list stays in draft
ACTOR = {"submit": "officer", "review": "officer", "return_to_applicant": "officer", "reject": "officer",
         "approve_school": "leader", "post_notice": "officer", "end_notice": "officer",
         "approve_bureau": "bureau", "disburse": "officer"}
REASONS = {"return_to_applicant": "资助卡信息有误，请核对后重新提交", "reject": "经核实不符合资助条件"}


def _bureau_for(ctx, school):
    for user in ctx.users.values():
        if user.role == "bureau_officer" and user.authority_id == school.authority_id:
            return user
    raise LookupError(f"no bureau officer for {school.name}")


def demo_step(ctx) -> None:
    rng = ctx.rng
    waiver = programmes.programme_by_code("tuition_waiver")
    grant = programmes.programme_by_code("national_grant")
    scholarship = programmes.programme_by_code("national_scholarship")
    states, weights = zip(*WEIGHTS.items())
    for school in ctx.schools:
        actors = {"officer": ctx.users[f"s{school.code}_officer"], "leader": ctx.users[f"s{school.code}_leader"],
                  "bureau": _bureau_for(ctx, school)}
        officer = actors["officer"]
        created = []
        for programme in (waiver, grant):
            created += service.generate_proposals(officer, school.id, programme, DEMO_SEMESTER)[0]
        seniors = [p.student for p in service.proposals(officer, school.id, grant, DEMO_SEMESTER)
                   if p.decision.eligible and p.decision.year_of_study >= 2]
        for student in rng.sample(seniors, k=min(2, len(seniors))):
            created.append(service.create_application(officer, student, scholarship, DEMO_SEMESTER,
                                                      note="专业技能竞赛省级一等奖，学习成绩年级前5%。"))
        for n, app in enumerate(rng.sample(created, k=min(MOVED_PER_SCHOOL, len(created)))):
            target = states[n] if n < len(states) else rng.choices(states, weights)[0]
            for action in PATHS[target]:
                apply_transition(APPLICATION_WORKFLOW, app, action, actors[ACTOR[action]], reason=REASONS.get(action, ""))
