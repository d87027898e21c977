"""No input may escape, hang the process or exhaust memory: each attempt below ends in a clean
ExprError or an error value, at once. A hang guard (SIGALRM) turns a hang into a failure."""
from __future__ import annotations

import signal
from collections.abc import Mapping
from contextlib import contextmanager
from decimal import Decimal

import pytest

from rules.expr import ExprError, compile_expression, evaluate, infer_scope, standard_registry
from rules.expr.parser import MAX_DEPTH
from rules.expr.types import ANY, RecordType
from rules.expr.values import MAX_TEXT_LENGTH, NUM, VALUE

REGISTRY = standard_registry()
HANG_LIMIT = 10  # seconds: far beyond what any of these takes; only a hang reaches it


@contextmanager
def no_hang():
    def alarm(signum, frame):
        raise AssertionError(f"still running after {HANG_LIMIT} s: a hang")

    old = signal.signal(signal.SIGALRM, alarm)
    signal.alarm(HANG_LIMIT)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def outcome(text: str, data=None):
    """The value, or the ExprError's code: anything else (another exception, a hang) fails the test."""
    with no_hang():
        try:
            return evaluate(text, data, registry=REGISTRY)
        except ExprError as e:
            return e.code


@pytest.mark.parametrize("text, expected", [
    ('__import__("os")', "expr.E003"),
    ('__import__("os").system("echo hi")', "expr.E001"),  # a call on a path does not even parse
    ("().__class__", "expr.E001"),
    ('"".__class__.__mro__', "expr.E005"),  # text has no fields
    ("x.__class__", "expr.E005"),
    ("__builtins__", "expr.E002"),
    ("__class__", "expr.E002"),
    ("globals()", "expr.E003"),
    ('eval("1")', "expr.E003"),
    ("lambda: 1", "expr.E001"),
    ("[1, 2]", "expr.E001"),
    ("{1: 2}", "expr.E002"),  # braces name a field
    ("a if b else c", "expr.E001"),
    ("x; import os", "expr.E001"),
    ("x\nimport os", "expr.E001"),
    ("open('/etc/passwd')", "expr.E003"),
])
def test_python_does_not_leak_through(text, expected):
    assert outcome(text, {"x": Decimal(1)}) == expected


def test_dunder_keys_are_only_data():
    data = {"__class__": Decimal(5), "__init__": "x"}
    assert outcome("{__class__} + 1", data) == Decimal(6)
    assert outcome("{__init__}", data) == "x"


class Account(Mapping):
    """A record that also has attributes and methods: expressions must only ever see its keys."""

    secret = "attribute, not a field"

    def __init__(self, fields):
        self._fields = fields

    def __getitem__(self, k):
        return self._fields[k]

    def __iter__(self):
        return iter(self._fields)

    def __len__(self):
        return len(self._fields)


def test_records_are_read_by_key_never_by_attribute():
    scope = RecordType("t", {"acct": ANY})
    compiled = compile_expression("acct.secret & acct.items & acct.balance", scope, REGISTRY)
    value = compiled({"acct": Account({"balance": Decimal(3)})})
    assert value == "3"  # secret and items are no keys of the record: blank


def test_generated_code_has_no_builtins_and_holds_no_user_text():
    compiled = compile_expression('IF(marker_field_xyz > 1, "marker_text_abc", "x") & {odd key}',
                                  infer_scope({"marker_field_xyz": 1, "odd key": "k"}), REGISTRY)
    assert compiled.fn.__globals__["__builtins__"] == {}
    assert "marker_field_xyz" not in compiled.source and "marker_text_abc" not in compiled.source
    assert "odd key" not in compiled.source
    assert compiled({"marker_field_xyz": Decimal(2), "odd key": "k"}) == "marker_text_abck"


def test_quotes_and_code_inside_text_stay_text():
    payload = "\"); import os; os.system('x'); (\""
    text = '"' + payload.replace('"', '""') + '" & ""'
    assert outcome(text) == payload
    assert outcome("'\\' & 'x'") == "\\x"  # a backslash is just a character
    assert outcome("'a\\'; raise SystemExit") == "expr.E001"


def test_huge_text_is_refused():
    assert outcome('REPT("x", 100000000)') is VALUE
    half = MAX_TEXT_LENGTH // 2 + 1
    assert outcome(f'REPT("x", {half}) & REPT("y", {half})') is VALUE
    assert outcome(f'LEN(REPT("x", {MAX_TEXT_LENGTH}))') == Decimal(MAX_TEXT_LENGTH)
    doubling = 'REPT("ab", 10000)'
    for _ in range(6):
        doubling = f"{doubling} & {doubling}"
    assert outcome(doubling) is VALUE


def test_huge_numbers_give_num_quickly():
    assert outcome("9^9^9") == Decimal(9) ** 81  # left to right: (9^9)^9, an ordinary number
    assert outcome("9^(9^9)") is NUM
    assert outcome("10^400") is NUM
    assert outcome("2^(2^(2^(2^(2^2))))") is NUM
    assert outcome("0.5^(10^20)") == Decimal(0)
    assert outcome("1^(10^300)") == Decimal(1)
    assert outcome("(-1)^(10^300 + 1)") == Decimal(1)  # 10^300 + 1 is 10^300 at 28 digits: even
    assert outcome("1e300 * 1e300 * 1e300 * 1e300") == Decimal("1e1200")
    assert outcome("1e999") == "expr.E001"  # beyond Excel's range as a literal
    assert outcome('"1e999999999" + 1') is VALUE  # nor as numeric text
    big = "*".join(["1e300"] * 3500)[:8000].rstrip("*e1")
    assert outcome(big) in (NUM, "expr.E006") or isinstance(outcome(big), Decimal)


def test_deep_nesting_and_long_input_are_clean_errors():
    assert outcome("(" * 4000 + "1" + ")" * 4000) == Decimal(1)  # parentheses alone nest nothing
    assert outcome("-" * 8000 + "1") == "expr.E006"
    assert outcome("ABS(" * 2000 + "1" + ")" * 2000) == "expr.E006"
    assert outcome("IF(TRUE, " * 2000 + "1" + ")" * 2000) == "expr.E006"
    assert outcome("1" + "+1" * 3000) == "expr.E006"
    assert outcome("x" * 100_000) == "expr.E006"
    assert outcome("(" * 100_000) == "expr.E006"
    assert outcome('"' + "a" * 100_000 + '"') == "expr.E006"


def test_nesting_up_to_the_limit_compiles_and_runs():
    depth = MAX_DEPTH - 2
    nested_if = "IF(x > 0, " * depth + "1" + ", 0)" * depth
    assert outcome(nested_if, {"x": Decimal(1)}) == Decimal(1)
    nested_iferror = "IFERROR(" * depth + "1/x" + ", 0)" * depth
    assert outcome(nested_iferror, {"x": Decimal(0)}) == Decimal(0)
    nested_abs = "ABS(" * depth + "-x" + ")" * depth
    assert outcome(nested_abs, {"x": Decimal(2)}) == Decimal(2)
