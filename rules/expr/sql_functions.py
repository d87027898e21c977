"""SQL forms of library functions: ``attach_sql_forms(registry)`` sets ``FunctionSpec.sql``.

A form is ``form(compiler, args, nodes) -> SqlValue``: ``compiler`` is the ``SqlCompiler`` (its
helpers coerce like the Python backend), ``args`` the compiled arguments, ``nodes`` the argument
nodes. The compiler adds the arguments' errors for functions that propagate them; lazy functions
(IF, IFERROR) and ISBLANK-like ones handle errors themselves. A form may carry ``check(nodes)``,
returning a {zh, en} message when these arguments cannot become SQL. Functions whose arguments are
all constants never reach their form: the compiler calls their Python implementation.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from decimal import Decimal

from sqlalchemy import and_, case, extract, false, func, literal, not_, null, or_, true

from .nodes import Literal, Node, Unary
from .registry import FunctionRegistry
from .sql_values import (
    BLANK_K,
    BOOLEAN_K,
    DATE_K,
    DATETIME_K,
    NUMBER_K,
    TEXT_K,
    SqlValue,
    any_error,
    error_value,
    kind_of,
)
from .types import BLANK, BOOLEAN, DATE, DATETIME, ERROR
from .values import VALUE, to_bool

Form = Callable[..., SqlValue]
_INT4 = 2**31 - 1


def _with_check(check: Callable[[Sequence[Node]], dict[str, str] | None]) -> Callable[[Form], Form]:
    def attach(form: Form) -> Form:
        form.check = check  # type: ignore[attr-defined]
        return form

    return attach


# ---- logic -----------------------------------------------------------------------------------------

def _and(c, args, nodes) -> SqlValue:
    truths = [c.truth(a, n) for a, n in zip(args, nodes, strict=True)]
    return SqlValue(and_(*(t for t, _ in truths)), BOOLEAN_K, False, any_error(*(e for _, e in truths)))


def _or(c, args, nodes) -> SqlValue:
    truths = [c.truth(a, n) for a, n in zip(args, nodes, strict=True)]
    return SqlValue(or_(*(t for t, _ in truths)), BOOLEAN_K, False, any_error(*(e for _, e in truths)))


def _xor(c, args, nodes) -> SqlValue:
    truths = [c.truth(a, n) for a, n in zip(args, nodes, strict=True)]
    count = sum((case((t, literal(1)), else_=literal(0)) for t, _ in truths), literal(0))
    return SqlValue(count % 2 == 1, BOOLEAN_K, False, any_error(*(e for _, e in truths)))


def _not(c, args, nodes) -> SqlValue:
    t, err = c.truth(args[0], nodes[0])
    return SqlValue(not_(t), BOOLEAN_K, False, err)


def _branch_kinds(types) -> dict[str, str] | None:
    kinds = {kind_of(t) for t in types if t not in (BLANK, ERROR)}
    if len(kinds) > 1:
        return {
            "zh": "各分支的值类型不同，无法在数据库中计算",
            "en": "The branches give values of different types, which the database cannot hold in one column",
        }
    return None


def _check_if(nodes: Sequence[Node]) -> dict[str, str] | None:
    branches = [n.type for n in nodes[1:3]]
    if len(nodes) < 3:
        branches.append(BOOLEAN)  # no else branch: FALSE
    return _branch_kinds(branches)


def choose(c, cond, cond_err, then: SqlValue, otherwise: SqlValue) -> SqlValue:
    """CASE WHEN cond THEN then ELSE otherwise, the branches made one kind (and one number shape).
    An IF in the else branch joins this CASE (IF(a, x, IF(b, y, z)) is one CASE with two WHENs), so
    long IF chains stay flat for SQLite's parser."""
    arms = [(cond, cond_err, then)]
    tail = otherwise
    if otherwise.branches is not None:
        arms += list(otherwise.branches[:-1])
        tail = otherwise.branches[-1]
    values = [v for _, _, v in arms] + [tail]
    kinds = [v.kind for v in values if v.kind != BLANK_K]
    kind = kinds[0] if kinds else BLANK_K
    if kind == NUMBER_K:
        values = c.numbers.same_shape(values)
    arms = [(cnd, ce, v) for (cnd, ce, _), v in zip(arms, values[:-1], strict=True)]
    tail = values[-1]
    expr = case(*((cnd, _typed(v)) for cnd, _, v in arms), else_=_typed(tail))
    if all(ce is None and v.err is None for _, ce, v in arms) and tail.err is None:
        err = None
    else:  # the first condition that errs, or the error of the branch taken
        whens = []
        for cnd, ce, v in arms:
            if ce is not None:
                whens.append((ce, true()))
            whens.append((cnd, v.err if v.err is not None else false()))
        err = case(*whens, else_=tail.err if tail.err is not None else false())
    scale = next((v.scale for v in values if v.kind == NUMBER_K), None)
    return SqlValue(expr, kind, any(v.nullable for v in values), err, scale,
                    branches=(*arms, tail))


