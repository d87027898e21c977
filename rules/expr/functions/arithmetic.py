"""Math functions on single numbers: rounding, integer parts, powers and logarithms.

Every result is a Decimal computed in the language's 28-digit context; domain errors give #NUM!,
a zero divisor #DIV/0!."""
from __future__ import annotations

from decimal import ROUND_DOWN, ROUND_FLOOR, ROUND_HALF_UP, ROUND_UP, Context, Decimal
from typing import Any

from ..types import NUMBER
from ..values import DECIMAL_CONTEXT as CTX
from ..values import DIV0, NUM, ONE, ZERO, ExcelError
from .define import define, numeric_of, opt, req
from .numbers import WIDE_CONTEXT, as_int, number, numeric, round_to

PI = Decimal("3.141592653589793238462643383")
_LOG_CONTEXT = Context(prec=40)  # ln(8)/ln(2) is 3 once rounded back to 28 digits
_MINUS_ONE = Decimal(-1)


def _round(n: Any, digits: Any = ZERO) -> Decimal | ExcelError:
    # the commonest function of business formulas: ordinary numbers to 0..10 places take one quantize
    if type(n) is Decimal and type(digits) is Decimal:
        quantum = _ROUND_QUANTA.get(digits)
        if quantum is not None and n.is_finite() and n.adjusted() < 20:
            q = n.quantize(quantum, rounding=ROUND_HALF_UP, context=WIDE_CONTEXT)
            return q if q else q.copy_abs()  # ROUND(-0.4, 0) is 0, not -0
    if type(n) is not Decimal:
        n = number(n)
        if type(n) is ExcelError:
            return n
    if type(digits) is not Decimal:
        digits = number(digits)
        if type(digits) is ExcelError:
            return digits
    return round_to(n, as_int(digits), ROUND_HALF_UP)


_ROUND_QUANTA = {Decimal(p): Decimal(1).scaleb(-p) for p in range(0, 11)}  # digits -> quantum


@numeric
def _roundup(n: Decimal, digits: Decimal = ZERO) -> Decimal:
    return round_to(n, as_int(digits), ROUND_UP)  # away from zero


@numeric
def _rounddown(n: Decimal, digits: Decimal = ZERO) -> Decimal:
    return round_to(n, as_int(digits), ROUND_DOWN)  # toward zero


@numeric
def _int(n: Decimal) -> Decimal:
    return n if n.as_tuple().exponent >= 0 else n.to_integral_value(rounding=ROUND_FLOOR)


@numeric
def _abs(n: Decimal) -> Decimal:
    return abs(n)


@numeric
def _sign(n: Decimal) -> Decimal:
    return ZERO if n == 0 else (ONE if n > 0 else _MINUS_ONE)


def _quotient_rounded(n: Decimal, d: Decimal, toward_plus: bool) -> Decimal:
    """n / d rounded to an integer toward +inf or -inf, exactly (no 28-digit rounding of the quotient)."""
    q, r = WIDE_CONTEXT.divmod(n, d)  # q truncated toward zero, r carries n's sign
    if r:
        positive_fraction = (r > 0) == (d > 0)
        if toward_plus and positive_fraction:
            q = WIDE_CONTEXT.add(q, ONE)
        elif not toward_plus and not positive_fraction:
            q = WIDE_CONTEXT.subtract(q, ONE)
    return q


@numeric
def _mod(n: Decimal, d: Decimal) -> Decimal | ExcelError:
    if d == 0:
        return DIV0
    r = WIDE_CONTEXT.remainder(n, d)  # sign of n; Excel gives the divisor's sign
    if r and (r < 0) != (d < 0):
        r = WIDE_CONTEXT.add(r, d)
    return CTX.plus(r)


@numeric
def _quotient(n: Decimal, d: Decimal) -> Decimal | ExcelError:
    if d == 0:
        return DIV0
    return CTX.plus(WIDE_CONTEXT.divide_int(n, d))


@numeric
def _ceiling(n: Decimal, significance: Decimal = ONE) -> Decimal | ExcelError:
    # Excel: a positive number with a negative significance is #NUM!; otherwise n / significance
    # rounds toward +inf, which for two negatives means away from zero (CEILING(-2.5, -2) = -4).
    if significance == 0 or n == 0:
        return ZERO
    if n > 0 and significance < 0:
        return NUM
    return CTX.multiply(_quotient_rounded(n, significance, toward_plus=True), significance)


@numeric
def _floor(n: Decimal, significance: Decimal = ONE) -> Decimal | ExcelError:
    # Mirror of CEILING: n / significance rounds toward -inf (FLOOR(-2.5, 2) = -4, FLOOR(-2.5, -2) = -2).
    if significance == 0:
        return DIV0
    if n == 0:
        return ZERO
    if n > 0 and significance < 0:
        return NUM
    return CTX.multiply(_quotient_rounded(n, significance, toward_plus=False), significance)


@numeric
def _mround(n: Decimal, multiple: Decimal) -> Decimal | ExcelError:
    if multiple == 0:
        return ZERO
    if (n > 0 and multiple < 0) or (n < 0 and multiple > 0):
        return NUM
    q = WIDE_CONTEXT.divide(n, multiple).quantize(ONE, rounding=ROUND_HALF_UP, context=WIDE_CONTEXT)
    return CTX.multiply(q, multiple)


