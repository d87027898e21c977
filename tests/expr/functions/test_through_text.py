"""The library through the language itself: parsed, checked and compiled by ``rules.expr``, so
argument passing (laziness, contexts, error propagation, lists from sub-tables) is the real one."""
import datetime as dt
from decimal import Decimal

import pytest

from rules.expr import ExprError, evaluate
from rules.expr.values import DIV0, NA, NUM, VALUE

LINES = {"lines": [{"qty": 5, "price": Decimal("9.90"), "name": "螺丝"},
                   {"qty": 12, "price": Decimal("100"), "name": "Bolt"},
                   {"qty": 20, "price": Decimal("2.5"), "name": "bolt washer"}]}

CASES = [
    # logic
    ('IF(amount >= 50000, "大额", "普通")', {"amount": 60000}, "大额"),
    ('IF(amount >= 50000, "大额")', {"amount": 100}, False),
    ("IF(0, 1, 2)", {}, Decimal(2)),
    ('IFS(x > 10, "big", x > 5, "mid")', {"x": 3}, NA),
    ('SWITCH(tier, "a", 1, "b", 2, 0)', {"tier": "B"}, Decimal(2)),
    ('SWITCH(tier, "a", 1)', {"tier": "z"}, NA),
    ("IFERROR(total / qty, 0)", {"total": 10, "qty": 0}, Decimal(0)),
    ("IF(qty = 0, 0, total / qty)", {"total": 10, "qty": 0}, Decimal(0)),
    ("AND(a > 1, b)", {"a": 2, "b": None}, False),
    ("XOR(TRUE(), FALSE())", {}, True),
    ("ISBLANK(x)", {"x": None}, True),
    ("ISERROR(1 / 0)", {}, True),
    # math
    ("ROUND(2.5, 0) + ROUND(-2.5, 0)", {}, Decimal(0)),
    ("ROUND(1234.567, -2)", {}, Decimal(1200)),
    ("MOD(-3, 2)", {}, Decimal(1)),
    ("INT(-8.9)", {}, Decimal(-9)),
    ("CEILING(-2.5, -2)", {}, Decimal(-4)),
    ("FLOOR(-2.5, 2)", {}, Decimal(-4)),
    ("SQRT(-1)", {}, NUM),
    ("LOG(8, 2)", {}, Decimal(3)),
    ("POWER(0, -1)", {}, DIV0),
    ('FIXED(1234.567, 1)', {}, "1,234.6"),
    # aggregates over sub-table columns
    ("SUM(lines.qty)", LINES, Decimal(37)),
    ("MAX(lines.price)", LINES, Decimal(100)),
    ('COUNTIF(lines.qty, ">10")', LINES, Decimal(2)),
    ('SUMIF(lines.name, "bolt*", lines.qty)', LINES, Decimal(32)),
    ('COUNTIF(lines.name, "*螺*")', LINES, Decimal(1)),
    ("AVERAGE(lines.qty)", LINES, Decimal(37) / 3),
    ("LARGE(lines.qty, 4)", LINES, NUM),
    ("MEDIAN(lines.price)", LINES, Decimal("9.90")),
    ("SUM(lines.x)", {"lines": [{"x": 1}, {"x": DIV0}]}, DIV0),
    ("COUNT(lines.x, 1 / 0, 2)", {"lines": [{"x": 1}, {"x": DIV0}]}, Decimal(2)),
    # text
    ('TEXT(1234.5, "#,##0.00")', {}, "1,234.50"),
    ('TEXT(d, "yyyy年m月d日")', {"d": "2026-01-05"}, "2026年1月5日"),
    ('TEXT(0.256, "0.0%")', {}, "25.6%"),
    ('TRIM("  a   b ")', {}, "a b"),
    ('FIND("z", "abc")', {}, VALUE),
    ('SEARCH("B?D", "abc bxd")', {}, Decimal(5)),
    ('VALUE("1,234.5")', {}, Decimal("1234.5")),
    ('TEXTJOIN("、", TRUE, lines.name)', LINES, "螺丝、Bolt、bolt washer"),
    ('LEFT(name, 2) & "…"', {"name": "北京积木科技"}, "北京…"),
    # dates
    ('DATEDIF(a, b, "ym")', {"a": "2025-01-31", "b": "2026-03-01"}, Decimal(1)),
    ('DATEDIF(b, a, "d")', {"a": "2025-01-31", "b": "2026-03-01"}, NUM),
    ("DATE(2026, 13, 0)", {}, dt.date(2026, 12, 31)),
    ('EDATE("2026-01-31", 1)', {}, dt.date(2026, 2, 28)),
    ("EOMONTH(d, 0)", {"d": "2024-02-10"}, dt.date(2024, 2, 29)),
    ("WEEKDAY(d)", {"d": "2026-03-15"}, Decimal(1)),
    ("DAYS(b, a)", {"a": "2026-01-01", "b": "2026-03-01"}, Decimal(59)),
    ("NETWORKDAYS(a, b)", {"a": "2026-03-02", "b": "2026-03-13"}, Decimal(10)),
    ("WORKDAY(a, 1)", {"a": "2026-03-13"}, dt.date(2026, 3, 16)),
    ('DATEVALUE("2026年1月31日")', {}, dt.date(2026, 1, 31)),
    ("YEAR(TODAY())", {}, Decimal(2026)),
]


@pytest.mark.parametrize("text, data, expected", CASES, ids=[c[0] for c in CASES])
def test_through_expression_text(text, data, expected):
    got = evaluate(text, data, today="2026-03-15", now="2026-03-15T09:30:00")
    if isinstance(expected, Decimal):
        assert type(got) is Decimal and got == expected
    elif isinstance(expected, (bool, type(None))) or type(expected).__name__ == "ExcelError":
        assert got is expected
    else:
        assert type(got) is type(expected) and got == expected


def test_today_is_pinned_by_the_context():
    assert evaluate("TODAY()", today="2030-06-01") == dt.date(2030, 6, 1)


@pytest.mark.parametrize("text", ["IFS(TRUE, 1, FALSE)", "COUNTIFS(a, 1, a)", "SUMIFS(a, a, 1, a)"])
def test_unpaired_arguments_are_refused_when_checked(text):
    with pytest.raises(ExprError) as caught:
        evaluate(text, {"a": [1, 2]})
    assert "pairs" in str(caught.value)
