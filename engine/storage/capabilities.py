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


_SQLITE = Capabilities(exact_decimal=False, unicode_lower=False, skip_locked=False, row_locks=False,
                       single_writer=True)
_POSTGRES = Capabilities(exact_decimal=True, unicode_lower=True, skip_locked=True, row_locks=True,
                         single_writer=False)


def capabilities(dialect) -> Capabilities:
    name = getattr(dialect, "name", dialect)
    if name == "sqlite":
        return _SQLITE
    if name == "postgresql":
        return _POSTGRES
    raise ValueError(f"unsupported database backend: {name}")