@numeric
def _trunc(n: Decimal, digits: Decimal = ZERO) -> Decimal:
    return round_to(n, as_int(digits), ROUND_DOWN)


@numeric
def _sqrt(n: Decimal) -> Decimal | ExcelError:
    if n < 0:
        return NUM
    return CTX.sqrt(n)


@numeric
def _power(base: Decimal, exponent: Decimal) -> Decimal | ExcelError:
    if base == 0:
        if exponent == 0:
            return NUM
        if exponent < 0:
            return DIV0
        return ZERO
    if base < 0 and exponent != exponent.to_integral_value():
        return NUM  # no real root
    r = CTX.power(base, exponent)
    return r if r.is_finite() else NUM


@numeric
def _ln(n: Decimal) -> Decimal | ExcelError:
    if n <= 0:
        return NUM
    return CTX.ln(n)


@numeric
def _log(n: Decimal, base: Decimal = Decimal(10)) -> Decimal | ExcelError:
    if n <= 0 or base <= 0:
        return NUM
    if base == 1:
        return DIV0
    if base == 10:
        return CTX.log10(n)
    return CTX.plus(_LOG_CONTEXT.divide(_LOG_CONTEXT.ln(n), _LOG_CONTEXT.ln(base)))


@numeric
def _log10(n: Decimal) -> Decimal | ExcelError:
    if n <= 0:
        return NUM
    return CTX.log10(n)


@numeric
def _exp(n: Decimal) -> Decimal | ExcelError:
    return CTX.exp(n)


def _pi() -> Decimal:
    return PI


MATH = "math"
_num = req("number", NUMBER)

SPECS = (
    define("ROUND", [_num, opt("num_digits", NUMBER)], numeric_of(0), _round,
           "按指定位数四舍五入（远离零），位数可为负",
           "Rounds half away from zero to the given digits (negative digits round left of the point)", MATH),
    define("ROUNDUP", [_num, opt("num_digits", NUMBER)], numeric_of(0), _roundup,
           "按指定位数向远离零的方向舍入", "Rounds away from zero to the given digits", MATH),
    define("ROUNDDOWN", [_num, opt("num_digits", NUMBER)], numeric_of(0), _rounddown,
           "按指定位数向零的方向舍入", "Rounds toward zero to the given digits", MATH),
    define("MROUND", [_num, req("multiple", NUMBER)], numeric_of(0), _mround,
           "四舍五入到指定基数的倍数", "Rounds to the nearest multiple", MATH),
    define("INT", [_num], NUMBER, _int,
           "向下取整到不大于它的整数（INT(-2.5) = -3）",
           "Rounds down to the nearest integer (INT(-2.5) = -3)", MATH),
    define("TRUNC", [_num, opt("num_digits", NUMBER)], numeric_of(0), _trunc,
           "截去小数部分（向零取整），可保留指定位数",
           "Truncates toward zero, optionally keeping some digits", MATH),
    define("ABS", [_num], numeric_of(0), _abs, "绝对值", "Absolute value", MATH),
    define("SIGN", [_num], NUMBER, _sign,
           "正数返回 1，负数返回 -1，零返回 0",
           "1 for a positive number, -1 for a negative one, 0 for zero", MATH),
    define("MOD", [_num, req("divisor", NUMBER)], NUMBER, _mod,
           "求余数，结果与除数同号", "Remainder of a division, with the divisor's sign", MATH),
    define("QUOTIENT", [req("numerator", NUMBER), req("denominator", NUMBER)], NUMBER, _quotient,
           "整除，返回商的整数部分", "Integer part of a division", MATH),
    define("POWER", [_num, req("power", NUMBER)], NUMBER, _power,
           "乘幂", "A number raised to a power", MATH),
    define("SQRT", [_num], NUMBER, _sqrt,
           "平方根（负数为 #NUM!）", "Square root (#NUM! for a negative)", MATH),
    define("CEILING", [_num, opt("significance", NUMBER)], numeric_of(0), _ceiling,
           "向上舍入到基数的倍数（默认 1）", "Rounds up to a multiple of the significance (default 1)", MATH),
    define("FLOOR", [_num, opt("significance", NUMBER)], numeric_of(0), _floor,
           "向下舍入到基数的倍数（默认 1）",
           "Rounds down to a multiple of the significance (default 1)", MATH),
    define("LN", [_num], NUMBER, _ln, "自然对数", "Natural logarithm", MATH),
    define("LOG", [_num, opt("base", NUMBER)], NUMBER, _log,
           "对数，底数默认为 10", "Logarithm, base 10 unless given", MATH),
    define("LOG10", [_num], NUMBER, _log10, "以 10 为底的对数", "Base-10 logarithm", MATH),
    define("EXP", [_num], NUMBER, _exp, "e 的乘幂", "e raised to a power", MATH),
    define("PI", [], NUMBER, _pi, "圆周率 π（28 位有效数字）", "The number pi (28 significant digits)", MATH),
)
