"""Ids for a batch of new rows, taken before the insert so that the rows go in with one plain
executemany on every backend (an INSERT .. RETURNING of a batch is row by row on SQLite and a huge
statement to parse on PostgreSQL)."""
from __future__ import annotations

import sqlalchemy as sa

from .capabilities import Capabilities


def allocate_ids(conn: sa.Connection, table: sa.Table, n: int, caps: Capabilities) -> list[int]:
    if n == 0:
        return []
    if caps.single_writer:
        # the write transaction holds the database's write lock: nobody else can take these ids
        start = conn.execute(sa.select(sa.func.coalesce(sa.func.max(table.c.id), 0))).scalar() + 1
        return list(range(start, start + n))
    seq = sa.func.pg_get_serial_sequence(table.name if table.schema is None else f"{table.schema}.{table.name}", "id")
    q = sa.select(sa.func.nextval(seq)).select_from(sa.func.generate_series(1, n))
    return list(conn.execute(q).scalars())
