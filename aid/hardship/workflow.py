"""Hardship determination workflow: apply → class review → school determination
→ public notice → filed (DESIGN §3.4)."""
from aid.workflow import Transition, Workflow

HARDSHIP_STATES = {
    "draft": "草稿", "submitted": "已申请", "class_reviewed": "班级已评议", "determined": "学校已认定",
    "on_notice": "公示中", "noticed": "公示期满", "filed": "已存档", "returned": "已退回",
}

HARDSHIP_WORKFLOW = Workflow("hardship", HARDSHIP_STATES, [
    Transition("submit", ("draft", "returned"), "submitted", ("student", "school_officer"), "提交认定申请"),
    Transition("class_review", ("submitted",), "class_reviewed", ("school_officer",), "班级评议"),
    Transition("return_to_applicant", ("submitted", "class_reviewed"), "returned",
               ("school_officer", "school_leader"), "退回", needs_reason=True),
    Transition("determine", ("class_reviewed",), "determined", ("school_leader",), "学校认定",
               separate_from=("class_review",)),
    Transition("post_notice", ("determined",), "on_notice", ("school_officer", "school_leader"), "发布公示"),
    Transition("withdraw_from_notice", ("on_notice",), "returned", ("school_officer", "school_leader"),
               "撤出公示", needs_reason=True),
    Transition("end_notice", ("on_notice",), "noticed", ("school_officer", "school_leader"), "公示期满"),
    Transition("file", ("noticed",), "filed", ("school_officer", "school_leader"), "存档"),
])
