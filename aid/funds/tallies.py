"""Payment lines and amounts per programme, period, school and status, read from the tallies
that database triggers keep (migration 0019): the settlement roll-up. `check` compares them
with the payment_lines table, `compact` folds PostgreSQL's appended rows, `rebuild` recounts."""
from __future__ import annotations

from aid.funds.models import PaymentLine, PaymentLineTally
from aid.tallies import TriggerTally

KEY = ("programme_id", "period", "school_id", "status")

_UPKEEP = TriggerTally(PaymentLine, PaymentLineTally, KEY, sums=("amount_fen",))
check, compact, rebuild = _UPKEEP.check, _UPKEEP.compact, _UPKEEP.rebuild
