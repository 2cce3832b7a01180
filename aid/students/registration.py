"""Electronic registration (电子注册): the school submits, the supervising bureau
verifies or returns with a reason. The one transition table for it."""
from aid.students.models import REGISTRATION_STATES
from aid.workflow import Transition, Workflow

REGISTRATION_WORKFLOW = Workflow("student_registration", REGISTRATION_STATES, [
    Transition("submit", ("draft", "returned"), "submitted", ("school_officer", "school_leader"), "报送注册"),
    Transition("verify", ("submitted",), "verified", ("bureau_officer", "province_admin"), "审核通过",
               separate_from=("submit",)),
    Transition("return", ("submitted",), "returned", ("bureau_officer", "province_admin"), "退回学校",
               needs_reason=True),
    # a verified record that must be registered again (a change of study mode)
    Transition("reopen", ("verified", "returned"), "draft", ("school_officer", "school_leader"), "重新注册",
               needs_reason=True),
])
