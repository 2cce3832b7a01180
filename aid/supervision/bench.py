"""Bench data: the stored red-flag counts of every jurisdiction root with users, as the scheduled
`flask --app app supervision refresh-flags` keeps them in service (after the shared-key groups
the duplicate-ID and shared-card flags read are rebuilt)."""
from aid.supervision.flag_store import refresh_all


def bench_finish(ctx) -> None:
    refresh_all()
