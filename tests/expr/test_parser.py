"""The grammar: precedence and associativity as Excel has them, literals, names, keywords, and parse
errors that say where and what, in Chinese and English."""
from __future__ import annotations

from decimal import Decimal

import pytest

from rules.expr import ExprError, check, standard_registry
from rules.expr.nodes import Binary, Call, FieldRef, Literal, PathOn, Unary
from rules.expr.parser import MAX_EXPRESSION_LENGTH, parse
from rules.expr.types import NUMBER, TEXT, RecordType

REGISTRY = standard_registry()
SCOPE = RecordType("t", {"a": NUMBER, "b": NUMBER, "c": NUMBER, "name": TEXT, "金额": NUMBER, "x_1": NUMBER})


def tree(text: str):
    return check(text, SCOPE, REGISTRY)


def shape(node):
    """A compact, readable form of a checked tree to compare against."""
    if isinstance(node, Literal):
        return node.value
    if isinstance(node, FieldRef):
        return ".".join(node.path)
    if isinstance(node, Unary):
        return (node.op, shape(node.operand))
    if isinstance(node, Binary):
        return (node.op, shape(node.left), shape(node.right))
    if isinstance(node, Call):
        return (node.name, *[shape(a) for a in node.args])
    if isinstance(node, PathOn):
        return ("path", shape(node.base), *node.path)
    raise AssertionError(node)


def err(text: str) -> ExprError:
    with pytest.raises(ExprError) as info:
        tree(text)
    return info.value


D = Decimal


@pytest.mark.parametrize("text, expected", [
    ("-2^2", ("^", ("-", D(2)), D(2))),  # negation binds tighter than ^, as in Excel
    ("2^3^2", ("^", ("^", D(2), D(3)), D(2))),  # ^ is left-associative
    ("2^-1", ("^", D(2), ("-", D(1)))),
    ("a + b * c", ("+", "a", ("*", "b", "c"))),
    ("a - b - c", ("-", ("-", "a", "b"), "c")),
    ("a / b * c", ("*", ("/", "a", "b"), "c")),
    ("(a + b) * c", ("*", ("+", "a", "b"), "c")),
    ("50%", ("%", D(50))),
    ("a%^2", ("^", ("%", "a"), D(2))),  # % binds tighter than ^
    ("-a%", ("-", ("%", "a"))),
    ("a & b + c", ("&", "a", ("+", "b", "c"))),  # & is looser than arithmetic
    ("a & b = name", ("=", ("&", "a", "b"), "name")),  # comparison is looser than &
    ("a = b", ("=", "a", "b")),
    ("a == b", ("=", "a", "b")),
    ("a != b", ("<>", "a", "b")),
    ("a <> b", ("<>", "a", "b")),
    ("a <= b", ("<=", "a", "b")),
    ("a >= b", (">=", "a", "b")),
    ("a < b < c", ("<", ("<", "a", "b"), "c")),
    ("NOT a = b", ("NOT", ("=", "a", "b"))),  # the word NOT is looser than comparisons
    ("NOT(a) = b", ("=", ("NOT", "a"), "b")),  # the function NOT(...) is a value
    ("a > 1 AND b > 2 OR c > 3", ("OR", ("AND", (">", "a", D(1)), (">", "b", D(2))), (">", "c", D(3)))),
    ("a > 1 or b > 2 and c > 3", ("OR", (">", "a", D(1)), ("AND", (">", "b", D(2)), (">", "c", D(3))))),
    ("a AND b AND c", ("AND", "a", "b", "c")),
    ("NOT NOT a", ("NOT", ("NOT", "a"))),
    ("AND(a, b)", ("AND", "a", "b")),
    ("sum (a, b)", ("SUM", "a", "b")),  # function names are case-insensitive, a space before ( is fine
])
def test_precedence_and_associativity(text, expected):
    assert shape(tree(text)) == expected


@pytest.mark.parametrize("text, value", [
    ("12", D(12)), ("0.15", D("0.15")), ("1e3", D(1000)), (".5", D("0.5")), ("2.5E-1", D("0.25")),
    ('"大额"', "大额"), ("'普通'", "普通"), ('"say ""hi"""', 'say "hi"'), ("'it''s'", "it's"), ('""', ""),
    ("TRUE", True), ("false", False),
])
def test_literals(text, value):
    node = tree(text)
    assert isinstance(node, Literal)
    assert node.value == value and type(node.value) is type(value)


