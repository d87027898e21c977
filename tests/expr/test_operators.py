"""Operators at run time: Excel's precedence and coercions, exact decimals, blanks, case-insensitive
text, dates, errors as values, IF's laziness and the calling conventions of FunctionSpec."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from rules.expr import EvalContext, compile_expression, evaluate, infer_scope, standard_registry
from rules.expr.registry import FunctionSpec, Param
from rules.expr.types import ANY, BOOLEAN, NUMBER, TEXT, RecordType
from rules.expr.values import DIV0, NA, NUM, VALUE

D = Decimal
REGISTRY = standard_registry()


def ev(text, data=None, **kw):
    return evaluate(text, data, registry=kw.pop("registry", REGISTRY), **kw)


@pytest.mark.parametrize("text, value", [
    ("-2^2", D(4)),
    ("2^3^2", D(64)),
    ("-(2^2)", D(-4)),
    ("2^-2", D("0.25")),
    ("50%", D("0.5")),
    ("200 * 15%", D(30)),
    ("1e3 + 1", D(1001)),
    ("0.1 + 0.2", D("0.3")),
    ("1 + 2 * 3", D(7)),
    ("(1 + 2) * 3", D(9)),
    ("10 - 4 - 3", D(3)),
    ("12 / 4 / 3", D(1)),
    ("1 / 3", D("0.3333333333333333333333333333")),  # 28 significant digits
    ("2 / 3 * 3", D("2.000000000000000000000000000")),
    ("TRUE + TRUE", D(2)),
    ("TRUE * 5", D(5)),
    ('"12" * 2', D(24)),
    ('"1,234.5" + 0', D("1234.5")),
    ("4^0.5", D(2)),
    ("(-8)^(1/3)", NUM),  # no real root for a fractional power of a negative number
    ("0^-1", DIV0),
    ("+\"abc\"", "abc"),  # unary plus changes nothing, as in Excel
])
def test_arithmetic(text, value):
    result = ev(text)
    assert result == value and type(result) is type(value)


@pytest.mark.parametrize("text, value", [
    ('"x" & 1.50', "x1.5"),
    ('"x" & 100', "x100"),
    ('"x" & 0.000', "x0"),
    ('1 & 2', "12"),
    ('"a" & TRUE', "aTRUE"),
    ('"合计: " & 1/4', "合计: 0.25"),
    ('"a" & "b" & "c"', "abc"),
    ('"x" & 1e40', "x1E+40"),  # a huge number stays short as text
])
def test_text_join(text, value):
    assert ev(text) == value


@pytest.mark.parametrize("text, value", [
    ('"abc" = "ABC"', True),
    ('"abc" <> "ABC"', False),
    ('"a" < "B"', True),
    ('"B" > "a"', True),
    ("1 = 1.0", True),
    ("1 == 1", True),
    ("1 != 2", True),
    ('1 < "a"', True),  # numbers sort before text
    ('"z" < TRUE', True),  # text before logicals
    ("TRUE > 100", True),
    ('1 = "1"', False),  # different kinds are never equal
    ("TRUE = 1", False),
    ("2 >= 2", True),
    ("2 <= 1", False),
])
def test_comparisons(text, value):
    assert ev(text) is value


def test_blank_in_arithmetic_text_and_comparison():
    data = {"b": None, "n": D(5), "s": "x"}
    assert ev("b + n", data) == D(5)
    assert ev("b * n", data) == D(0)
    assert ev("-b", data) == D(0)
    assert ev('s & b & s', data) == "xx"
    assert ev("b = 0", data) is True
    assert ev('b = ""', data) is True
    assert ev("b = FALSE", data) is True
    assert ev("b < 1", data) is True
    assert ev("b > -1", data) is True
    assert ev('b < "a"', data) is True
    assert ev("b = b", data) is True
    assert ev("n / b", data) is DIV0


def test_missing_relation_reads_blank_and_sub_tables_read_lists():
    data = {"customer": None, "lines": [{"subtotal": D("1.5")}, {"subtotal": D("2")}, {"subtotal": None}]}
    assert ev("customer.owner.department", data) is None
    assert ev("customer.credit_limit + 1", data) == D(1)
    assert ev("SUM(lines.subtotal)", data) == D("3.5")
    assert ev("COUNT(lines.subtotal)", data) == D(2)


def test_a_path_through_nested_lists_spreads_them_out():
    data = {"lines": [{"tags": ["a", "b"], "batches": [{"qty": D(1)}, {"qty": D(2)}]},
                      {"tags": ["c"], "batches": []}, {"tags": None, "batches": [{"qty": D(4)}]}]}
    assert ev("lines.tags", data) == ("a", "b", "c", None)
    assert ev("lines.batches.qty", data) == (D(1), D(2), D(4))
    assert ev("SUM(lines.batches.qty)", data) == D(7)


def test_relation_paths_read_through_records():
    data = {"customer": {"credit_limit": D(1000), "receivable": D("250.50"), "owner": {"name": "王五"}}}
    assert ev("customer.credit_limit - customer.receivable", data) == D("749.50")
    assert ev('customer.owner.name & "负责"', data) == "王五负责"


def test_dates():
    data = {"start": dt.date(2024, 1, 31), "end": dt.date(2024, 3, 1), "at": dt.datetime(2024, 3, 1, 18, 0)}
    assert ev("end - start", data) == D(30)
    assert ev("start - end", data) == D(-30)
    assert ev("start + 1", data) == dt.date(2024, 2, 1)
    assert ev("1 + start", data) == dt.date(2024, 2, 1)
    assert ev("end - 1", data) == dt.date(2024, 2, 29)
    assert ev("start + 0.5", data) == dt.datetime(2024, 1, 31, 12, 0)
    assert ev("at + 1", data) == dt.datetime(2024, 3, 2, 18, 0)
    assert ev("at - 0.25", data) == dt.datetime(2024, 3, 1, 12, 0)
    assert ev("at - end", data) == D("0.75")
    assert ev("end - at", data) == D("-0.75")
    assert ev("end > start", data) is True
    assert ev("at > end", data) is True  # a date is its midnight
    assert ev("start + start", data) is VALUE
    assert ev("1 - start", data) is VALUE
    assert ev("start * 2", data) is VALUE
    assert ev("start + 99999999", data) is NUM  # past the calendar: an error value, not an exception
    assert ev('start & ""', data) == "2024-01-31"


def test_dates_from_json_text():
    data = {"start": "2024-01-01", "end": "2024-03-01", "at": "2024-03-01T08:30:00"}
    assert ev("end - start", data) == D(60)
    assert ev("start + 30", data) == dt.date(2024, 1, 31)
    assert ev("at - start", data) == D(60) + D("8.5") / 24


def test_errors_are_values_and_propagate():
    assert ev("1/0") is DIV0
    assert ev("1/0 + 1") is DIV0
    assert ev("1 + 1/0") is DIV0
    assert ev('"x" * 2') is VALUE
    assert ev('1/0 + "x" * 2') is DIV0  # the left error wins
    assert ev('"x" * 2 + 1/0') is VALUE
    assert ev("-(1/0)") is DIV0
    assert ev('(1/0) & "x"') is DIV0
    assert ev("1/0 = 1") is DIV0
    assert ev("(1/0)%") is DIV0
    assert ev("ROUND(1/0, 2)") is DIV0
    assert ev("NOT(1/0)") is DIV0
    assert ev("AND(TRUE, 1/0)") is DIV0
    assert ev("IF(1/0, 1, 2)") is DIV0
    assert ev("IFERROR(1/0, 7)") == D(7)
    assert ev("ISERROR(1/0)") is True
    assert ev('IF("maybe", 1, 2)') is VALUE


def test_if_takes_one_branch_and_defaults_to_false():
    assert ev('IF(amount >= 50000, "大额", "普通")', {"amount": D(50000)}) == "大额"
    assert ev('IF(amount >= 50000, "大额", "普通")', {"amount": D(49999)}) == "普通"
    assert ev('IF(amount >= 50000, "大额", "普通")', {"amount": None}) == "普通"
    assert ev("IF(qty = 0, 0, total / qty)", {"qty": D(0), "total": D(5)}) == D(0)
    assert ev("IF(FALSE, 1)") is False
    assert ev("IF(2, 1, 2)") == D(1)
    assert ev('IF("true", 1, 2)') == D(1)


def _counting_registry(replace_if: bool = False):
    """The standard registry plus TICK() which counts its calls; optionally with IF replaced by an
    implementation of its own (so the generic thunk path is used instead of the inlined IF)."""
    calls = []
    r = REGISTRY.copy()
    r.register(FunctionSpec("TICK", [], NUMBER, lambda: calls.append(1) or D(1), {"zh": "", "en": ""}))
    if replace_if:
        std = REGISTRY.get("IF")

        def own_if(cond, then, otherwise=None):
            calls.append("if")
            return std.impl(cond, then, otherwise)

        r.replace(FunctionSpec("IF", std.params, std.returns, own_if, std.description, lazy=True,
                               propagate_errors=False))
    return r, calls


@pytest.mark.parametrize("replace_if", [False, True])
def test_if_is_lazy(replace_if):
    r, calls = _counting_registry(replace_if)
    assert ev("IF(TRUE, 1, TICK())", registry=r) == D(1)
    assert ev("IF(x > 0, TICK() + 1, 0)", {"x": D(-1)}, registry=r) == D(0)
    assert ev("IF(x > 0, 0, IF(x < -5, TICK(), 2))", {"x": D(-1)}, registry=r) == D(2)
    assert [c for c in calls if c != "if"] == []
    assert ev("IF(x > 0, TICK(), 0)", {"x": D(1)}, registry=r) == D(1)
    assert [c for c in calls if c != "if"] == [1]
    assert ("if" in calls) is replace_if


@pytest.mark.parametrize("cond", [True, False, None, D(0), D(2), "TRUE", "false", "abc", "", DIV0, NA,
                                  dt.date(2024, 1, 1)])
def test_compiled_if_means_what_the_library_if_means(cond):
    """The Python backend compiles the standard IF in place; it must agree with IF's implementation."""
    std_if = REGISTRY.get("IF").impl
    scope = RecordType("t", {"c": ANY, "t": TEXT, "f": TEXT})
    for text, expected in (("IF(c, t, f)", std_if(lambda: cond, lambda: "T", lambda: "F")),
                           ("IF(c, t)", std_if(lambda: cond, lambda: "T"))):
        compiled = compile_expression(text, scope, REGISTRY)
        assert "lambda" not in compiled.source  # compiled in place, no thunks
        assert compiled.fn({"c": cond, "t": "T", "f": "F"}, EvalContext()) == expected


