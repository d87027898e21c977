import datetime as dt
import time
from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rules.expr.values import DIV0, MAX_TEXT_LENGTH, NA, VALUE

from .conftest import Caller, D

# --- joining --------------------------------------------------------------------------------------


def test_concatenate(call):
    assert call("CONCATENATE", "合同", "-", D(12), None, True) == "合同-12TRUE"
    assert call("CONCAT", ("a", "b", None), "c") == "abc"


def test_concat_propagates_errors_inside_lists(call):
    assert call("CONCAT", ("a", DIV0)) is DIV0


def test_concat_refuses_text_over_the_limit(call):
    half = "x" * (MAX_TEXT_LENGTH // 2 + 1)
    assert call("CONCAT", half, half) is VALUE
    assert call("CONCAT", "x" * (MAX_TEXT_LENGTH - 1), "y") == "x" * (MAX_TEXT_LENGTH - 1) + "y"


def test_textjoin_ignore_empty(call):
    items = ("a", "", None, "b")
    assert call("TEXTJOIN", ", ", True, items, "c") == "a, b, c"
    assert call("TEXTJOIN", ", ", False, items, "c") == "a, , , b, c"
    assert call("TEXTJOIN", "、", D(1), ("x", "y")) == "x、y"


def test_textjoin_limit(call):
    assert call("TEXTJOIN", ",", True, ("x" * 20000, "y" * 20000)) is VALUE


# --- pieces ---------------------------------------------------------------------------------------

def test_left_right_mid(call):
    assert call("LEFT", "Sale Price", D(4)) == "Sale"
    assert call("LEFT", "Sweden") == "S"
    assert call("RIGHT", "Sale Price", D(5)) == "Price"
    assert call("RIGHT", "Stock Number") == "r"
    assert call("RIGHT", "abc", D(0)) == ""
    assert call("RIGHT", "abc", D(10)) == "abc"
    assert call("MID", "Fluid Flow", D(1), D(5)) == "Fluid"
    assert call("MID", "Fluid Flow", D(7), D(20)) == "Flow"
    assert call("MID", "Fluid Flow", D(20), D(5)) == ""
    assert call("LEFT", "北京市海淀区", D(3)) == "北京市"


def test_piece_arguments_out_of_range(call):
    assert call("LEFT", "abc", D(-1)) is VALUE
    assert call("RIGHT", "abc", D(-1)) is VALUE
    assert call("MID", "abc", D(0), D(1)) is VALUE
    assert call("MID", "abc", D(1), D(-1)) is VALUE
    assert call("LEFT", "abc", "x") is VALUE


def test_pieces_of_numbers_and_blanks(call):
    assert call("LEFT", D("123.45"), D(3)) == "123"
    assert call("LEFT", None, D(3)) == ""
    assert call("LEN", D("123.45")) == 6
    assert call("LEN", None) == 0


def test_len(call):
    assert call("LEN", "Phoenix, AZ") == 11
    assert call("LEN", "积木平台") == 4
    assert call("LEN", "") == 0


def test_case(call):
    assert call("UPPER", "total") == "TOTAL"
    assert call("LOWER", "E. E. Cummings") == "e. e. cummings"
    assert call("PROPER", "this is a TITLE") == "This Is A Title"
    assert call("PROPER", "2-way street") == "2-Way Street"
    assert call("PROPER", "76BudGet") == "76Budget"
    assert call("PROPER", "it's") == "It'S"


def test_trim_collapses_inner_spaces(call):
    assert call("TRIM", " First Quarter   Earnings ") == "First Quarter Earnings"
    assert call("TRIM", "a\tb") == "a\tb"  # only the ordinary space, as Excel


def test_substitute(call):
    assert call("SUBSTITUTE", "Sales Data", "Sales", "Cost") == "Cost Data"
    assert call("SUBSTITUTE", "Quarter 1, 2008", "1", "2", D(1)) == "Quarter 2, 2008"
    assert call("SUBSTITUTE", "Quarter 1, 2011", "1", "2", D(3)) == "Quarter 1, 2012"
    assert call("SUBSTITUTE", "aaa", "a", "b", D(9)) == "aaa"
    assert call("SUBSTITUTE", "abc", "", "x") == "abc"
    assert call("SUBSTITUTE", "Abc", "a", "x") == "Abc"  # case-sensitive
    assert call("SUBSTITUTE", "abc", "a", "x", D(0)) is VALUE


def test_substitute_cannot_blow_up(call):
    t = time.perf_counter()
    assert call("SUBSTITUTE", "a" * 30000, "a", "bbbbbbbb") is VALUE
    assert time.perf_counter() - t < 0.5


def test_replace(call):
    assert call("REPLACE", "abcdefghijk", D(6), D(5), "*") == "abcde*k"
    assert call("REPLACE", "2009", D(3), D(2), "10") == "2010"
    assert call("REPLACE", "abc", D(10), D(1), "Z") == "abcZ"
    assert call("REPLACE", "abc", D(0), D(1), "Z") is VALUE


# --- finding -------------------------------------------------------------------------------------

def test_find_is_case_sensitive(call):
    assert call("FIND", "M", "Miriam McGovern") == 1
    assert call("FIND", "m", "Miriam McGovern") == 6
    assert call("FIND", "M", "Miriam McGovern", D(3)) == 8
    assert call("FIND", "z", "Miriam") is VALUE
    assert call("FIND", "", "abc") == 1


def test_find_start_out_of_range(call):
    assert call("FIND", "a", "abc", D(0)) is VALUE
    assert call("FIND", "a", "abc", D(4)) is VALUE


def test_search_ignores_case_and_takes_wildcards(call):
    assert call("SEARCH", "e", "Statements", D(6)) == 7
    assert call("SEARCH", "MARGIN", "Profit Margin") == 8
    assert call("SEARCH", "b?d", "aBcd bxd") == 2
    assert call("SEARCH", "p*t", "Profit") == 1
    assert call("SEARCH", "r*n", "Profit Margin") == 2
    assert call("SEARCH", "~?", "why?") == 4
    assert call("SEARCH", "x", "abc") is VALUE
    assert call("SEARCH", "a*z", "abc") is VALUE


def test_search_pattern_limit(call):
    assert call("SEARCH", "a" * 256, "a" * 300) is VALUE


# --- TEXT / FIXED / VALUE ---------------------------------------------------------------------------

@pytest.mark.parametrize("value, fmt, expected", [
    (D("1234.567"), "0", "1235"),
    (D("1234.567"), "0.00", "1234.57"),
    (D("1234.567"), "#,##0", "1,235"),
    (D("1234.567"), "#,##0.00", "1,234.57"),
    (D("-1234.567"), "#,##0.00", "-1,234.57"),
    (D("0.285"), "0%", "29%"),
    (D("0.2856"), "0.0%", "28.6%"),
    (D("2.5"), "0", "3"),
    (D("-2.5"), "0", "-3"),
    (D("0.5"), "#.00", ".50"),
    (D("0"), "#,##0", "0"),
    (D("1234567"), "000-0000", "123-4567"),
    (D("5"), "000", "005"),
    (D("1234567.891"), "#,##0,", "1,235"),
    (D("1234567.891"), "0.0,,", "1.2"),
    (D("12200000"), "0.00E+00", "1.22E+07"),
    (D("-5"), "0;(0)", "(5)"),
    (D("0"), '0;-0;"零"', "零"),
    (D("3.5"), "¥#,##0.00", "¥3.50"),
    (D("3.5"), '0.0"元"', "3.5元"),
    (D("12"), "General", "12"),
    ("12.5", "0.00", "12.50"),
    ("abc", "0.00", "abc"),
    ("abc", '0;0;0;"<"@">"', "<abc>"),
    (None, "0.00", "0.00"),
    (D("5"), '0" days"', "5 days"),
    (D("5"), "0 days", "5 days"),  # letters among digit placeholders are text, not date codes
    (D("12.5"), "@", "12.5"),
    (D("-1234.5"), "#,##0.00_);(#,##0.00)", "(1,234.50)"),
    (D("1234.5"), "#,##0.00_);(#,##0.00)", "1,234.50 "),
    (D("1234"), "[Red]#,##0", "1,234"),
    (D("1234"), "[$¥-804]#,##0.00", "¥1,234.00"),
    (D("12345.678"), "0.00万", "12345.68万"),
    (D("-0.001"), "0.00", "0.00"),
    (True, "0", "TRUE"),
])
def test_text_number_formats(call, value, fmt, expected):
    assert call("TEXT", value, fmt) == expected


WHEN = dt.datetime(2026, 1, 5, 14, 7, 9)


@pytest.mark.parametrize("value, fmt, expected", [
    (WHEN.date(), "yyyy-mm-dd", "2026-01-05"),
    (WHEN.date(), "yyyy/m/d", "2026/1/5"),
    (WHEN.date(), "yyyy年m月d日", "2026年1月5日"),
    (WHEN, "hh:mm", "14:07"),
    (WHEN, "yyyy-mm-dd hh:mm", "2026-01-05 14:07"),
    (WHEN, "m/d", "1/5"),
    (WHEN, "mm", "01"),
    (WHEN, "h:mm:ss", "14:07:09"),
    (WHEN, "mm:ss", "07:09"),
    (WHEN, "h:mm AM/PM", "2:07 PM"),
    (WHEN, "yy-m-d ddd", "26-1-5 Mon"),
    (WHEN, "dddd, mmmm d", "Monday, January 5"),
    (WHEN, "mmm", "Jan"),
    (WHEN, "aaaa", "星期一"),
    (WHEN, "上午/下午h点", "下午2点"),
    (dt.time(9, 5), "hh:mm", "09:05"),
    ("2026-01-31", "yyyy年m月d日", "2026年1月31日"),
    (D(46053), "yyyy-mm-dd", "2026-01-31"),  # a serial number as a date
    (WHEN.date(), "0", "46027"),  # and a date as its serial number
    (WHEN.date(), "@", "2026-01-05"),
    (None, "yyyy-mm-dd", ""),
    (D("1.5"), "[h]:mm", "36:00"),
    (D("0.5"), "hh:mm", "12:00"),
    (dt.datetime(2026, 1, 5, 14, 7, 9, 123456), "hh:mm:ss.00", "14:07:09.12"),
])
def test_text_date_formats(call, value, fmt, expected):
    assert call("TEXT", value, fmt) == expected


def test_text_of_an_error_or_a_list(call):
    assert call("TEXT", NA, "0") is NA
    assert call("TEXT", (D(1),), "0") is VALUE


@settings(max_examples=200, deadline=None)
@given(st.decimals(min_value=-10**12, max_value=10**12, places=4, allow_nan=False, allow_infinity=False))
def test_text_thousands_format_agrees_with_python(x):
    rounded = x.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    expected = format(rounded, ",.2f")
    if rounded == 0:
        expected = "0.00"
    assert Caller()("TEXT", x, "#,##0.00") == expected


def test_fixed(call):
    assert call("FIXED", D("1234.567"), D(1)) == "1,234.6"
    assert call("FIXED", D("1234.567"), D(-1)) == "1,230"
    assert call("FIXED", D("-1234.567"), D(-1), True) == "-1230"
    assert call("FIXED", D("44.332")) == "44.33"
    assert call("FIXED", D("1234567.5"), D(0)) == "1,234,568"
    assert call("FIXED", "x") is VALUE
    assert call("FIXED", D(1), D(128)) is VALUE


def test_value(call):
    assert call("VALUE", "1,234.5") == D("1234.5")
    assert call("VALUE", " 42 ") == 42
    assert call("VALUE", "50%") == D("0.5")
    assert call("VALUE", "¥1,200") == 1200
    assert call("VALUE", "(300)") == -300
    assert call("VALUE", "abc") is VALUE
    assert call("VALUE", "") is VALUE
    assert call("VALUE", True) is VALUE
    assert call("VALUE", None) == 0
    assert call("VALUE", "2026-01-31") == 46053  # Excel's serial day


def test_rept(call):
    assert call("REPT", "*-", D(3)) == "*-*-*-"
    assert call("REPT", "x", D(0)) == ""
    assert call("REPT", "x", D(-1)) is VALUE


def test_rept_is_bounded(call):
    t = time.perf_counter()
    assert call("REPT", "ab", D(MAX_TEXT_LENGTH)) is VALUE
    assert call("REPT", "x", Decimal("1E+999999")) is VALUE
    assert len(call("REPT", "x", D(MAX_TEXT_LENGTH))) == MAX_TEXT_LENGTH
    assert time.perf_counter() - t < 0.5


def test_exact(call):
    assert call("EXACT", "word", "word") is True
    assert call("EXACT", "Word", "word") is False
    assert call("EXACT", D(1), "1") is True
    assert call("EXACT", None, "") is True


def test_text_functions_propagate_errors(call):
    for name, args in [("LEFT", (DIV0,)), ("UPPER", (DIV0,)), ("SUBSTITUTE", ("a", DIV0, "b")),
                       ("FIND", ("a", DIV0)), ("TEXT", (DIV0, "0")), ("VALUE", (DIV0,))]:
        assert call(name, *args) is DIV0, name


@pytest.mark.parametrize("fmt", [
    "0" * 30000 + "y", "0," * 15000, "ss." + "0" * 30000, "m " * 15000, "[" * 30000, '"' * 30000,
    "0." + "#" * 30000, "#,##0" * 6000, "yyyy" * 8000,
])
def test_text_with_hostile_format_codes_is_fast(call, fmt):
    t = time.perf_counter()
    for value in (D("1234.5"), dt.datetime(2026, 1, 5, 14, 7, 9), "abc"):
        result = call("TEXT", value, fmt)
        assert type(result) is str or result is VALUE
    assert time.perf_counter() - t < 2  # linear in the format's length, never quadratic
