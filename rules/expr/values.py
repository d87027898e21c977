"""Runtime values of the expression language and the coercions every operator and function shares.

Value model (kept to plain Python objects so compiled code stays fast):
- blank: ``None``
- number: ``decimal.Decimal`` (never float, never int in results)
- text: ``str``; boolean: ``bool``
- date: ``datetime.date``; datetime: naive ``datetime.datetime`` in the evaluation context's zone;
  time of day: ``datetime.time``
- error value: an ``ExcelError`` singleton (``DIV0``, ``VALUE`` ...); errors are values, not exceptions
- list (a sub-table column): ``tuple`` of values
- record (a related record): a ``Mapping`` from field name to value
"""
from __future__ import annotations

import datetime as _dt
from decimal import ROUND_HALF_UP, Context, Decimal, InvalidOperation
from typing import Any, Mapping

# 28 significant digits, as the language promises; rounding half away from zero when a value is stored.
DECIMAL_CONTEXT = Context(prec=28, rounding=ROUND_HALF_UP)
MAX_TEXT_LENGTH = 32767  # Excel's cell limit; REPT and & refuse to build longer text
MAX_EXPONENT = 308  # numbers read from text stay within Excel's range (about 1E308)
ZERO = Decimal(0)
ONE = Decimal(1)
# Products and quotients settle on a short number they are within 20 significant digits of (see settle)
SETTLE_DIGITS = 20
SHORT_DIGITS = 15  # Excel's precision: what a person reads as "a number"
settle_round = Context(prec=SETTLE_DIGITS).plus  # half to even, as the 28-digit arithmetic rounds
_short_round = Context(prec=SHORT_DIGITS).plus


class ExcelError:
    """An error value (``#DIV/0!``); compared by identity, immutable, printable as Excel shows it."""

    __slots__ = ("code",)

    def __init__(self, code: str) -> None:
        object.__setattr__(self, "code", code)

    def __setattr__(self, name: str, value: Any) -> None:  # pragma: no cover - guard
        raise AttributeError("ExcelError is immutable")

    def __repr__(self) -> str:
        return self.code

    __str__ = __repr__


DIV0 = ExcelError("#DIV/0!")
VALUE = ExcelError("#VALUE!")
NUM = ExcelError("#NUM!")
NA = ExcelError("#N/A")
NAME = ExcelError("#NAME?")
REF = ExcelError("#REF!")
ERRORS_BY_CODE = {e.code: e for e in (DIV0, VALUE, NUM, NA, NAME, REF)}


def is_error(v: Any) -> bool:
    return type(v) is ExcelError


def is_number(v: Any) -> bool:
    return type(v) is Decimal


def to_decimal(v: int | float | str | Decimal) -> Decimal:
    """A Python number or numeric text as an exact Decimal (floats through their shortest repr)."""
    if type(v) is Decimal:
        return v
    if isinstance(v, float):
        return Decimal(repr(v))
    return Decimal(v)


def settle(r: Decimal) -> Decimal:
    """A product or quotient as a person expects it: when rounding it to 20 significant digits gives
    a number of at most 15 digits, that number. Repeating decimals cannot be held exactly, so
    99486/86400*24 (a 27 h 38 min 06 s difference in hours) would otherwise be 27.63499999... and
    round to 27.63, and (1/3)*3 would be 0.999...; the 8 digits between 20 and 28 absorb the error of
    such a chain, and no value of up to 15 digits (money, quantities, rates) is ever changed."""
    s = settle_round(r)
    if s == r:
        return r
    return s if _short_round(s) == s else r


def text_to_number(s: str) -> Decimal | None:
    """Text that reads as a number (``"1,234.5"``, ``" 12 "``, ``"50%"``), else None."""
    t = s.strip().replace(",", "")
    if not t:
        return None
    pct = t.endswith("%")
    if pct:
        t = t[:-1]
    try:
        d = Decimal(t)
    except InvalidOperation:
        return None
    if not d.is_finite() or (d and abs(d.adjusted()) > MAX_EXPONENT):
        return None  # "1e999999999" is no number a formula should have to carry
    return d / 100 if pct else d


def to_number(v: Any) -> Decimal | ExcelError:
    """Excel's coercion for arithmetic: blank 0, booleans 1/0, numeric text parsed, else #VALUE!."""
    t = type(v)
    if t is Decimal:
        return v
    if v is None:
        return ZERO
    if t is bool:
        return ONE if v else ZERO
    if t is ExcelError:
        return v
    if t is str:
        n = text_to_number(v)
        return VALUE if n is None else n
    if t is int:
        return Decimal(v)
    return VALUE


