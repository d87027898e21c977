"""Numbers as the SQLite functions of ``register_sqlite_functions`` see them, computed by the Python
backend's own operators (``operators.py``), so SQLite and Python cannot disagree on a digit.

Operands arrive as SQLite hands them over: None (blank, which is 0), an int (a native integer) or
the decimal text these functions return. Results are decimal text (``str(Decimal)``, exact), or
None for an error value (the SQL around the call tracks the error itself).
"""
from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from . import operators
from .values import ZERO, number_to_text

# Python computes + - * / in the thread's decimal context (operators.py uses the plain operators):
# the default one, 28 significant digits rounded half to even. Exact-NUMERIC backends round the same.
SIGNIFICANT_DIGITS = 28
HALF_EVEN = True


def parse(v: Any) -> Decimal:
    if v is None:
        return ZERO
    t = type(v)
    if t is Decimal:
        return v
    if t is int or t is str:
        return Decimal(v)
    # a REAL here means SQLite left exact arithmetic somewhere; refuse rather than guess
    raise TypeError(f"not an exact number: {v!r}")


def _number_or_none(r: Any) -> Decimal | None:
    return r if type(r) is Decimal else None


ARITH: dict[str, Callable[[Decimal, Decimal], Decimal | None]] = {
    op: (lambda a, b, fn=operators.BINARY[op]: _number_or_none(fn(a, b))) for op in ("+", "-", "*", "/")
}


def neg(a: Decimal) -> Decimal | None:
    return _number_or_none(operators.neg(a))


def cmp(a: Decimal, b: Decimal) -> int:
    return (a > b) - (a < b)


def to_text(a: Decimal) -> str:
    return number_to_text(a)


def scaled(v: int, scale: int) -> Decimal:
    """An integer column holding value x 10**scale, as its value (exactly as the column type reads it)."""
    return Decimal(v).scaleb(-scale)


def text_of(d: Decimal | None) -> str | None:
    return None if d is None else str(d)
