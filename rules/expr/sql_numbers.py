"""Numbers in SQL, agreeing with the Python backend to the last digit.

Python computes + - * / with its default decimal context (``operators.py``): every result rounded
half to even to 28 significant digits, division by zero an error. So:

- exact NUMERIC backends compute exactly and then round every arithmetic result to 28 significant
  digits (``_round_sig``: a correlated scalar subquery, so nested arithmetic does not repeat its
  operands in the SQL text). A quotient is first computed with 120 extra decimals: a quotient of
  numbers of up to 38 digits that does not end has no run of more than ~38 zeros, so rounding that
  again at the 28th digit cannot land on a different digit than Python's one rounding.
- scaled-integer backends (SQLite) never do arithmetic natively: an overflowing INTEGER silently
  becomes REAL there. Arithmetic goes through the ``jimu_*`` functions ``register_sqlite_functions``
  installs (Python's own decimals, on decimal text); comparisons of two integers of the same scale,
  and of one against a constant, stay native and indexable.

Blank is 0 for arithmetic and comparison here; the callers deal with blanks of other kinds.
"""
from __future__ import annotations

import operator
from collections.abc import Callable
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from sqlalchemy import (
    BigInteger,
    Integer,
    Numeric,
    String,
    and_,
    case,
    cast,
    false,
    func,
    literal,
    literal_column,
    or_,
    select,
    true,
    type_coerce,
)
from sqlalchemy.sql import Select, visitors
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.types import TypeDecorator

from . import sql_decimal as dec
from .sql_decimal import HALF_EVEN, SIGNIFICANT_DIGITS
from .sql_values import NUMBER_K, SqlCapabilities, SqlValue, any_error, error_value
from .values import SETTLE_DIGITS, SHORT_DIGITS, ZERO

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1
_DIV_GUARD = "1." + "0" * 120  # raises the dividend's scale so the quotient carries 120+ decimals

CMP_OPS: dict[str, Callable[[object, object], bool]] = {
    "=": operator.eq,
    "<>": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}
FLIPPED = {"=": "=", "<>": "<>", "<": ">", "<=": ">=", ">": "<", ">=": "<="}


class DecimalText(TypeDecorator):
    """Decimal text from the jimu_* functions, read back as Decimal."""

    impl = String
    cache_ok = True

    def process_result_value(self, value, dialect):
        return None if value is None else dec.parse(value)


class ScaledInteger(TypeDecorator):
    """An integer holding value x 10**scale, read back as Decimal."""

    impl = BigInteger
    cache_ok = True

    def __init__(self, scale: int) -> None:
        super().__init__()
        self.scale = scale

    def process_result_value(self, value, dialect):
        return None if value is None else dec.scaled(int(value), self.scale)


def sql_compare(op: str, left, right) -> ColumnElement:
    """The SQL comparison; the operator functions build SQL from SQLAlchemy operands."""
    return CMP_OPS[op](left, right)


