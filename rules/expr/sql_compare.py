"""``=``, ``<>``, ``<``, ``<=``, ``>``, ``>=`` in SQL, as ``values.values_equal`` and
``values.compare`` decide them.

Blank takes the other side's kind (0, "", FALSE, the earliest date), so a comparison never yields
NULL: ``amount < 100`` selects blank amounts, ``NOT(amount > 100)`` too. Across kinds numbers <
text < logicals; a number against a date is #VALUE!. Where a side may be blank and the kinds differ
the result depends on which sides are blank, spelled out as a CASE.
"""
from __future__ import annotations

import datetime as _dt
from typing import Any

from sqlalchemy import Boolean, Date, DateTime, and_, case, false, func, literal, or_, true
from sqlalchemy.sql.elements import ColumnElement

from .sql_numbers import CMP_OPS, FLIPPED, sql_compare
from .sql_values import (
    BLANK_K,
    BOOLEAN_K,
    DATE_K,
    DATETIME_K,
    NUMBER_K,
    TEXT_K,
    SqlValue,
    any_error,
)
from .values import compare, is_error, values_equal

_KIND_ORDER = {NUMBER_K: 0, DATE_K: 0, DATETIME_K: 0, TEXT_K: 1, BOOLEAN_K: 2}
_TEMPORAL = (DATE_K, DATETIME_K)
_MIN = {DATE_K: _dt.date.min, DATETIME_K: _dt.datetime.min}
_SQL_TYPE = {DATE_K: Date(), DATETIME_K: DateTime()}


class NeedsConstant(Exception):
    """A date compared with a datetime where neither is known while compiling."""


def python_result(op: str, a: Any, b: Any) -> Any:
    """What the Python backend gives for ``a op b``: True, False or an error value."""
    if op in ("=", "<>"):
        r = values_equal(a, b)
        return r if is_error(r) or op == "=" else not r
    r = compare(a, b)
    return r if is_error(r) else CMP_OPS[op](r, 0)


class Comparisons:
    def __init__(self, numbers, texts) -> None:
        self.numbers = numbers
        self.texts = texts

    def compare(self, op: str, a: SqlValue, b: SqlValue) -> SqlValue:
        """A boolean SqlValue that is never NULL."""
        err = any_error(a.err, b.err)
        if a.is_const and b.is_const:
            if err is not None:
                return SqlValue(false(), BOOLEAN_K, False, err)
            r = python_result(op, a.const, b.const)
            if is_error(r):
                return SqlValue(false(), BOOLEAN_K, False, true())
            return SqlValue(true() if r else false(), BOOLEAN_K, False, const=r)
        ka, kb = a.kind, b.kind
        if ka == BLANK_K and kb == BLANK_K:  # blank against blank (or errors): known already
            r = python_result(op, None, None)
            return SqlValue(true() if r is True else false(), BOOLEAN_K, False, err)
        if ka == BLANK_K:
            a, ka = _blank_of(kb, a), kb
        if kb == BLANK_K:
            b, kb = _blank_of(ka, b), ka
        if ka == kb or (ka in _TEMPORAL and kb in _TEMPORAL):
            cond, own_err = self._same_kind(op, a, b), None
        else:
            cond, own_err = self._across_kinds(op, a, b)
        return SqlValue(cond, BOOLEAN_K, False, any_error(err, own_err))

    # ---- one kind ----------------------------------------------------------------------------
    def _same_kind(self, op: str, a: SqlValue, b: SqlValue) -> ColumnElement:
        k = a.kind
        if k == NUMBER_K:
            return self.numbers.compare(op, a, b)
        if b.is_const and not a.is_const:
            return self._against_const(op, a, b.const)
        if a.is_const and not b.is_const:
            return self._against_const(FLIPPED[op], b, a.const)
        if k == TEXT_K:
            left, right = self._text_side(a), self._text_side(b)
            if op in ("=", "<>"):
                return sql_compare(op, left, right)
            return sql_compare(op, self.texts.ordered(left), right)
        if k == BOOLEAN_K:
            return sql_compare(op, _false_if_blank(a), _false_if_blank(b))
        if a.kind != b.kind:
            raise NeedsConstant()
        if op == "=":
            return a.expr.is_not_distinct_from(b.expr)  # blank equals only blank
        if op == "<>":
            return a.expr.is_distinct_from(b.expr)
        return sql_compare(op, _earliest_if_blank(a), _earliest_if_blank(b))

    def _text_side(self, v: SqlValue) -> ColumnElement:
        folded = self.texts.fold(v.expr)
        return func.coalesce(folded, literal("")) if v.nullable else folded

    def _against_const(self, op: str, a: SqlValue, c: Any) -> ColumnElement:
        """a OP c with c known: compare the column itself (indexable), then add the blank rows
        exactly when Python selects a blank for this constant."""
        k = a.kind
        if c is None:  # a blank: it takes this kind's blank value, but only blank equals blank
            if k in _TEMPORAL and op in ("=", "<>"):
                core = false() if op == "=" else true()
            else:
                core = self._same_kind_core(op, a, _blank_like(k), k)
        elif k in _TEMPORAL and kind_of_temporal(c) != k:
            core = _date_vs_datetime(op, a.expr, k, c)
        else:
            core = self._same_kind_core(op, a, c, k)
        if not a.nullable:
            return core
        if python_result(op, None, c) is True:
            return or_(a.expr.is_(None), core)
        return and_(a.expr.is_not(None), core)

    def _same_kind_core(self, op: str, a: SqlValue, c: Any, k: str) -> ColumnElement:
        if k == TEXT_K:
            folded = self.texts.fold(a.expr)
            if op in ("=", "<>"):
                return sql_compare(op, folded, self.texts.folded_const(c))
            return sql_compare(op, self.texts.ordered(folded), self.texts.folded_const(c))
        if k == BOOLEAN_K:  # a bound TRUE/FALSE: SQLAlchemy orders no true() constant
            return sql_compare(op, a.expr, literal(bool(c), Boolean()))
        return sql_compare(op, a.expr, literal(c, _SQL_TYPE[k]))

    # ---- two kinds ---------------------------------------------------------------------------
    def _across_kinds(self, op: str, a: SqlValue, b: SqlValue) -> tuple[ColumnElement, ColumnElement | None]:
        ka, kb = a.kind, b.kind
        own_err = None
        if op in ("=", "<>"):  # values of different kinds are never equal
            both = true() if op == "<>" else false()
        elif _KIND_ORDER[ka] != _KIND_ORDER[kb]:
            both = true() if CMP_OPS[op](_KIND_ORDER[ka], _KIND_ORDER[kb]) else false()
        else:  # a number against a date: #VALUE! unless a side is blank
            both = false()
            own_err = and_(_not_null(a), _not_null(b))
        whens = []
        if a.nullable and b.nullable:
            whens.append((and_(a.expr.is_(None), b.expr.is_(None)), _const_cond(python_result(op, None, None))))
        if a.nullable:
            whens.append((a.expr.is_(None), self._same_kind(op, _blank_of(kb, a), b)))
        if b.nullable:
            whens.append((b.expr.is_(None), self._same_kind(op, a, _blank_of(ka, b))))
        cond = case(*whens, else_=both) if whens else both
        return cond, own_err


