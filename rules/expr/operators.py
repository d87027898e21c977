"""The operators' full semantics, for every operand the compiled fast paths do not handle themselves
(blanks, booleans, text, dates, errors). Errors are values: the left operand's error wins.

Guards keep every operator cheap whatever the input: ``^`` estimates the size of its result before
computing it, ``&`` refuses to build text longer than MAX_TEXT_LENGTH, date shifts stay in range.
"""
from __future__ import annotations

import datetime as _dt
import math
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Mapping

from .values import (
    DECIMAL_CONTEXT,
    DIV0,
    MAX_TEXT_LENGTH,
    NUM,
    ONE,
    VALUE,
    ZERO,
    ExcelError,
    compare,
    settle,
    to_bool,
    to_number,
    to_text,
    values_equal,
)

_DATE, _DATETIME, _TIME = _dt.date, _dt.datetime, _dt.time
_TEMPORAL = (_DATE, _DATETIME, _TIME)
_HUNDRED = Decimal(100)
_DAY_US = Decimal(86_400_000_000)  # microseconds in a day
_MAX_SHIFT_DAYS = 3_700_000  # more than the whole span of datetime.date
_MAX_POWER_EXPONENT = 308  # Excel's largest number is about 1E308; beyond, ^ gives #NUM!
_LISTS = (tuple, list)


def neg(a: Any) -> Any:
    n = to_number(a)
    return n if type(n) is ExcelError else -n


def pos(a: Any) -> Any:
    return a


def pct(a: Any) -> Any:
    n = to_number(a)
    return n if type(n) is ExcelError else n / _HUNDRED


def add(a: Any, b: Any) -> Any:
    ta, tb = type(a), type(b)
    if ta is ExcelError:
        return a
    if tb is ExcelError:
        return b
    if ta in _TEMPORAL:
        if tb in _TEMPORAL:
            return VALUE
        return _shift(a, to_number(b))
    if tb in _TEMPORAL:
        return _shift(b, to_number(a))
    x, y = to_number(a), to_number(b)
    if type(x) is ExcelError:
        return x
    if type(y) is ExcelError:
        return y
    return x + y


def sub(a: Any, b: Any) -> Any:
    ta, tb = type(a), type(b)
    if ta is ExcelError:
        return a
    if tb is ExcelError:
        return b
    if ta in _TEMPORAL:
        if tb in _TEMPORAL:
            return _between(a, b)
        n = to_number(b)
        return n if type(n) is ExcelError else _shift(a, -n)
    if tb in _TEMPORAL:
        return VALUE  # a number minus a date means nothing
    x, y = to_number(a), to_number(b)
    if type(x) is ExcelError:
        return x
    if type(y) is ExcelError:
        return y
    return x - y


def mul(a: Any, b: Any) -> Any:
    x, y = to_number(a), to_number(b)
    if type(x) is ExcelError:
        return x
    if type(y) is ExcelError:
        return y
    return settle(x * y)


def div(a: Any, b: Any) -> Any:
    x, y = to_number(a), to_number(b)
    if type(x) is ExcelError:
        return x
    if type(y) is ExcelError:
        return y
    if not y:
        return DIV0
    return settle(x / y)


def power(a: Any, b: Any) -> Any:
    """``^`` with its size checked first: 9^(9^9) is #NUM! at once, never a long computation."""
    x, y = to_number(a), to_number(b)
    if type(x) is ExcelError:
        return x
    if type(y) is ExcelError:
        return y
    integral = y == y.to_integral_value()
    if x == 0:
        if y < 0:
            return DIV0
        return NUM if y == 0 else ZERO  # Excel: 0^0 is #NUM!
    if x < 0 and not integral:
        return NUM  # no real root
    if abs(x) == 1:  # the size estimate below would be 0 * inf for a huge exponent
        return -ONE if x < 0 and _odd(y) else ONE
    magnitude = float(y) * math.log10(abs(float(x))) if abs(x.adjusted()) < 300 else None
    if magnitude is None:  # x itself is near the edge of float: reason with its decimal exponent
        magnitude = float(y) * (x.adjusted() + 0.5)
    if magnitude > _MAX_POWER_EXPONENT:
        return NUM
    if magnitude < -_MAX_POWER_EXPONENT:
        return ZERO
    try:
        return DECIMAL_CONTEXT.power(x, y)
    except ArithmeticError:
        return NUM


def _odd(y: Decimal) -> bool:
    """Parity of an integral Decimal of any size (``y % 2`` fails beyond 28 digits)."""
    _, digits, exp = y.as_tuple()
    units = len(digits) - 1 + exp  # index of the units digit
    return exp <= 0 and units >= 0 and digits[units] % 2 == 1


