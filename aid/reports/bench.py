"""Bench data: the stored report figures of the current semester, as the scheduled
`flask --app app reports refresh` keeps them in service (runs after every data step)."""
from aid.reports.service import recent_semesters, refresh_all


def bench_step(ctx) -> None:
    refresh_all(recent_semesters(1)[0])
