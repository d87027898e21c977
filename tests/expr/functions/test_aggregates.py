import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rules.expr.functions import standard_registry
from rules.expr.types import DATE, MONEY, NUMBER, ListType
from rules.expr.values import DIV0, NA, NUM, VALUE

from .conftest import Caller, D

LINES = (D(5), D(11), D(20), D("10.5"), None, "n/a", True)


# --- SUM / AVERAGE / PRODUCT ------------------------------------------------------------------------

def test_sum_of_a_list(call):
    assert call("SUM", (D("1.10"), D("2.20"), D("3.30"))) == D("6.6")


def test_sum_skips_text_logicals_and_blanks_inside_lists(call):
    assert call("SUM", LINES) == D("46.5")


def test_sum_coerces_direct_arguments(call):
    assert call("SUM", "3", True, D(1)) == 5
    assert call("SUM", "abc", D(1)) is VALUE
    assert call("SUM", None, D(1)) == 1


def test_sum_mixes_lists_and_values(call):
    assert call("SUM", (D(1), D(2)), D(10), (D(3),)) == 16


def test_sum_of_an_empty_list_is_zero(call):
    assert call("SUM", ()) == 0


def test_error_inside_a_list_propagates(call):
    for name in ("SUM", "AVERAGE", "MIN", "MAX", "PRODUCT", "MEDIAN"):
        assert call(name, (D(1), DIV0, NA)) is DIV0, name


def test_sum_is_exact(call):
    assert call("SUM", (D("0.1"),) * 10) == 1


def test_average(call):
    assert call("AVERAGE", (D(10), D(7), D(9), D(27), D(2))) == 11
    assert call("AVERAGE", LINES) == D("46.5") / 4


def test_average_of_nothing_is_div0(call):
    assert call("AVERAGE", ()) is DIV0
    assert call("AVERAGE", ("a", None)) is DIV0


def test_product(call):
    assert call("PRODUCT", (D(5), D(15), D(30))) == 2250
    assert call("PRODUCT", (D(5), D(15), D(30)), D(2)) == 4500
    assert call("PRODUCT", ("x",)) == 0


# --- MIN / MAX -------------------------------------------------------------------------------------

def test_min_max(call):
    assert call("MAX", (D(10), D(7), D(9), D(27), D(2))) == 27
    assert call("MIN", (D(10), D(7), D(9), D(27), D(2))) == 2
    assert call("MAX", (D(10), D(7)), D(30)) == 30


def test_min_max_of_nothing_is_zero(call):
    assert call("MAX", ()) == 0
    assert call("MIN", ("a", None)) == 0


def test_min_max_ignore_text_in_lists_but_coerce_direct_text(call):
    assert call("MAX", (D(1), "99")) == 1
    assert call("MAX", D(1), "99") == 99
    assert call("MIN", D(1), "x") is VALUE


def test_max_of_dates_is_a_date(call):
    days = (dt.date(2026, 3, 1), None, dt.date(2026, 5, 2), dt.date(2026, 1, 9))
    assert call("MAX", days) == dt.date(2026, 5, 2)
    assert call("MIN", days) == dt.date(2026, 1, 9)
    assert call("MAX", (D(1), dt.date(2026, 1, 1))) is VALUE
    spec = standard_registry().get("MAX")
    assert spec.return_type([ListType(DATE)]) == DATE
    assert spec.return_type([ListType(MONEY)]) == MONEY


def test_sum_keeps_money_as_money():
    spec = standard_registry().get("SUM")
    assert spec.return_type([ListType(MONEY)]) == MONEY
    assert spec.return_type([ListType(MONEY), NUMBER]) == NUMBER


# --- MEDIAN / LARGE / SMALL -------------------------------------------------------------------------

def test_median(call):
    assert call("MEDIAN", (D(1), D(2), D(3), D(4), D(5))) == 3
    assert call("MEDIAN", (D(1), D(2), D(3), D(4), D(5), D(6))) == D("3.5")
    assert call("MEDIAN", ()) is NUM


def test_large_small(call):
    data = (D(3), D(5), D(3), D(5), D(4), D(4), D(2), D(4), D(6), D(7))
    assert call("LARGE", data, D(3)) == 5
    assert call("LARGE", data, D(7)) == 4
    assert call("SMALL", data, D(4)) == 4
    assert call("SMALL", data, D(1)) == 2


def test_large_k_out_of_range(call):
    assert call("LARGE", (D(1), D(2)), D(0)) is NUM
    assert call("LARGE", (D(1), D(2)), D(3)) is NUM
    assert call("SMALL", (), D(1)) is NUM


def test_large_propagates_list_errors(call):
    assert call("LARGE", (D(1), NA), D(1)) is NA


# --- COUNT / COUNTA / COUNTBLANK -----------------------------------------------------------------------

def test_count_counts_numbers_only(call):
    assert call("COUNT", (D(1), "2", True, None, DIV0, D(3), dt.date(2026, 1, 1))) == 3  # dates are numbers


def test_count_direct_arguments(call):
    assert call("COUNT", D(1), "2", "x", None) == 2
    assert call("COUNT", DIV0, D(1)) == 1  # errors are not counted, and do not stop the count


def test_counta_counts_non_blank(call):
    assert call("COUNTA", (D(1), "x", None, False, DIV0, "")) == 5
    assert call("COUNTA", None, D(0)) == 1


def test_countblank(call):
    assert call("COUNTBLANK", (D(1), None, "", " ", D(0))) == 2


