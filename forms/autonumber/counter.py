"""The counters autonumbers are taken from: one row per (app, entity, field, period), holding the last
number given out.

Numbers are taken inside the write's own transaction, so a save that rolls back gives its numbers
back and the sequence has no gaps. Writers of one counter queue on its row: on PostgreSQL the UPDATE
locks it until the transaction ends; on SQLite the write transaction already holds the database's
write lock.
"""
from __future__ import annotations

import sqlalchemy as sa

NAME_LENGTH = 64  # names of apps, entities and fields are at most 63 characters


def add_tables(md: sa.MetaData) -> dict[str, sa.Table]:
    counter = sa.Table(
        "jimu_counter", md,
        sa.Column("app", sa.String(NAME_LENGTH), primary_key=True),
        sa.Column("entity", sa.String(NAME_LENGTH), primary_key=True),
        sa.Column("field", sa.String(NAME_LENGTH), primary_key=True),
        # "all" when numbers never restart, else the period they restart in: 2026, 2026-12, 2026-12-31
        sa.Column("period", sa.String(16), primary_key=True),
        sa.Column("value", sa.BigInteger(), nullable=False),  # the last number given out
    )
    return {"counter": counter}


def take(conn: sa.Connection, counter: sa.Table, key: dict[str, str], n: int, start: int) -> int:
    """Reserve ``n`` consecutive numbers of the counter ``key``; the first of them. The first use of
    a counter starts it at ``start``."""
    where = [counter.c[k] == v for k, v in key.items()]
    bump = counter.update().where(*where).values(value=counter.c.value + n).returning(counter.c.value)
    last = conn.execute(bump).scalar()
    if last is None:
        try:  # a savepoint: a writer that created the row first must not abort the caller's transaction
            with conn.begin_nested():
                conn.execute(counter.insert().values(**key, value=start + n - 1))
            return start
        except sa.exc.IntegrityError:
            # another transaction created it (and has committed, or the insert would still wait)
            last = conn.execute(bump).scalar()
            if last is None:
                raise
    return last - n + 1
