"""The measure workflow: the bureau opens it, the school answers, the bureau closes it
or asks for more rectification."""
from aid.workflow import Transition, Workflow

MEASURE_STATES = {"open": "整改中", "responded": "学校已回复", "closed": "已关闭"}

MEASURE_WORKFLOW = Workflow("measure", MEASURE_STATES, [
    Transition("respond", ("open",), "responded", ("school_officer", "school_leader"), "回复整改情况"),
    Transition("close", ("responded",), "closed", ("bureau_officer", "province_admin"), "关闭措施"),
    Transition("require_more", ("responded",), "open", ("bureau_officer", "province_admin"), "要求继续整改",
               needs_reason=True),
])