def concat(a: Any, b: Any) -> Any:
    x = to_text(a)
    if type(x) is ExcelError:
        return x
    y = to_text(b)
    if type(y) is ExcelError:
        return y
    if len(x) + len(y) > MAX_TEXT_LENGTH:
        return VALUE
    return x + y


def eq(a: Any, b: Any) -> Any:
    return values_equal(a, b)


def ne(a: Any, b: Any) -> Any:
    r = values_equal(a, b)
    return r if type(r) is ExcelError else not r


def lt(a: Any, b: Any) -> Any:
    c = compare(a, b)
    return c if type(c) is ExcelError else c < 0


def le(a: Any, b: Any) -> Any:
    c = compare(a, b)
    return c if type(c) is ExcelError else c <= 0


def gt(a: Any, b: Any) -> Any:
    c = compare(a, b)
    return c if type(c) is ExcelError else c > 0


def ge(a: Any, b: Any) -> Any:
    c = compare(a, b)
    return c if type(c) is ExcelError else c >= 0


BINARY = {"+": add, "-": sub, "*": mul, "/": div, "^": power, "&": concat,
          "=": eq, "<>": ne, "<": lt, "<=": le, ">": gt, ">=": ge}
UNARY = {"-": neg, "+": pos, "%": pct}


def condition(v: Any) -> Any:
    """IF's reading of its condition: a logical, or the error that prevents one."""
    return to_bool(v)


# --- dates ------------------------------------------------------------------------------------------

def _shift(d: Any, n: Any) -> Any:
    """date ± n days (a fraction of a day turns a date into a date-time), datetime ± n days, time ± n
    days (wrapping round the clock)."""
    if type(n) is ExcelError:
        return n
    if abs(n) > _MAX_SHIFT_DAYS:
        return NUM
    try:
        if type(d) is _DATE and n == n.to_integral_value():
            return d + _dt.timedelta(days=int(n))
        us = int((n * _DAY_US).to_integral_value(ROUND_HALF_UP))
        if type(d) is _TIME:
            base = _dt.datetime.combine(_DATE(2000, 1, 1), d)
            return (base + _dt.timedelta(microseconds=us)).time()
        if type(d) is _DATE:
            d = _dt.datetime(d.year, d.month, d.day)
        return d + _dt.timedelta(microseconds=us)
    except (OverflowError, ValueError):
        return NUM


def _between(a: Any, b: Any) -> Any:
    """The number of days from b to a (a fraction when times of day are involved)."""
    ta, tb = type(a), type(b)
    if ta is _DATE and tb is _DATE:
        return Decimal((a - b).days)
    if ta is _TIME or tb is _TIME:
        if ta is not tb:
            return VALUE
        a = _dt.datetime.combine(_DATE(2000, 1, 1), a)
        b = _dt.datetime.combine(_DATE(2000, 1, 1), b)
    else:
        if ta is _DATE:
            a = _dt.datetime(a.year, a.month, a.day)
        if tb is _DATE:
            b = _dt.datetime(b.year, b.month, b.day)
    delta = a - b
    if not delta.seconds and not delta.microseconds:
        return Decimal(delta.days)
    us = (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds
    return DECIMAL_CONTEXT.divide(Decimal(us), _DAY_US)


# --- paths ------------------------------------------------------------------------------------------

def step(v: Any, name: str) -> Any:
    """One step of a path at run time: through a missing relation blank, into a list over its items.
    Records are Mappings read with ``get``; nothing else is ever looked into."""
    if type(v) is dict:
        return v.get(name)
    if v is None:
        return None
    if isinstance(v, Mapping):
        return v.get(name)
    if type(v) in _LISTS:
        return column(v, name)
    if type(v) is ExcelError:
        return v
    return VALUE


def column(rows: Any, name: str) -> tuple:
    """``lines.subtotal``: the field of every item of a list (lists inside are spread out)."""
    if type(rows) not in _LISTS:
        return list_path(rows, (name,))
    out = [item.get(name) if type(item) is dict else step(item, name) for item in rows]
    for x in out:
        if type(x) in _LISTS:
            spread: list = []
            for y in out:
                if type(y) in _LISTS:
                    spread.extend(y)
                else:
                    spread.append(y)
            return tuple(spread)
    return tuple(out)


def list_path(v: Any, names: tuple[str, ...]) -> tuple:
    """A path that runs through a sub-table: always a tuple (empty when the relation is missing)."""
    for name in names:
        v = step(v, name)
    if v is None:
        return ()
    if type(v) in _LISTS:
        return tuple(v)
    return (v,)
