"""The status-change workflow: the one transition table (DESIGN §3.3).

officer records → school leader approves → supervising bureau confirms (or
returns with a reason). A transfer is a handshake: after the bureau of the
sending school confirms, the receiving school accepts (the change takes
effect and the student moves) or declines with a reason.
"""
from aid.workflow import Transition, Workflow

CHANGE_STATES = {
    "new": "新建",
    "recorded": "待学校审批",
    "returned": "已退回",
    "school_approved": "待主管部门确认",
    "awaiting_receiver": "待转入学校接收",
    "approved": "已生效",
    "declined": "转入学校不接收",
    "cancelled": "已撤销",
}
OPEN_STATES = ("recorded", "returned", "school_approved", "awaiting_receiver")
FINAL_STATES = ("approved", "declined", "cancelled")
# the receiving school (and its bureau) sees a transfer from this point on
RECEIVER_STATES = ("awaiting_receiver", "approved", "declined")

CHANGE_WORKFLOW = Workflow("status_change", CHANGE_STATES, [
    Transition("record", ("new",), "recorded", ("school_officer",), "登记异动"),
    Transition("resubmit", ("returned",), "recorded", ("school_officer",), "修改后重新报送"),
    Transition("approve_school", ("recorded",), "school_approved", ("school_leader",), "学校审批同意",
               separate_from=("record", "resubmit")),
    Transition("return_by_school", ("recorded",), "returned", ("school_leader",), "学校退回", needs_reason=True),
    Transition("confirm", ("school_approved",), "approved", ("bureau_officer",), "主管部门确认",
               separate_from=("record", "resubmit", "approve_school")),
    Transition("confirm_transfer", ("school_approved",), "awaiting_receiver", ("bureau_officer",),
               "主管部门确认（转出）", separate_from=("record", "resubmit", "approve_school")),
    Transition("return_by_bureau", ("school_approved",), "returned", ("bureau_officer",), "主管部门退回",
               needs_reason=True),
    Transition("accept", ("awaiting_receiver",), "approved", ("school_officer", "school_leader"), "转入学校接收"),
    Transition("decline", ("awaiting_receiver",), "declined", ("school_officer", "school_leader"),
               "转入学校不接收", needs_reason=True),
    Transition("cancel", ("recorded", "returned"), "cancelled", ("school_officer",), "撤销", needs_reason=True),
])

# actions taken by the receiving school of a transfer (jurisdiction = target school)
RECEIVER_ACTIONS = ("accept", "decline")
