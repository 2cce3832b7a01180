"""Trigger-kept tallies: counts of a table's rows per key, kept by database triggers (SQLite:
one row per key, upserted; PostgreSQL: appended +1/-1 rows, so concurrent writers never wait
on a shared row). One `TriggerTally` per counted table checks them against the table, folds the
appended rows and rebuilds them (aid.students.tallies, aid.applications.tallies)."""
from __future__ import annotations

from sqlalchemy import func, select, text

from aid.extensions import db


class TriggerTally:
    def __init__(self, source, tally, key: tuple[str, ...], sums: tuple[str, ...] = ()):
        """`sums`: columns of the source also summed per key (the tally has a column of each name);
        the values compared are then (count, *sums) instead of the count."""
        self.source, self.tally, self.key, self.sums = source, tally, key, sums
        self._key_sql = ", ".join(key)
        self._values_sql = ", ".join(("n",) + sums)

    def _value(self, row):
        return tuple(int(v or 0) for v in row[len(self.key):]) if self.sums else row[-1]

    def live_counts(self) -> dict:
        columns = [getattr(self.source, name) for name in self.key]
        values = [func.count()] + [func.sum(getattr(self.source, name)) for name in self.sums]
        return {tuple(row[:len(self.key)]): self._value(row)
                for row in db.session.execute(select(*columns, *values).group_by(*columns))}

    def tally_counts(self) -> dict:
        columns = [getattr(self.tally, name) for name in self.key]
        total = func.sum(self.tally.n)
        values = [total] + [func.sum(getattr(self.tally, name)) for name in self.sums]
        return {tuple(row[:len(self.key)]): self._value(row) for row in db.session.execute(
            select(*columns, *values).group_by(*columns).having(total != 0))}

    def check(self) -> list[tuple]:
        """Keys whose tally differs from the table: [(key, tally, actual)]; [] when exact."""
        live, tallies = self.live_counts(), self.tally_counts()
        none = (0,) * (1 + len(self.sums)) if self.sums else 0
        return [(key, tallies.get(key, none), live.get(key, none)) for key in sorted(set(live) | set(tallies), key=str)
                if tallies.get(key, none) != live.get(key, none)]

    def compact(self) -> int:
        """Fold the tallies into one row per key; returns the rows left. Safe while the app
        writes: on PostgreSQL the rows folded are exactly those deleted (rows appended by
        transactions still running survive); SQLite has one writer at a time anyway."""
        table = self.tally.__tablename__
        if db.engine.dialect.name == "postgresql":
            sums = ", ".join(f"sum({name})" for name in ("n",) + self.sums)
            db.session.execute(text(
                f"WITH moved AS (DELETE FROM {table} RETURNING {self._key_sql}, {self._values_sql}) "
                f"INSERT INTO {table} ({self._key_sql}, {self._values_sql}) SELECT {self._key_sql}, {sums} "
                f"FROM moved GROUP BY {self._key_sql} HAVING sum(n) != 0"))
        else:
            folded = self.tally_counts()
            db.session.execute(self.tally.__table__.delete())
            self._insert(folded)
        return db.session.scalar(select(func.count()).select_from(self.tally))

    def rebuild(self) -> int:
        """Recount from the table (the repair path); returns the rows written."""
        if db.engine.dialect.name == "postgresql":  # no write to the counted table meanwhile
            db.session.execute(text(f"LOCK TABLE {self.source.__tablename__} IN SHARE MODE"))
        db.session.execute(self.tally.__table__.delete())
        live = self.live_counts()
        self._insert(live)
        return len(live)

    def _insert(self, rows: dict) -> None:
        def values(value):
            return dict(zip(("n",) + self.sums, value)) if self.sums else {"n": value}
        rows = [dict(zip(self.key, key), **values(value)) for key, value in rows.items()
                if (value[0] if self.sums else value)]
        if rows:
            db.session.execute(self.tally.__table__.insert(), rows)


def run_tally_command(module, *, compact: bool, rebuild: bool, table_label: str, tally_label: str) -> None:
    """The `… tallies [--compact|--rebuild]` commands: repair or fold first if asked, then check
    and print every key that differs (exit status 1 when any does)."""
    import sys

    import click

    if rebuild:
        click.echo(f"已重新统计：{module.rebuild()} 组", err=True)
    if compact:
        click.echo(f"已合并：剩余 {module.compact()} 行", err=True)
    db.session.commit()
    differences = module.check()
    for key, tally, actual in differences:
        click.echo(f"{'/'.join(map(str, key))}\t统计 {tally}\t实际 {actual}")
    if differences:
        click.echo(f"{len(differences)} 组统计与{table_label}不一致；可用 --rebuild 重新统计。", err=True)
        sys.exit(1)
    click.echo(f"{tally_label}与{table_label}一致。", err=True)