def test_names_chinese_and_keywords_as_parts_of_names():
    assert shape(tree("金额 * 2")) == ("*", "金额", D(2))
    assert shape(tree("x_1 + a")) == ("+", "x_1", "a")
    scope = RecordType("t", {"ANDY": NUMBER, "truex": NUMBER, "order": NUMBER, "notes": TEXT})
    node = check("ANDY + truex + order & notes", scope, REGISTRY)
    assert shape(node) == ("&", ("+", ("+", "ANDY", "truex"), "order"), "notes")


def test_leading_equals_sign_is_accepted_like_excel():
    assert shape(tree("=a + 1")) == ("+", "a", D(1))
    e = err("<a + 1")
    assert e.code == "expr.E001" and (e.line, e.column) == (1, 1)


def test_whitespace_and_newlines_are_insignificant():
    assert shape(tree("IF(\n  a > 1,\n  b,\n  c\n)")) == ("IF", (">", "a", D(1)), "b", "c")


def test_positions_are_recorded_on_nodes():
    node = tree("a + 金额")
    assert (node.right.pos.line, node.right.pos.column) == (1, 5)
    assert (node.pos.line, node.pos.column, node.pos.end_column) == (1, 1, 7)


# --- errors -------------------------------------------------------------------------------------------

def test_incomplete_expression():
    e = err("a +")
    assert e.code == "expr.E001"
    assert (e.line, e.column) == (1, 4)
    assert e.message["zh"].startswith("第1行第4列: ")
    assert e.message["en"].startswith("line 1, column 4: ")
    assert e.excerpt == "a +\n   ^"


def test_unclosed_parenthesis_names_what_is_missing():
    e = err("SUM(a, b")
    assert "')'" in e.message["en"] and "')'" in e.message["zh"]


def test_unexpected_token_points_at_it_and_says_what_was_expected():
    e = err("a b")
    assert (e.line, e.column) == (1, 3)
    assert "unexpected 'b'" in e.message["en"] and "an operator" in e.message["en"]
    assert "'b'" in e.message["zh"]


def test_error_on_a_later_line_reports_that_line():
    e = err("IF(a > 1,\n   b +* c,\n   0)")
    assert (e.line, e.column) == (2, 7)
    assert e.excerpt.splitlines() == ["   b +* c,", "      ^"]


def test_unterminated_text():
    e = err('IF(a, "open, 1)')
    assert e.code == "expr.E001" and e.column == 7
    assert "quote" in e.message["en"] and "引号" in e.message["zh"]


def test_chinese_punctuation_gets_a_hint():
    e = err("SUM(a，b)")
    assert e.column == 6
    assert "ASCII sign ','" in e.message["en"] and "半角符号 ','" in e.message["zh"]
    assert "'*'" in err("a × b").message["en"]


def test_caret_accounts_for_wide_characters():
    e = err("金额 ++* 1")
    # the caret sits under '*': two CJK characters take two terminal cells each
    assert e.column == 6
    line, caret = e.excerpt.splitlines()
    assert caret == " " * 7 + "^"


def test_empty_and_blank_expressions():
    for text in ("", "   ", "\n"):
        e = err(text)
        assert e.code == "expr.E001"
        assert e.message["zh"] and e.message["en"]


def test_not_a_string():
    with pytest.raises(ExprError):
        parse(None)  # type: ignore[arg-type]


def test_too_long_is_a_clean_error():
    e = err("1+" * (MAX_EXPRESSION_LENGTH // 2) + "1")
    assert e.code == "expr.E006"
    assert str(MAX_EXPRESSION_LENGTH) in e.message["en"]


def test_error_to_dict_and_str():
    e = err("a +")
    d = e.to_dict()
    assert d["code"] == "expr.E001" and d["line"] == 1 and d["column"] == 4
    assert set(d["message"]) == {"zh", "en"} and d["excerpt"].endswith("^")
    assert "expr.E001" in str(e) and e.message["zh"] in str(e) and e.message["en"] in str(e)
