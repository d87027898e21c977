import math
import time
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rules.expr.types import MONEY, NUMBER, PERCENT
from rules.expr.values import DIV0, NUM, VALUE

from .conftest import D

decimals = st.decimals(min_value=-10**9, max_value=10**9, places=6, allow_nan=False, allow_infinity=False)
digits = st.integers(min_value=-6, max_value=6)


def _reference_round(x: Decimal, d: int, mode: str) -> Fraction:
    """Independent of the decimal module's rounding: exact fractions and floor."""
    scaled = Fraction(x) * Fraction(10) ** d
    sign = -1 if scaled < 0 else 1
    a = abs(scaled)
    if mode == "half_away":
        n = math.floor(a + Fraction(1, 2))
    elif mode == "away":
        n = math.ceil(a)
    else:
        n = math.floor(a)
    return sign * n / Fraction(10) ** d


# --- rounding -------------------------------------------------------------------------------------

def test_round_half_away_from_zero(call):
    assert call("ROUND", D("2.5")) == 3
    assert call("ROUND", D("-2.5")) == -3
    assert call("ROUND", D("2.15"), D(1)) == D("2.2")
    assert call("ROUND", D("1.005"), D(2)) == D("1.01")  # exact decimals: no binary surprise


def test_round_negative_digits(call):
    assert call("ROUND", D("1234.567"), D(-2)) == 1200
    assert call("ROUND", D("-1250"), D(-2)) == -1300
    assert call("ROUND", D("499"), D(-3)) == 0
    assert str(call("ROUND", D("1234.567"), D(-2))) == "1200"  # plain form, not 1.2E+3


def test_round_coerces_its_arguments(call):
    assert call("ROUND", "2.5") == 3
    assert call("ROUND", None) == 0
    assert call("ROUND", True) == 1
    assert call("ROUND", "abc") is VALUE
    assert call("ROUND", D("3.14159"), D("2.9")) == D("3.14")  # digits truncated


def test_round_of_an_error_is_the_error(call):
    assert call("ROUND", DIV0, D(2)) is DIV0


def test_roundup_rounddown(call):
    assert call("ROUNDUP", D("3.2"), D(0)) == 4
    assert call("ROUNDUP", D("-3.2"), D(0)) == -4
    assert call("ROUNDUP", D("31415.92654"), D(-2)) == 31500
    assert call("ROUNDDOWN", D("3.9"), D(0)) == 3
    assert call("ROUNDDOWN", D("-3.14159"), D(1)) == D("-3.1")
    assert call("ROUNDDOWN", D("31415.92654"), D(-2)) == 31400


@settings(max_examples=200, deadline=None)
@given(decimals, digits)
def test_rounding_matches_exact_arithmetic(x, d):
    from .conftest import Caller

    call = Caller()
    assert call("ROUND", x, D(d)) == _reference_round(x, d, "half_away")
    assert call("ROUNDUP", x, D(d)) == _reference_round(x, d, "away")
    assert call("ROUNDDOWN", x, D(d)) == _reference_round(x, d, "toward")


def test_round_of_a_huge_number_stays_a_number(call):
    big = Decimal("1E+40")
    assert call("ROUND", big, D(2)) == big
    assert call("ROUND", D("1.5"), D(10**20)) == D("1.5")


def test_round_keeps_the_numeric_kind():
    from rules.expr.functions import standard_registry

    spec = standard_registry().get("ROUND")
    assert spec.return_type([MONEY, NUMBER]) == MONEY
    assert spec.return_type([PERCENT]) == PERCENT


# --- integer parts ----------------------------------------------------------------------------------

def test_int_floors(call):
    assert call("INT", D("8.9")) == 8
    assert call("INT", D("-8.9")) == -9
    assert call("INT", D("-8")) == -8


def test_trunc_goes_toward_zero(call):
    assert call("TRUNC", D("8.9")) == 8
    assert call("TRUNC", D("-8.9")) == -8
    assert call("TRUNC", D("8.96"), D(1)) == D("8.9")


def test_mod_takes_the_divisors_sign(call):
    assert call("MOD", D(3), D(2)) == 1
    assert call("MOD", D(-3), D(2)) == 1
    assert call("MOD", D(3), D(-2)) == -1
    assert call("MOD", D(-3), D(-2)) == -1
    assert call("MOD", D("5.5"), D(2)) == D("1.5")


def test_mod_by_zero(call):
    assert call("MOD", D(5), D(0)) is DIV0
    assert call("MOD", D(5), None) is DIV0


