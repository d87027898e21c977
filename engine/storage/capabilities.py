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
    # that a later commit fills (the event outbox relies on it where there are no transaction snapshots)
    # SQL giving the writing transaction's id, and the current snapshot as text ("xmin:xmax:xip,..."
    # of those ids); None where the database has no such thing. The outbox's cursors are snapshots
    # there, so that a late commit is never passed over (platform/event_window.py)
    xact_id_sql: str | None = None
    xact_snapshot_sql: str | None = None


_SQLITE = Capabilities(exact_decimal=False, unicode_lower=False, skip_locked=False, row_locks=False,
                       single_writer=True)
_POSTGRES = Capabilities(exact_decimal=True, unicode_lower=True, skip_locked=True, row_locks=True,
                         single_writer=False,
                         # xid8 as bigint (an epoch-extended 64-bit id, never wraps in practice)
                         xact_id_sql="pg_current_xact_id()::text::bigint",
                         xact_snapshot_sql="pg_current_snapshot()::text")


def capabilities(dialect) -> Capabilities:
    name = getattr(dialect, "name", dialect)
    if name == "sqlite":
        return _SQLITE
    if name == "postgresql":
        return _POSTGRES
    raise ValueError(f"unsupported database backend: {name}")
