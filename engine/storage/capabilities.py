"""What a database backend can do, asked by capability, never by name elsewhere in the code.

This is the one module that maps a dialect to its capabilities; everything else asks the flags.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Capabilities:
    exact_decimal: bool  # NUMERIC is exact (False: decimals are stored as scaled integers)
    unicode_lower: bool  # lower() folds non-ASCII letters (False: a registered function does it)
    skip_locked: bool  # SELECT ... FOR UPDATE SKIP LOCKED
    row_locks: bool  # SELECT ... FOR UPDATE means something
    single_writer: bool  # a write transaction holds the whole database's write lock (ids can be assigned)
    # and so ids taken at insert are in commit order: a reader that follows them never passes a gap
    # that a later commit fills (the event outbox relies on it where there is no transaction horizon)
    # SQL giving the writing transaction's id, and the horizon below which every transaction has
    # finished (in the statement's snapshot); None where the database has no such thing. Outbox readers
    # order by (transaction, id) below the horizon, so that a late commit is never passed over
    xact_id_sql: str | None = None
    xact_horizon_sql: str | None = None


_SQLITE = Capabilities(exact_decimal=False, unicode_lower=False, skip_locked=False, row_locks=False,
                       single_writer=True)
_POSTGRES = Capabilities(exact_decimal=True, unicode_lower=True, skip_locked=True, row_locks=True,
                         single_writer=False,
                         # xid8 as bigint (an epoch-extended 64-bit id, never wraps in practice)
                         xact_id_sql="pg_current_xact_id()::text::bigint",
                         xact_horizon_sql="pg_snapshot_xmin(pg_current_snapshot())::text::bigint")


def capabilities(dialect) -> Capabilities:
    name = getattr(dialect, "name", dialect)
    if name == "sqlite":
        return _SQLITE
    if name == "postgresql":
        return _POSTGRES
    raise ValueError(f"unsupported database backend: {name}")