@pytest.mark.parametrize("a, b", [(True, True), (True, False), (False, False), (None, True), (D(0), True),
                                  ("TRUE", False), ("x", True), (DIV0, True), (True, NA),
                                  ((True, False), True)])
def test_compiled_and_or_not_mean_what_the_library_functions_mean(a, b):
    scope = RecordType("t", {"a": ANY, "b": ANY})
    for name in ("AND", "OR"):
        expected = REGISTRY.get(name).impl(a, b) if not any(type(v) is type(DIV0) for v in (a, b)) \
            else next(v for v in (a, b) if type(v) is type(DIV0))
        compiled = compile_expression(f"{name}(a, b)", scope, REGISTRY)
        assert compiled.fn({"a": a, "b": b}, EvalContext()) == expected
    expected_not = a if type(a) is type(DIV0) else REGISTRY.get("NOT").impl(a)
    assert compile_expression("NOT a", scope, REGISTRY).fn({"a": a}, EvalContext()) == expected_not


def test_function_calling_conventions():
    seen = []
    r = REGISTRY.copy()
    r.register(FunctionSpec("PROBE", [Param("x"), Param("y", optional=True)], ANY,
                            lambda *args: seen.append(args) or "called", {"zh": "", "en": ""}))
    r.register(FunctionSpec("PROBE_RAW", [Param("x")], ANY, lambda x: seen.append(("raw", x)) or "raw",
                            {"zh": "", "en": ""}, propagate_errors=False))
    r.register(FunctionSpec("WHO", [], TEXT, lambda ctx: ctx.extra["who"], {"zh": "", "en": ""},
                            needs_context=True))
    r.register(FunctionSpec("PICK", [Param("a"), Param("b")], ANY, lambda a, b: b() if a() else "skipped",
                            {"zh": "", "en": ""}, lazy=True))
    ctx = EvalContext(extra={"who": "张三"})
    scope = RecordType("t", {"n": NUMBER, "flag": BOOLEAN})
    run = lambda text, rec=None: compile_expression(text, scope, r).fn(rec or {}, ctx)  # noqa: E731
    assert run("PROBE(1/0, 2)") is DIV0 and seen == []  # the first error argument, impl never called
    assert run('PROBE(1, "x" * 1)') is VALUE and seen == []
    assert run("PROBE(n, 2)", {"n": D(3)}) == "called" and seen == [(D(3), D(2))]
    assert run("PROBE_RAW(1/0)") == "raw" and seen[-1] == ("raw", DIV0)  # propagate_errors=False
    assert run("WHO()") == "张三"
    assert run("PICK(flag, 1/0)", {"flag": False}) == "skipped"
    assert run("PICK(flag, n * 2)", {"flag": True, "n": D(4)}) == D(8)


def test_today_and_now_come_from_the_context():
    assert ev("TODAY()", today="2024-02-29") == dt.date(2024, 2, 29)
    assert ev("NOW()", now="2024-02-29T10:30:00") == dt.datetime(2024, 2, 29, 10, 30)
    assert ev("TODAY() - d", {"d": "2024-02-01"}, today="2024-02-29") == D(28)


def test_compiled_expression_is_reusable_and_callable():
    c = compile_expression("qty * price * (1 - discount)", infer_scope({"qty": 1, "price": 1, "discount": 0}),
                           REGISTRY)
    assert c(dict(qty=D(2), price=D("9.99"), discount=D("0.1"))) == D("17.982")
    assert c.fn(dict(qty=D(3), price=D(1), discount=None), EvalContext()) == D(3)
    assert c.fn(dict(qty="3", price=D(1), discount=D(0)), EvalContext()) == D(3)
    assert c.fn(dict(qty="three", price=D(1), discount=D(0)), EvalContext()) is VALUE
