"""The aid application workflow: the one transition table (DESIGN §3.6).

draft → submitted → reviewed (officer) → school_approved (leader) → on_notice
→ noticed (notice period over, objections resolved) → bureau_approved →
disbursed; returned goes back to the previous actor, rejected ends it.
"""
from aid.workflow import Transition, Workflow

APPLICATION_STATES = {
    "draft": "草稿", "submitted": "已提交", "reviewed": "学校已审核", "school_approved": "学校已审批",
    "on_notice": "公示中", "noticed": "公示期满", "bureau_approved": "人社部门已审批",
    "disbursed": "已发放", "returned": "已退回", "rejected": "未通过",
}

APPLICATION_WORKFLOW = Workflow("application", APPLICATION_STATES, [
    Transition("submit", ("draft", "returned"), "submitted", ("student", "school_officer"), "提交申请"),
    Transition("review", ("submitted",), "reviewed", ("school_officer",), "学校审核"),
    Transition("return_to_applicant", ("submitted", "reviewed"), "returned", ("school_officer", "school_leader"),
               "退回", needs_reason=True),
    Transition("approve_school", ("reviewed",), "school_approved", ("school_leader",), "学校审批",
               separate_from=("review", "submit")),
    Transition("reject", ("submitted", "reviewed", "school_approved", "noticed"), "rejected",
               ("school_officer", "school_leader", "bureau_officer"), "不予通过", needs_reason=True),
    # the notices area moves items on and off notice
    Transition("post_notice", ("school_approved",), "on_notice", ("school_officer", "school_leader"), "发布公示"),
    Transition("withdraw_from_notice", ("on_notice",), "returned", ("school_officer", "school_leader"),
               "撤出公示", needs_reason=True),
    Transition("end_notice", ("on_notice",), "noticed", ("school_officer", "school_leader"), "公示期满"),
    Transition("approve_bureau", ("noticed",), "bureau_approved", ("bureau_officer",), "人社部门审批",
               separate_from=("review", "approve_school")),
    Transition("return_to_school", ("noticed",), "reviewed", ("bureau_officer",), "退回学校", needs_reason=True),
    # the funds area marks payment
    Transition("disburse", ("bureau_approved",), "disbursed", ("school_officer", "school_leader"), "发放"),
])