class NumberOps:
    def __init__(self, caps: SqlCapabilities) -> None:
        self.exact = caps.exact_decimal

    # ---- making numbers -------------------------------------------------------------------
    def const(self, d: Decimal) -> SqlValue:
        if self.exact:
            return SqlValue(literal(d, Numeric(asdecimal=True)), NUMBER_K, False, const=d)
        _, _, exp = d.as_tuple()
        scale = max(0, -exp)
        n = int(shift(d, scale))
        if INT64_MIN <= n <= INT64_MAX and scale <= 30:
            return SqlValue(literal(n, BigInteger), NUMBER_K, False, scale=scale, const=d)
        return SqlValue(literal(str(d), String), NUMBER_K, False, scale=None, const=d)

    def native_int(self, expr: ColumnElement, nullable: bool, err=None) -> SqlValue:
        """An SQL expression of integer type (a length, a year, 0/1) as a number."""
        if self.exact:
            return SqlValue(cast(expr, Numeric), NUMBER_K, nullable, err)
        return SqlValue(expr, NUMBER_K, nullable, err, scale=0)

    def column(self, expr: ColumnElement, scale: int | None) -> SqlValue:
        if self.exact:
            return SqlValue(expr, NUMBER_K, True)
        return SqlValue(expr, NUMBER_K, True, scale=scale or 0)

    def result_type(self, v: SqlValue):
        """How to read the value back as Decimal (report dimensions)."""
        if self.exact:
            return type_coerce(v.expr, Numeric(asdecimal=True))
        if v.scale is None:
            return type_coerce(v.expr, DecimalText())
        return type_coerce(v.expr, ScaledInteger(v.scale))

    # ---- pieces ---------------------------------------------------------------------------
    def _zeroed(self, v: SqlValue) -> ColumnElement:
        """The value with blank as 0, in v's own shape."""
        if not v.nullable:
            return v.expr
        zero = literal(0, Integer) if (self.exact or v.scale is not None) else literal("0", String)
        return func.coalesce(v.expr, zero)

    def _operand(self, v: SqlValue) -> ColumnElement:
        """What a jimu_* function takes: int, decimal text or NULL (blank)."""
        if v.scale in (None, 0):
            return v.expr
        return func.jimu_num(v.expr, v.scale)

    def _round_sig(self, x: ColumnElement, half_even: bool = HALF_EVEN,
                   digits: int = SIGNIFICANT_DIGITS) -> ColumnElement:
        """x rounded to 28 significant digits, half to even as Python's default decimal context
        does (or half away from zero), on exact NUMERIC backends. A derived table names x once, so
        nested arithmetic does not repeat its operands in the SQL text."""
        # OFFSET 0 keeps PostgreSQL from pulling the subquery up: it would paste x into every use
        # of v below, and nested arithmetic would then be evaluated exponentially often
        q1 = select(_correlated(x).label("v")).correlate(*_tables(x)).offset(0).subquery()
        v = q1.c.v
        a = func.abs(v)
        txt = cast(a, String)
        # the leading digit's place: 10**e <= |v| < 10**(e+1), read from the text so that no
        # logarithm can round 999.99... up to 3
        e = case(
            (a >= 1, func.length(cast(func.trunc(a), String)) - 1),
            else_=-func.strpos(func.translate(func.split_part(txt, ".", 2), "123456789", "111111111"), "1"),
        )
        n = digits - 1 - e  # the decimals that keep 28 (or ``digits``) digits
        # lo, hi and n repeat in the text below but only over the column v: each nesting of
        # arithmetic costs two SELECT levels, so SQLAlchemy's compiler recursion goes far enough
        lo, hi = func.trunc(v, n), func.round(v, n)
        # at most 28 digits in all (leading zeros counted too): nothing to round
        short = func.length(func.replace(cast(func.abs(v), String), ".", "")) <= digits
        whens = [(short, v)]
        if half_even:
            # a tie (the dropped part is exactly half a unit) keeps the even digit; round() went away
            lo_txt = cast(func.abs(lo), String)
            kept = case((n > 0, func.right(lo_txt, 1)), else_=func.substr(lo_txt, func.length(lo_txt) + n, 1))
            tie = and_(v != lo, 2 * func.abs(v - lo) == func.abs(hi - lo))
            whens.append((and_(tie, kept.in_(["0", "2", "4", "6", "8"])), lo))
        body = case(*whens, else_=hi)
        return type_coerce(select(body).scalar_subquery(), Numeric(asdecimal=True))

    def _settle(self, x: ColumnElement) -> ColumnElement:
        """values.settle of a product or quotient already rounded to 28 digits: its rounding to 20
        digits when that has at most 15 significant digits, else x itself."""
        q = select(_correlated(x).label("v")).correlate(*_tables(x)).offset(0).subquery()
        v = q.c.v
        q2 = select(v.label("v"), self._round_sig(v, digits=SETTLE_DIGITS).label("s")).offset(0).subquery()
        s = q2.c.s
        # significant digits of s: its text without the point, leading and trailing zeros
        sig = func.length(func.rtrim(func.ltrim(func.replace(cast(func.trim_scale(func.abs(s)), String), ".", ""),
                                                "0"), "0"))
        body = case((sig <= SHORT_DIGITS, s), else_=q2.c.v)
        return type_coerce(select(body).scalar_subquery(), Numeric(asdecimal=True))

    # ---- arithmetic -----------------------------------------------------------------------
    def arith(self, op: str, a: SqlValue, b: SqlValue) -> SqlValue:
        err = any_error(a.err, b.err)
        if a.is_const and b.is_const and err is None:
            r = dec.ARITH[op](dec.parse(a.const), dec.parse(b.const))  # what Python computes
            return self.const(r) if r is not None else error_value(NUMBER_K)
        own_err = None
        if op == "/":
            if b.is_const and b.err is None and dec.parse(b.const) == 0:
                return error_value(NUMBER_K)
            if not b.is_const:
                own_err = self.is_zero(b)
        err = any_error(err, own_err)
        nullable = op == "/" and own_err is not None
        if self.exact:
            left, right = self._zeroed(a), self._zeroed(b)
            if op == "/":
                left = left * literal_column(_DIV_GUARD, Numeric)
                if own_err is not None:
                    right = func.nullif(right, 0)
            expr = {"+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv}[op](
                type_coerce(left, Numeric(asdecimal=True)), type_coerce(right, Numeric(asdecimal=True))
            )
            rounded = self._round_sig(expr)
            if op in ("*", "/"):  # as operators.mul and div do
                rounded = self._settle(rounded)
            return SqlValue(rounded, NUMBER_K, nullable, err)
        # one jimu_chain call for a whole left-nested chain (a + b - c * d...): flat for SQLite's parser
        chain = (a.chain if a.chain is not None else (self._operand(a),)) + (literal_column(f"'{op}'"),
                                                                              self._operand(b))
        return SqlValue(func.jimu_chain(*chain), NUMBER_K, nullable, err, chain=chain)

    def negate(self, a: SqlValue) -> SqlValue:
        if a.is_const and a.err is None:
            return self.const(dec.neg(dec.parse(a.const)))  # negating a Decimal cannot fail
        if self.exact:
            return SqlValue(self._round_sig(-self._zeroed(a)), NUMBER_K, False, a.err)
        return SqlValue(func.jimu_neg(self._operand(a)), NUMBER_K, False, a.err)

    def same_shape(self, values: list[SqlValue]) -> list[SqlValue]:
        """Numbers that go into one column (IF's branches) in one shape: one scale when the
        non-constant ones share it (constants are rescaled when they fit), else decimal text."""
        nums = [v for v in values if v.kind == NUMBER_K]
        if self.exact or len({v.scale for v in nums}) <= 1:
            return values
        scales = {v.scale for v in nums if not v.is_const}
        if len(scales) == 1 and None not in scales:
            (scale,) = scales
            moved = [v if v.kind != NUMBER_K or not v.is_const else self._const_at(dec.parse(v.const), scale)
                     for v in values]
            if all(m is not None for m in moved):
                return moved  # type: ignore[return-value]
        return [self._as_text(v) if v.kind == NUMBER_K else v for v in values]

    def _const_at(self, d: Decimal, scale: int) -> SqlValue | None:
        n = shift(d, scale)
        if n != n.to_integral_value() or not INT64_MIN <= int(n) <= INT64_MAX:
            return None
        return SqlValue(literal(int(n), BigInteger), NUMBER_K, False, scale=scale, const=d)

    def _as_text(self, v: SqlValue) -> SqlValue:
        if v.scale is None:
            return v
        expr = v.expr if v.scale == 0 else func.jimu_num(v.expr, v.scale)  # jimu_* take ints as they are
        return SqlValue(expr, NUMBER_K, v.nullable, v.err, None, v.const)

    def round_to(self, v: SqlValue, places: int, toward_zero: bool = False) -> SqlValue:
        """ROUND (half away from zero) or TRUNC (toward zero) to ``places`` decimals (negative: tens,
        hundreds...), as the library's round_to: clamped to +-1000 places, then 28 digits."""
        places = max(-1000, min(1000, places))
        if self.exact:
            fn = func.trunc if toward_zero else func.round
            return SqlValue(self._round_sig(fn(self._zeroed(v), places)), NUMBER_K, False, v.err)
        fn = func.jimu_trunc if toward_zero else func.jimu_round
        return SqlValue(fn(self._operand(v), places), NUMBER_K, False, v.err)

    def floor(self, v: SqlValue) -> SqlValue:
        if self.exact:
            return SqlValue(func.floor(self._zeroed(v)), NUMBER_K, False, v.err)
        return SqlValue(func.jimu_int(self._operand(v)), NUMBER_K, False, v.err)

    def absolute(self, v: SqlValue) -> SqlValue:
        if self.exact:
            return SqlValue(func.abs(self._zeroed(v)), NUMBER_K, False, v.err)
        return SqlValue(func.jimu_abs(self._operand(v)), NUMBER_K, False, v.err)

    def is_zero(self, v: SqlValue) -> ColumnElement:
        """TRUE where the value is 0 or blank; never NULL."""
        if v.is_const:
            return true() if dec.parse(v.const) == 0 else false()
        if self.exact or v.scale is not None:
            return self._zeroed(v) == 0
        return func.jimu_cmp(v.expr, 0) == 0

    def to_text(self, v: SqlValue) -> ColumnElement:
        """number_to_text of the value; NULL for blank."""
        if self.exact:
            # number_to_text normalizes in values.DECIMAL_CONTEXT: 28 digits, half away from zero
            return cast(func.trim_scale(self._round_sig(v.expr, half_even=False)), String)
        return func.jimu_text(self._operand(v))

    # ---- comparison -----------------------------------------------------------------------
    def compare(self, op: str, a: SqlValue, b: SqlValue) -> ColumnElement:
        """a OP b with blank as 0: a condition that is never NULL (errors are the caller's)."""
        if a.is_const and b.is_const:
            return true() if CMP_OPS[op](dec.parse(a.const), dec.parse(b.const)) else false()
        if a.is_const:
            return self._against_const(FLIPPED[op], b, dec.parse(a.const))
        if b.is_const:
            return self._against_const(op, a, dec.parse(b.const))
        if self.exact or (a.scale is not None and a.scale == b.scale):
            return sql_compare(op, self._zeroed(a), self._zeroed(b))
        return sql_compare(op, func.jimu_cmp(self._operand(a), self._operand(b)), 0)

    def _against_const(self, op: str, a: SqlValue, c: Decimal) -> ColumnElement:
        if self.exact:
            core = sql_compare(op, a.expr, literal(c, Numeric(asdecimal=True)))
        elif a.scale is None:
            return sql_compare(op, func.jimu_cmp(a.expr, str(c)), 0)  # blank is 0 inside jimu_cmp
        else:
            core = self._scaled_against_const(op, a.expr, a.scale, c)
            if core is None:
                return sql_compare(op, func.jimu_cmp(self._operand(a), str(c)), 0)
        if not a.nullable:
            return core
        if CMP_OPS[op](ZERO, c):  # a blank row: Python compares 0 with c
            return or_(a.expr.is_(None), core)
        return and_(a.expr.is_not(None), core)

    @staticmethod
    def _scaled_against_const(op: str, col, scale: int, c: Decimal) -> ColumnElement | None:
        """col holds value x 10**scale, so only multiples of 10**-scale occur: a constant between
        two of them turns into a bound on the integers. None when the bound leaves int64."""
        q = shift(c, scale)
        if q == q.to_integral_value():
            k = int(q)
        else:
            k = int(q.to_integral_value(ROUND_FLOOR))
            if op in (">", ">="):
                k, op = int(q.to_integral_value(ROUND_CEILING)), ">="
            elif op in ("<", "<="):
                op = "<="
            else:
                return false() if op == "=" else true()
        if not INT64_MIN <= k <= INT64_MAX:
            return None
        return sql_compare(op, col, literal(k, BigInteger))


def _tables(x: ColumnElement) -> list:
    return list(x._from_objects)


def _correlated(x: ColumnElement) -> ColumnElement:
    """x with its subqueries (a resolver's relation paths) correlated explicitly. Inside a derived
    table SQLAlchemy only auto-correlates to that table's own FROM, which here is empty, so a
    correlated subquery would silently pull the outer table in again; explicit correlation reaches
    every enclosing query."""

    def explicit(element):
        if isinstance(element, Select):
            return element.correlate_except(None)
        return None

    return visitors.replacement_traverse(x, {}, explicit)


def shift(d: Decimal, places: int) -> Decimal:
    """d x 10**places, exactly (scaleb would round to the context's precision)."""
    sign, digits, exp = d.as_tuple()
    return Decimal((sign, digits, exp + places))