def _typed(v: SqlValue):
    return null() if v.kind == BLANK_K else v.expr


@_with_check(_check_if)
def _if(c, args, nodes) -> SqlValue:
    cond, cond_err = c.truth(args[0], nodes[0])
    then = args[1]
    otherwise = args[2] if len(args) > 2 else c.constant(False)
    if args[0].is_const and cond_err is None:  # IF(TRUE, ...): one branch
        return then if to_bool(args[0].const) is True else otherwise
    return choose(c, cond, cond_err, then, otherwise)


@_with_check(lambda nodes: _branch_kinds([n.type for n in nodes[1::2]]))
def _ifs(c, args, nodes) -> SqlValue:
    """The value of the first true condition, #N/A when none is: one CASE."""
    out = error_value(BLANK_K)
    for i in range(len(args) - 2, -1, -2):
        cond, cond_err = c.truth(args[i], nodes[i])
        out = choose(c, cond, cond_err, args[i + 1], out)
    return out


def _switch_results(nodes: Sequence[Node]) -> list:
    cases = nodes[1:]
    results = [cases[2 * i + 1] for i in range(len(cases) // 2)]
    return results + ([cases[-1]] if len(cases) % 2 else [])


@_with_check(lambda nodes: _branch_kinds([n.type for n in _switch_results(nodes)]))
def _switch(c, args, nodes) -> SqlValue:
    """The result of the first value equal (``=``) to the subject, a trailing default or #N/A."""
    subject, cases = args[0], args[1:]
    out = cases[-1] if len(cases) % 2 else error_value(BLANK_K)
    for i in range(len(cases) // 2 - 1, -1, -1):
        same = c.comparisons.compare("=", subject, cases[2 * i])
        out = choose(c, same.expr, same.err, cases[2 * i + 1], out)
    return out


@_with_check(lambda nodes: _branch_kinds([n.type for n in nodes]))
def _iferror(c, args, nodes) -> SqlValue:
    value, fallback = args
    if value.err is None:
        return value
    return choose(c, not_(value.err), None, dataclasses.replace(value, err=None), fallback)


def _isblank(c, args, nodes) -> SqlValue:
    v = args[0]
    if v.kind == BLANK_K:
        is_blank = true()
    elif not v.nullable:
        is_blank = false()
    else:
        is_blank = v.expr.is_(None)
    return _is_test(is_blank, v)


def _is_kind(kind: str) -> Form:
    def form(c, args, nodes) -> SqlValue:
        v = args[0]
        if v.kind != kind:
            return _is_test(false(), v)
        return _is_test(true() if not v.nullable else v.expr.is_not(None), v)

    return form


def _isnontext(c, args, nodes) -> SqlValue:
    v = args[0]
    if v.kind != TEXT_K:
        return SqlValue(true(), BOOLEAN_K, False)
    is_text = true() if not v.nullable else v.expr.is_not(None)
    return SqlValue(not_(is_text) if v.err is None else or_(v.err, not_(is_text)), BOOLEAN_K, False)


def _iserror(c, args, nodes) -> SqlValue:
    v = args[0]
    return SqlValue(v.err if v.err is not None else false(), BOOLEAN_K, False)


def _is_test(cond, v: SqlValue) -> SqlValue:
    """A test that is FALSE on an error value (it does not propagate it)."""
    return SqlValue(cond if v.err is None else and_(not_(v.err), cond), BOOLEAN_K, False)


# ---- numbers ---------------------------------------------------------------------------------------

def _is_constant_node(node: Node) -> bool:
    return isinstance(node, Literal) or (isinstance(node, Unary) and isinstance(node.operand, Literal))


def _constant_from(first: int) -> Callable[[Sequence[Node]], dict[str, str] | None]:
    """Arguments from ``first`` on (digits, counts, positions) must be constants in SQL."""

    def check(nodes: Sequence[Node]) -> dict[str, str] | None:
        if any(not _is_constant_node(n) for n in nodes[first:]):
            return {"zh": "在数据库中计算时，位数、个数和位置须为常数",
                    "en": "In a database query digits, counts and positions must be constants"}
        return None

    return check


@_with_check(_constant_from(1))
def _round(c, args, nodes) -> SqlValue:
    digits = c.constant_int(args[1]) if len(args) > 1 else 0
    if not isinstance(digits, int):
        return c.constant(digits)  # digits that are no number: the error value
    return c.numbers.round_to(c.number(args[0], nodes[0]), digits)


@_with_check(_constant_from(1))
def _trunc(c, args, nodes) -> SqlValue:
    digits = c.constant_int(args[1]) if len(args) > 1 else 0
    if not isinstance(digits, int):
        return c.constant(digits)
    return c.numbers.round_to(c.number(args[0], nodes[0]), digits, toward_zero=True)


def _int(c, args, nodes) -> SqlValue:
    return c.numbers.floor(c.number(args[0], nodes[0]))


def _abs(c, args, nodes) -> SqlValue:
    return c.numbers.absolute(c.number(args[0], nodes[0]))


def _sign(c, args, nodes) -> SqlValue:
    n = c.number(args[0], nodes[0])
    zero = c.numbers.const(Decimal(0))
    s = case((c.numbers.compare(">", n, zero), literal(1)), (c.numbers.compare("<", n, zero), literal(-1)),
             else_=literal(0))
    return c.numbers.native_int(s, False, n.err)


# ---- text --------------------------------------------------------------------------------------------

def _concatenate(c, args, nodes) -> SqlValue:
    return c.concat(list(args))


def _len(c, args, nodes) -> SqlValue:
    t = c.text(args[0])
    return c.numbers.native_int(c.texts.length(t.expr), False)


def _upper(c, args, nodes) -> SqlValue:
    return SqlValue(c.texts.upper(c.text(args[0]).expr), TEXT_K, False)


def _lower(c, args, nodes) -> SqlValue:
    return SqlValue(c.texts.lower(c.text(args[0]).expr), TEXT_K, False)


def _trim(c, args, nodes) -> SqlValue:
    return SqlValue(c.texts.trim_spaces(c.text(args[0]).expr), TEXT_K, False)


def _exact(c, args, nodes) -> SqlValue:
    a, b = c.text(args[0]), c.text(args[1])
    return SqlValue(a.expr == b.expr, BOOLEAN_K, False)  # case and all: plain (binary) text equality


def _counts(c, args, first: int) -> list[int] | SqlValue:
    """The constant count arguments from ``first`` on as ints, or the error value one of them is."""
    out = []
    for a in args[first:]:
        n = c.constant_int(a)
        if not isinstance(n, int):
            return c.constant(n)
        out.append(max(-_INT4, min(_INT4, n)))  # SQL's substr takes 32-bit positions; no text is longer
    return out


@_with_check(_constant_from(1))
def _left(c, args, nodes) -> SqlValue:
    counts = _counts(c, args, 1)
    if isinstance(counts, SqlValue):
        return counts
    n = counts[0] if counts else 1
    if n < 0:
        return c.constant(VALUE)
    return SqlValue(func.substr(c.text(args[0]).expr, 1, n), TEXT_K, False)


@_with_check(_constant_from(1))
def _right(c, args, nodes) -> SqlValue:
    counts = _counts(c, args, 1)
    if isinstance(counts, SqlValue):
        return counts
    n = counts[0] if counts else 1
    if n < 0:
        return c.constant(VALUE)
    s = c.text(args[0]).expr
    length = c.texts.length(s)
    return SqlValue(case((length <= n, s), else_=func.substr(s, length - (n - 1))), TEXT_K, False)


@_with_check(_constant_from(1))
def _mid(c, args, nodes) -> SqlValue:
    counts = _counts(c, args, 1)
    if isinstance(counts, SqlValue):
        return counts
    start, n = counts
    if start < 1 or n < 0:
        return c.constant(VALUE)
    return SqlValue(func.substr(c.text(args[0]).expr, start, n), TEXT_K, False)


# ---- dates -------------------------------------------------------------------------------------------

def _check_temporal(nodes: Sequence[Node]) -> dict[str, str] | None:
    if nodes and nodes[0].type not in (DATE, DATETIME, BLANK, ERROR):
        return {"zh": "在数据库中计算时，参数须为日期字段或日期值",
                "en": "In a database query the argument must be a date field or a date value"}
    return None


def _temporal_part(part: str, of_time: bool = False) -> Form:
    """YEAR, MONTH, DAY of a date or datetime; with ``of_time`` HOUR, MINUTE, SECOND (a date is
    midnight). A blank is #VALUE! (it has no year, nor an hour)."""

    @_with_check(_check_temporal)
    def form(c, args, nodes) -> SqlValue:
        v = args[0]
        if v.kind not in (DATE_K, DATETIME_K):
            return c.constant(VALUE)
        blank = v.expr.is_(None) if v.nullable else None
        if of_time and v.kind == DATE_K:
            return c.numbers.native_int(literal(0), False, blank)
        value = extract(part, v.expr)
        if of_time and c.caps.exact_decimal:  # PostgreSQL's seconds carry a fraction; SQLite's are whole
            value = func.floor(value)
        return c.numbers.native_int(value, False, any_error(v.err, blank))

    return form


def _context_form(name: str) -> Form:
    """TODAY(), NOW(): the value the query was given in ``ctx_values``, bound as a parameter."""

    def form(c, args, nodes) -> SqlValue:
        return c.context_value(name)

    return form


# ---- attaching ---------------------------------------------------------------------------------------

FORMS: dict[str, Form] = {
    "AND": _and,
    "OR": _or,
    "XOR": _xor,
    "NOT": _not,
    "IF": _if,
    "IFERROR": _iferror,
    "IFS": _ifs,
    "SWITCH": _switch,
    "ISBLANK": _isblank,
    "ISNUMBER": _is_kind(NUMBER_K),
    "ISTEXT": _is_kind(TEXT_K),
    "ISLOGICAL": _is_kind(BOOLEAN_K),
    "ISNONTEXT": _isnontext,
    "ISERROR": _iserror,
    "ROUND": _round,
    "TRUNC": _trunc,
    "ROUNDDOWN": _trunc,
    "INT": _int,
    "ABS": _abs,
    "SIGN": _sign,
    "CONCATENATE": _concatenate,
    "CONCAT": _concatenate,
    "LEN": _len,
    "UPPER": _upper,
    "LOWER": _lower,
    "TRIM": _trim,
    "EXACT": _exact,
    "LEFT": _left,
    "RIGHT": _right,
    "MID": _mid,
    "YEAR": _temporal_part("year"),
    "MONTH": _temporal_part("month"),
    "DAY": _temporal_part("day"),
    "HOUR": _temporal_part("hour", of_time=True),
    "MINUTE": _temporal_part("minute", of_time=True),
    "SECOND": _temporal_part("second", of_time=True),
    "TODAY": _context_form("TODAY"),
    "NOW": _context_form("NOW"),
}


def attach_sql_forms(registry: FunctionRegistry) -> FunctionRegistry:
    """Give the registry's functions their SQL forms (functions it lacks are skipped)."""
    for name, form in FORMS.items():
        spec = registry.get(name)
        if spec is not None:
            registry.replace(dataclasses.replace(spec, sql=form))
    return registry