def kind_of_temporal(v: Any) -> str | None:
    t = type(v)
    return DATE_K if t is _dt.date else DATETIME_K if t is _dt.datetime else None


def _blank_like(kind: str) -> Any:
    return {NUMBER_K: None, TEXT_K: "", BOOLEAN_K: False}.get(kind, _MIN.get(kind))


def _blank_of(kind: str, v: SqlValue) -> SqlValue:
    """A blank (NULL) standing where a value of ``kind`` is compared: it takes that kind."""
    return SqlValue(v.expr if v.kind == BLANK_K else literal(None), kind, True, None, const=None)


def _false_if_blank(v: SqlValue) -> ColumnElement:
    return func.coalesce(v.expr, false()) if v.nullable else v.expr


def _earliest_if_blank(v: SqlValue) -> ColumnElement:
    if not v.nullable:
        return v.expr
    return func.coalesce(v.expr, literal(_MIN[v.kind], _SQL_TYPE[v.kind]))


def _not_null(v: SqlValue) -> ColumnElement:
    return true() if not v.nullable else v.expr.is_not(None)


def _const_cond(r: Any) -> ColumnElement:
    return true() if r is True else false()


def _date_vs_datetime(op: str, expr: ColumnElement, kind: str, c: Any) -> ColumnElement:
    """A date column against a datetime constant or the reverse, as Python compares them: a date
    is its midnight."""
    if kind == DATETIME_K:  # the constant is a date: its midnight, exactly
        midnight = _dt.datetime(c.year, c.month, c.day)
        return sql_compare(op, expr, literal(midnight, DateTime()))
    day = c.date()
    at_midnight = c == _dt.datetime(day.year, day.month, day.day)
    d = literal(day, Date())
    if at_midnight:
        return sql_compare(op, expr, d)
    # midnight(x) against a moment inside ``day``: x = day sorts before it
    return {
        "=": false(),
        "<>": true(),
        "<": expr <= d,
        "<=": expr <= d,
        ">": expr > d,
        ">=": expr > d,
    }[op]

