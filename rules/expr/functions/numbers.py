"""Number arguments: Excel truncates count-like arguments to integers and rounds half away from
zero; both must stay cheap whatever size of Decimal a user types in."""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Context, Decimal
from functools import wraps
from typing import Any, Callable

from ..values import DECIMAL_CONTEXT, ExcelError, to_decimal, to_number

# Rounding happens on the exact value before the 28-digit context applies, so it gets room.
WIDE_CONTEXT = Context(prec=2000, rounding=ROUND_HALF_UP, Emax=999999, Emin=-999999)
_ONE = Decimal(1)
_INT_LIMIT = 10**15  # beyond any count, length or position a formula can mean


def number(v: Any) -> Decimal | ExcelError:
    """``to_number`` that also takes Python ints and floats (JSON data of unknown shape)."""
    t = type(v)
    if t is float or t is int:
        return to_decimal(v)
    return to_number(v)


def as_int(d: Decimal) -> int:
    """Truncated toward zero, clamped to +-10**15 so no argument builds a huge Python int."""
    if d.is_nan():
        return 0
    if not d.is_finite() or d.adjusted() >= 15:
        return _INT_LIMIT if d > 0 else -_INT_LIMIT
    return int(d)


def int_arg(v: Any) -> int | ExcelError:
    n = number(v)
    if type(n) is ExcelError:
        return n
    return as_int(n)


_QUANTA = {p: Decimal((0, (1,), -p)) for p in range(-30, 31)}  # built once: rounding is on hot paths


def round_to(d: Decimal, places: int, rounding: str = ROUND_HALF_UP) -> Decimal:
    """``d`` rounded to ``places`` decimals (negative: tens, hundreds...), result in 28 digits."""
    places = max(-1000, min(1000, places))
    exponent = d.as_tuple().exponent
    if type(exponent) is int and exponent >= -places:  # already that coarse: nothing to round
        return d
    quantum = _QUANTA.get(places)
    q = d.quantize(quantum if quantum is not None else Decimal((0, (1,), -places)), rounding=rounding,
                   context=WIDE_CONTEXT)
    if places < 0:  # 1.2E+3 -> 1200: the plain form other layers print
        q = q.quantize(_ONE, context=WIDE_CONTEXT)
    if not q:
        return q.copy_abs()  # ROUND(-0.4, 0) is 0, not -0
    # more than 28 significant digits only when the integer part alone is that long
    return DECIMAL_CONTEXT.plus(q) if q.adjusted() >= DECIMAL_CONTEXT.prec - max(places, 0) else q


def numeric(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Coerce every argument the way arithmetic does ("12" is 12, TRUE 1, blank 0) before ``fn`` runs;
    the first argument that is no number is the result."""

    @wraps(fn)
    def run(*args: Any) -> Any:
        nums = []
        for a in args:
            n = number(a)
            if type(n) is ExcelError:
                return n
            nums.append(n)
        return fn(*nums)

    return run