def number_to_text(d: Decimal) -> str:
    """Shortest exact form: 1.50 -> '1.5', 100 -> '100', -0 -> '0'. Beyond 1E±30 the exponent form
    ('1.5E+40'), so a huge number never turns into a huge string."""
    if d == 0:
        return "0"
    if not d.is_finite() or abs(d.adjusted()) > DECIMAL_CONTEXT.Emax:
        return str(d)
    n = d.normalize(DECIMAL_CONTEXT)
    return format(n, "f") if -30 <= n.adjusted() <= 30 else str(n)


def to_text(v: Any) -> str | ExcelError:
    """Excel's coercion for text functions and ``&``."""
    t = type(v)
    if t is str:
        return v
    if v is None:
        return ""
    if t is Decimal:
        return number_to_text(v)
    if t is bool:
        return "TRUE" if v else "FALSE"
    if t is ExcelError:
        return v
    if t is _dt.date:
        return v.isoformat()
    if t is _dt.datetime:
        return v.isoformat(sep=" ", timespec="seconds")
    if t is _dt.time:
        return v.isoformat(timespec="seconds")
    return VALUE


def to_bool(v: Any) -> bool | ExcelError:
    """Excel's coercion for logical arguments: numbers act as logicals, "TRUE"/"FALSE" text too."""
    t = type(v)
    if t is bool:
        return v
    if v is None:
        return False
    if t is Decimal:
        return v != 0
    if t is ExcelError:
        return v
    if t is str:
        u = v.strip().upper()
        if u == "TRUE":
            return True
        if u == "FALSE":
            return False
        return VALUE
    return VALUE


def fold_text(s: str) -> str:
    """The case folding used by ``=`` on text; the SQL backend must fold the same way."""
    return s.lower()


_KIND_ORDER = {Decimal: 0, _dt.date: 0, _dt.datetime: 0, _dt.time: 0, str: 1, bool: 2}


def compare(a: Any, b: Any) -> int | ExcelError:
    """Excel's ordering: -1, 0 or 1. Blank takes the other side's kind (0, "" or FALSE); across kinds
    numbers < text < logicals; text compares ignoring case. Dates compare with dates, a date and a
    datetime by their instants (a date is its midnight)."""
    if type(a) is ExcelError:
        return a
    if type(b) is ExcelError:
        return b
    if a is None:
        a = _blank_like(b)
    if b is None:
        b = _blank_like(a)
    ta, tb = type(a), type(b)
    if ta is str and tb is str:
        a, b = fold_text(a), fold_text(b)
    elif ta in (_dt.date, _dt.datetime) and tb in (_dt.date, _dt.datetime) and ta is not tb:
        a, b = _as_datetime(a), _as_datetime(b)
    elif ta is not tb:
        ka, kb = _KIND_ORDER.get(ta), _KIND_ORDER.get(tb)
        if ka is None or kb is None:
            return VALUE
        if ka != kb:
            return -1 if ka < kb else 1
        return VALUE  # number against date: not comparable
    elif ta not in _KIND_ORDER:
        return VALUE  # lists, records: no order
    return (a > b) - (a < b)


def _blank_like(other: Any) -> Any:
    t = type(other)
    if t is str:
        return ""
    if t is bool:
        return False
    if other is None:
        return ZERO
    if t in (_dt.date, _dt.datetime, _dt.time):
        return _MIN_OF[t]  # blank sorts before every date, as Excel's 0 does
    return ZERO


_MIN_OF = {_dt.date: _dt.date.min, _dt.datetime: _dt.datetime.min, _dt.time: _dt.time.min}


def _as_datetime(v: _dt.date | _dt.datetime) -> _dt.datetime:
    return v if type(v) is _dt.datetime else _dt.datetime(v.year, v.month, v.day)


def values_equal(a: Any, b: Any) -> bool | ExcelError:
    """``=``: blank equals 0, "" and FALSE; text ignores case; different kinds are not equal."""
    if type(a) is ExcelError:
        return a
    if type(b) is ExcelError:
        return b
    if a is None or b is None:
        other = b if a is None else a
        return other is None or other == "" or other is False or (type(other) is Decimal and other == 0)
    ta, tb = type(a), type(b)
    if ta is str and tb is str:
        return fold_text(a) == fold_text(b)
    if ta is tb:
        return a == b
    if {ta, tb} <= {_dt.date, _dt.datetime}:
        return _as_datetime(a) == _as_datetime(b)
    return False


def flatten(args: tuple) -> list:
    """Arguments of an aggregate with lists spread out (``SUM(lines.subtotal, 5)``)."""
    out: list = []
    for a in args:
        if type(a) in (tuple, list):
            out.extend(a)
        else:
            out.append(a)
    return out


Record = Mapping[str, Any]