# --- COUNTIF / SUMIF / AVERAGEIF ----------------------------------------------------------------------

QTY = (D(5), D(11), D(20), D(10), None, "12", "abc")


@pytest.mark.parametrize("criteria, expected", [
    (">10", 2), ("<=5", 1), (">=10", 3), ("<10", 1), ("10", 1), ("=10", 1), (D(10), 1),
    ("<>10", 6), ("12", 1), (D(12), 1),
])
def test_countif_number_criteria(call, criteria, expected):
    assert call("COUNTIF", QTY, criteria) == expected


NAMES = ("apple", "Apricot", "banana", "APPLE", "", None, D(1), "a?c", "abc")


@pytest.mark.parametrize("criteria, expected", [
    ("apple", 2), ("=apple", 2), ("<>apple", 7), ("a*", 5), ("?pple", 2), ("*an*", 1),
    ("a~?c", 1), ("a?c", 2), ("", 2), ("=", 1), ("<>", 8), ("*", 7), (">b", 1), ("<b", 6),  # "" is text too
])
def test_countif_text_criteria(call, criteria, expected):
    assert call("COUNTIF", NAMES, criteria) == expected


def test_countif_logicals_dates_and_errors(call):
    cells = (True, False, "TRUE", dt.date(2026, 1, 5), dt.date(2026, 2, 5), DIV0, NA)
    assert call("COUNTIF", cells, True) == 1
    assert call("COUNTIF", cells, "TRUE") == 1
    assert call("COUNTIF", cells, ">2026-01-31") == 1
    assert call("COUNTIF", cells, dt.date(2026, 1, 5)) == 1
    assert call("COUNTIF", cells, "#N/A") == 1


def test_countif_criterion_too_long(call):
    assert call("COUNTIF", ("a",), "a" * 256) is VALUE


def test_countif_hostile_wildcards_are_fast(call):
    import time

    text = "a" * 30000
    t = time.perf_counter()
    assert call("COUNTIF", (text,), "*a*a*a*a*a*a*a*a*a*a*b") == 0
    assert call("COUNTIF", (text + "b",), "*a*a*a*a*a*a*a*a*a*a*b") == 1
    assert time.perf_counter() - t < 1


def test_sumif_without_sum_range_sums_the_tested_range(call):
    assert call("SUMIF", (D(100), D(200), D(300), D(400)), ">160") == 900


def test_sumif_with_sum_range(call):
    kinds = ("Vegetables", "Vegetables", "Fruits", "", "Vegetables", "Fruits")
    sales = (D(2300), D(5500), D(800), D(400), D(4200), D(1200))
    assert call("SUMIF", kinds, "Fruits", sales) == 2000
    assert call("SUMIF", kinds, "vegetables", sales) == 12000
    assert call("SUMIF", kinds, "", sales) == 400
    assert call("SUMIF", kinds, "Meat", sales) == 0


def test_sumif_skips_text_and_propagates_errors_of_matched_rows(call):
    assert call("SUMIF", ("a", "a", "b"), "a", (D(1), "x", DIV0)) == 1
    assert call("SUMIF", ("a", "a", "b"), "b", (D(1), "x", DIV0)) is DIV0


def test_sumif_error_criterion(call):
    assert call("SUMIF", (D(1),), NA) is NA


def test_averageif(call):
    assert call("AVERAGEIF", (D(100000), D(200000), D(300000), D(400000)), "<250000") == 150000
    assert call("AVERAGEIF", (D(1), D(2)), ">5") is DIV0
    assert call("AVERAGEIF", ("a", "b", "a"), "a", (D(10), D(20), D(40))) == 25


def test_ifs_family(call):
    region = ("East", "West", "East", "East")
    rep = ("Tom", "Tom", "Ann", "Tom")
    amount = (D(10), D(20), D(30), D(40))
    assert call("COUNTIFS", region, "East", rep, "Tom") == 2
    assert call("SUMIFS", amount, region, "East", rep, "Tom") == 50
    assert call("AVERAGEIFS", amount, region, "East") == D(80) / 3
    assert call("MAXIFS", amount, region, "East", rep, "Tom") == 40
    assert call("MINIFS", amount, region, "West") == 20
    assert call("MAXIFS", amount, region, "North") == 0
    assert call("AVERAGEIFS", amount, region, "North") is DIV0
    assert call("SUMIFS", amount, region, "East", ("Tom",), "Tom") is VALUE  # ranges of other lengths


def test_sumif_return_type_follows_the_summed_range():
    spec = standard_registry().get("SUMIF")
    assert spec.return_type([ListType(NUMBER), NUMBER, ListType(MONEY)]) == MONEY
    assert spec.return_type([ListType(MONEY), NUMBER]) == MONEY


@settings(max_examples=100, deadline=None)
@given(st.lists(st.one_of(st.decimals(min_value=-1000, max_value=1000, places=2),
                          st.none(), st.text(max_size=3), st.booleans()), max_size=30))
def test_sum_equals_sumif_over_everything_and_count_matches(items):
    call = Caller()
    items = tuple(items)
    numbers = [v for v in items if type(v) is Decimal]
    assert call("SUM", items) == sum(numbers, Decimal(0))
    assert call("COUNT", items) == len(numbers)
    assert call("COUNTA", items) == sum(1 for v in items if v is not None)
    assert call("SUMIF", items, ">=-1000") == sum(numbers, Decimal(0))
