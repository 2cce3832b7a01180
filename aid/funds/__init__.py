"""Disbursement and funds (发放与资金): allocations, payment batches, ledgers, bank files,
semester settlement and recovery (DESIGN §3.8)."""
