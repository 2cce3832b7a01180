"""The payment-batch workflow: built by an officer (a `build` step is recorded so
separation of duties can see it) → optionally reviewed by another officer →
locked by the school leader → closed when the bank's return file is in."""
from aid.access import SCHOOL
from aid.funds.models import BATCH_STATES
from aid.workflow import Transition, Workflow

BATCH_WORKFLOW = Workflow("payment_batch", BATCH_STATES, [
    Transition("review", ("draft",), "reviewed", ("school_officer",), "复核", separate_from=("build",)),
    Transition("lock", ("draft", "reviewed"), "locked", ("school_leader",), "锁定",
               separate_from=("build", "review")),
    Transition("discard", ("draft", "reviewed"), "cancelled", SCHOOL, "作废", needs_reason=True),
    Transition("bank_return", ("locked",), "returned", SCHOOL, "银行回盘"),
])