@settings(max_examples=200, deadline=None)
@given(decimals, decimals.filter(lambda v: v != 0))
def test_mod_identity(n, d):
    from .conftest import Caller

    call = Caller()
    m = call("MOD", n, d)
    assert Fraction(m) == Fraction(n) - Fraction(d) * math.floor(Fraction(n) / Fraction(d))


def test_quotient(call):
    assert call("QUOTIENT", D(-10), D(3)) == -3
    assert call("QUOTIENT", D(1), D(0)) is DIV0


def test_abs_sign(call):
    assert call("ABS", D(-4)) == 4
    assert call("SIGN", D(10)) == 1
    assert call("SIGN", D(0)) == 0
    assert call("SIGN", D("-0.00001")) == -1


# --- CEILING / FLOOR ----------------------------------------------------------------------------------

@pytest.mark.parametrize("n, sig, expected", [
    ("2.5", "1", "3"), ("-2.5", "-2", "-4"), ("-2.5", "2", "-2"), ("1.5", "0.1", "1.5"),
    ("0.234", "0.01", "0.24"), ("4.42", "0.05", "4.45"), ("6", "3", "6"), ("5", "0", "0"),
])
def test_ceiling(call, n, sig, expected):
    assert call("CEILING", D(n), D(sig)) == D(expected)


def test_ceiling_positive_number_negative_significance(call):
    assert call("CEILING", D("2.5"), D(-2)) is NUM


def test_ceiling_default_significance(call):
    assert call("CEILING", D("4.1")) == 5


@pytest.mark.parametrize("n, sig, expected", [
    ("3.7", "2", "2"), ("-2.5", "-2", "-2"), ("-2.5", "2", "-4"), ("1.58", "0.1", "1.5"),
    ("0.234", "0.01", "0.23"), ("6", "3", "6"),
])
def test_floor(call, n, sig, expected):
    assert call("FLOOR", D(n), D(sig)) == D(expected)


def test_floor_errors(call):
    assert call("FLOOR", D("2.5"), D(-2)) is NUM
    assert call("FLOOR", D("2.5"), D(0)) is DIV0


def test_mround(call):
    assert call("MROUND", D(10), D(3)) == 9
    assert call("MROUND", D("1.3"), D("0.2")) == D("1.4")
    assert call("MROUND", D(5), D(-2)) is NUM


# --- powers and logarithms -------------------------------------------------------------------------------

def test_power(call):
    assert call("POWER", D(5), D(2)) == 25
    assert call("POWER", D(4), D("0.5")) == 2
    assert call("POWER", D(-2), D(3)) == -8
    assert call("POWER", D(2), D(-1)) == D("0.5")


def test_power_domain(call):
    assert call("POWER", D(-8), D("0.5")) is NUM
    assert call("POWER", D(0), D(0)) is NUM
    assert call("POWER", D(0), D(-1)) is DIV0


def test_power_overflow_is_num_and_fast(call):
    t = time.perf_counter()
    assert call("POWER", D(10), D(10**9)) is NUM
    assert call("POWER", D("1.0000001"), D(10**20)) is NUM
    assert call("EXP", D(10**7)) is NUM
    assert time.perf_counter() - t < 1


def test_sqrt(call):
    assert call("SQRT", D(16)) == 4
    assert call("SQRT", D(-16)) is NUM
    assert abs(call("SQRT", D(2)) ** 2 - 2) < Decimal("1E-26")


def test_ln_log_exp(call):
    assert abs(call("LN", D(86)) - D("4.454347296253507")) < Decimal("1E-15")
    assert call("LN", D(0)) is NUM
    assert call("LN", D(-1)) is NUM
    assert call("LOG", D(10)) == 1
    assert call("LOG", D(1000)) == 3  # base 10 by default
    assert call("LOG", D(8), D(2)) == 3
    assert call("LOG", D(0)) is NUM
    assert call("LOG", D(10), D(1)) is DIV0
    assert call("LOG", D(10), D(-2)) is NUM
    assert call("LOG10", D("0.001")) == -3
    assert str(call("EXP", D(1))).startswith("2.71828182845904523536028747")
    assert call("EXP", D(0)) == 1


def test_pi(call):
    assert str(call("PI")).startswith("3.14159265358979323846264338")


def test_results_are_decimals(call):
    for name, args in [("ROUND", (D("2.5"),)), ("INT", (D("2.5"),)), ("MOD", (D(7), D(2))),
                       ("SIGN", (D(-3),)), ("POWER", (D(2), D(10))), ("LOG", (D(100),))]:
        assert type(call(name, *args)) is Decimal, name
