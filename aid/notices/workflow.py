"""The notice workflow: the officer prepares, the leader approves (never the
preparer), then it is posted and ends when its period is over and every
objection is resolved."""
from aid.workflow import Transition, Workflow

NOTICE_STATES = {
    "draft": "草稿", "submitted": "待审批", "approved": "已审批", "posted": "公示中",
    "ended": "公示结束", "withdrawn": "已撤销",
}

NOTICE_WORKFLOW = Workflow("notice", NOTICE_STATES, [
    Transition("submit", ("draft",), "submitted", ("school_officer",), "提交审批"),
    Transition("return", ("submitted",), "draft", ("school_leader",), "退回修改", needs_reason=True),
    Transition("approve", ("submitted",), "approved", ("school_leader",), "审批同意",
               separate_from=("submit",)),
    Transition("post", ("approved",), "posted", ("school_officer", "school_leader"), "发布公示"),
    Transition("end", ("posted",), "ended", ("school_officer", "school_leader"), "公示结束"),
    Transition("withdraw", ("draft", "submitted", "approved"), "withdrawn", ("school_officer", "school_leader"),
               "撤销", needs_reason=True),
])
