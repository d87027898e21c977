"""COUNTIF/SUMIF/AVERAGEIF criteria, read once per call into a predicate over list items.

Excel's rules: ``">10"``, ``"<=5"``, ``"<>x"``, ``"=x"`` and ``"x"``; text compares ignoring case
with ``*``/``?`` wildcards; a number (or text reading as one) also matches text cells reading as
that number; ``""`` matches blank cells and empty text, ``"="`` only blank cells, ``"<>"`` every
non-blank cell; an error cell matches only its own code."""
from __future__ import annotations

import datetime as dt
import operator
from decimal import Decimal
from typing import Any, Callable

from ..values import ERRORS_BY_CODE, VALUE, ExcelError, fold_text, text_to_number
from .date_coercion import parse_temporal
from .wildcards import Wildcard

Predicate = Callable[[Any], bool]
MAX_CRITERION_LENGTH = 255  # Excel refuses longer criteria text
_OPERATORS = ("<=", ">=", "<>", "<", ">", "=")
_COMPARE = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}
_TEMPORAL = (dt.date, dt.datetime)


def criterion(c: Any) -> Predicate | ExcelError:
    t = type(c)
    if t is ExcelError:
        return c
    if t is Decimal or t is int:
        return _equals_number(Decimal(c))
    if t is bool:
        return lambda v: v is c
    if t in _TEMPORAL:
        return _date_test("=", c)
    if c is None:  # an empty criterion cell behaves as ""
        c = ""
    elif t is not str:
        return VALUE
    if len(c) > MAX_CRITERION_LENGTH:
        return VALUE
    op = next((o for o in _OPERATORS if c.startswith(o)), "")
    operand = c[len(op):]
    test = _test(op, operand)
    if op == "<>":
        return lambda v: not test(v)
    return test


def _test(op: str, operand: str) -> Predicate:
    """The predicate of ``op`` (``"<>"`` is built as "=" and negated by the caller)."""
    if operand == "":
        if op == "":
            return lambda v: v is None or v == ""
        if op in ("=", "<>"):
            return lambda v: v is None
        compare = _COMPARE[op]
        return lambda v: type(v) is str and compare(fold_text(v), "")
    n = text_to_number(operand)
    if n is not None:
        if op in ("", "=", "<>"):
            return _equals_number(n)
        compare = _COMPARE[op]
        return lambda v: type(v) is Decimal and compare(v, n)
    upper = operand.strip().upper()
    if upper in ("TRUE", "FALSE"):
        b = upper == "TRUE"
        if op in ("", "=", "<>"):
            return lambda v: v is b
        compare = _COMPARE[op]
        return lambda v: type(v) is bool and compare(v, b)
    if upper in ERRORS_BY_CODE:
        e = ERRORS_BY_CODE[upper]
        return (lambda v: v is e) if op in ("", "=", "<>") else (lambda v: False)
    when = parse_temporal(operand)
    if type(when) in _TEMPORAL:
        return _date_test(op or "=", when)
    if op in ("", "=", "<>"):
        pattern = Wildcard(operand)
        return lambda v: type(v) is str and pattern.fullmatch(v)
    compare = _COMPARE[op]
    folded = fold_text(operand)
    return lambda v: type(v) is str and compare(fold_text(v), folded)


def _equals_number(n: Decimal) -> Predicate:
    def test(v: Any) -> bool:
        t = type(v)
        if t is Decimal or t is int:
            return v == n
        return t is str and text_to_number(v) == n

    return test


def _instant(v: dt.date | dt.datetime) -> dt.datetime:
    return v if type(v) is dt.datetime else dt.datetime(v.year, v.month, v.day)


def _date_test(op: str, when: dt.date | dt.datetime) -> Predicate:
    at = _instant(when)
    compare = operator.eq if op in ("=", "<>") else _COMPARE[op]
    return lambda v: type(v) in _TEMPORAL and compare(_instant(v), at)
