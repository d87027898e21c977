"""The SQL backend: a checked tree (``nodes``) becomes a SQLAlchemy Core expression, so permission row
filters, list filters and report dimensions run in the database with the meaning they have in the
Python backend.

The rule a filter follows, on every backend: **a row is selected iff the Python value of the
condition is exactly True or a non-zero number.** Blank, FALSE, 0, text, dates and error values
(``#DIV/0!``...) select nothing; and since errors are tracked beside values (``SqlValue.err``),
``NOT(amount / qty > 1)`` does not select the rows where qty is blank either.

What cannot become SQL (a sub-table path, a function without a SQL form, a record path) is reported
by ``sql_problems`` when a definition loads, at the node's position, with the same walk ``to_sql``
does, so the two never disagree about what is supported.
"""
from __future__ import annotations

import datetime as _dt
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    String,
    and_,
    case,
    column,
    false,
    func,
    literal,
    not_,
    null,
    select,
    true,
    type_coerce,
)
from sqlalchemy.sql.elements import ColumnElement

from . import operators
from .nodes import Binary, Call, FieldRef, Literal, Node, PathOn, Pos, Unary
from .registry import FunctionRegistry, FunctionSpec
from .sql_compare import Comparisons, NeedsConstant
from .sql_numbers import NumberOps
from .sql_sqlite import fits_sqlite_parser, register_sqlite_functions
from .sql_text import TextOps
from .sql_values import (
    BLANK_K,
    BOOLEAN_K,
    DATE_K,
    DATETIME_K,
    NUMBER_K,
    RECORD_K,
    TEXT_K,
    UNKNOWN,
    SqlCapabilities,
    SqlColumn,
    SqlUnsupported,
    SqlValue,
    any_error,
    bind,
    error_value,
    kind_of,
    kind_of_value,
)
from .types import ERROR, RecordType
from .values import MAX_TEXT_LENGTH, ONE, VALUE, ZERO, ExcelError, is_error, to_bool, to_number

__all__ = [
    "SqlCapabilities",
    "SqlColumn",
    "SqlCompiler",
    "SqlUnsupported",
    "SqlValue",
    "register_sqlite_functions",
    "sql_problems",
    "to_sql",
]

Resolver = Callable[[tuple[str, ...]], SqlColumn]
Problem = tuple[Pos | None, dict[str, str]]

_ARITH = ("+", "-", "*", "/")
_COMPARE = ("=", "<>", "<", "<=", ">", ">=")


def to_sql(
    tree: Node,
    resolver: Resolver,
    caps: SqlCapabilities,
    ctx_values: Mapping[str, Any] | None = None,
    *,
    registry: FunctionRegistry | None = None,
    as_condition: bool | None = None,
) -> ColumnElement:
    """The tree as SQL. A boolean tree (or any tree with ``as_condition=True``) becomes the filter
    condition described in the module docstring; any other tree a value expression (numbers read
    back as Decimal; an error value reads as NULL). ``ctx_values`` maps a context function's name
    (``TODAY``, ``NOW``, ``CURRENT_USER``) to its value for this query; it is bound as a parameter.
    Raises SqlUnsupported for what ``sql_problems`` reports."""
    compiler = SqlCompiler(resolver, caps, ctx_values, registry)
    v = compiler.compile(tree)
    if as_condition if as_condition is not None else v.kind == BOOLEAN_K:
        return compiler.selected(v)
    return compiler.value(v)


def sql_problems(tree: Node, registry: FunctionRegistry | None = None) -> list[Problem]:
    """Every node of the tree that cannot become SQL, with its position and a {zh, en} message; and
    the whole tree when its SQL nests deeper than SQLite's parser goes."""
    problems: list[Problem] = []
    for caps in (SqlCapabilities(False, False), SqlCapabilities(True, True)):
        compiler = SqlCompiler(_probe_column, caps, None, registry, problems=[])
        v = compiler.compile(tree)
        for p in compiler.problems or ():
            if p not in problems:
                problems.append(p)
        if not problems and not _fits(compiler.selected(v), caps):
            problems.append((tree.pos, {
                "zh": "表达式嵌套太深，数据库无法执行，请拆分或简化",
                "en": "The expression nests too deeply for the database; split or simplify it",
            }))
    return problems


def _fits(condition: ColumnElement, caps: SqlCapabilities) -> bool:
    """SQLite's parser takes some 30 nested calls; on PostgreSQL each arithmetic step is a subquery,
    and SQLAlchemy compiles nested subqueries recursively. Both are tried here, at load time."""
    if caps.registered_functions:
        return fits_sqlite_parser(condition)
    from sqlalchemy.dialects import postgresql

    try:  # half the recursion limit in reserve for the stack the query will be compiled on
        _compile_within(condition, postgresql.dialect())
    except RecursionError:
        return False
    return True


def _compile_within(condition: ColumnElement, dialect) -> None:
    import sys

    def nested(k: int) -> None:  # take up half the stack first
        if k:
            nested(k - 1)
        else:
            select(literal(1)).where(condition).compile(dialect=dialect)

    nested(sys.getrecursionlimit() // 2)


def _probe_column(path: tuple[str, ...]) -> SqlColumn:
    """A stand-in column; a relation path nests a subquery per step, as resolvers do."""
    expr: ColumnElement = column("__".join(path))
    for step in path[1:]:
        expr = select(column(step)).where(column("id") == expr).scalar_subquery()
    return SqlColumn(expr, ERROR, 2)


class SqlCompiler:
    """Walks the tree; SQL forms of functions (``FunctionSpec.sql``) receive it as ``compiler`` and use
    its helpers (``number``, ``text``, ``truth``, ``constant``...), ``numbers`` and ``texts``."""

    def __init__(
        self,
        resolver: Resolver,
        caps: SqlCapabilities,
        ctx_values: Mapping[str, Any] | None = None,
        registry: FunctionRegistry | None = None,
        *,
        problems: list[Problem] | None = None,
    ) -> None:
        self.resolver = resolver
        self.caps = caps
        self.ctx_values = ctx_values or {}
        self.registry = registry if registry is not None else _standard_registry()
        self.problems = problems  # a list: collect problems and go on (sql_problems); None: raise
        self.numbers = NumberOps(caps)
        self.texts = TextOps(caps, self.numbers)
        self.comparisons = Comparisons(self.numbers, self.texts)
        self._call_node: Node | None = None  # the call whose SQL form runs (for its position)

    @property
    def probing(self) -> bool:
        return self.problems is not None

    # ---- problems ---------------------------------------------------------------------------------
    def unsupported(self, node: Node, zh: str, en: str) -> SqlValue:
        if self.problems is None:
            raise SqlUnsupported(node.pos, {"zh": zh, "en": en})
        self.problems.append((node.pos, {"zh": zh, "en": en}))
        return self.placeholder(node)

    @staticmethod
    def placeholder(node: Node) -> SqlValue:
        """Something of the node's kind to go on compiling with after a problem (probing only)."""
        return SqlValue(null(), kind_of(node.type) or BLANK_K, True)

    # ---- the walk ---------------------------------------------------------------------------------
    def compile(self, node: Node) -> SqlValue:
        if isinstance(node, Literal):
            return self.constant(node.value, node)
        if isinstance(node, FieldRef):
            return self._field(node)
        if isinstance(node, Unary):
            return self._unary(node)
        if isinstance(node, Binary):
            return self._binary(node)
        if isinstance(node, Call):
            return self._call(node)
        if isinstance(node, PathOn):
            return self._path_on(node)
        return self.unsupported(node, "无法转换为数据库查询的表达式", "This expression cannot run in the database")

    def constant(self, value: Any, node: Node | None = None) -> SqlValue:
        """A Python value known while compiling, as a bound parameter."""
        if is_error(value):
            return error_value(kind_of(node.type) or BLANK_K if node is not None else BLANK_K)
        if isinstance(value, Mapping):  # a record known at query time (CURRENT_USER()): only a path on it
            return SqlValue(null(), RECORD_K, False, const=value)
        kind = kind_of_value(value)
        if kind is None:
            if node is None:
                raise TypeError(f"no SQL form for the value {value!r}")
            return self.unsupported(node, "该值无法用于数据库查询", "This value cannot be used in a database query")
        if kind == NUMBER_K:
            return self.numbers.const(value)
        if kind == TEXT_K:
            return self.texts.const(value)
        return SqlValue(bind(value, kind), kind, value is None, const=value)

    def record_used(self, node: Node) -> SqlValue:
        return self.unsupported(node, "记录只能通过字段路径使用", "A record can only be used through one of its fields")

    def folded(self, compute: Callable[[], Any], node: Node) -> SqlValue:
        """A node of constant operands, computed once here by the Python backend's own code."""
        try:
            value = compute()
        except Exception:  # the Python backend turns this into an error of the whole expression
            return self.unsupported(node, "该常量表达式无法计算", "This constant expression cannot be computed")
        return self.constant(value, node)

    def _field(self, node: FieldRef) -> SqlValue:
        if node.list_from is not None:
            return self.unsupported(
                node,
                f"子表字段 {'.'.join(node.path)} 无法在数据库筛选中使用",
                f"The sub-table path {'.'.join(node.path)} cannot be used in a database filter",
            )
        kind = kind_of(node.type)
        if kind is None or kind == BLANK_K:
            return self.unsupported(
                node,
                f"{node.type} 类型的字段无法在数据库筛选中使用",
                f"A field of type {node.type} cannot be used in a database filter",
            )
        col = self.resolver(node.path)
        if kind == NUMBER_K:
            return self.numbers.column(col.expr, col.scale)
        return SqlValue(col.expr, kind, True)

    def _path_on(self, node: PathOn) -> SqlValue:
        base = self.compile(node.base)
        if self.probing and base.const is UNKNOWN and isinstance(node.base, Call):
            return self.placeholder(node)  # a context value, known only when the query runs
        if isinstance(base.const, Mapping):
            v: Any = base.const
            for step in node.path:
                v = v.get(step) if isinstance(v, Mapping) else None
            return self.constant(v, node)
        return self.unsupported(
            node,
            "记录路径只能用于当前用户等查询时已知的值",
            "A record path can only follow a value known when the query runs (such as the current user)",
        )

    def _unary(self, node: Unary) -> SqlValue:
        v = self.compile(node.operand)
        if v.is_const and node.op in operators.UNARY:
            return self.folded(lambda: operators.UNARY[node.op](v.const), node)
        if node.op == "-":
            return self.numbers.negate(self.number(v, node.operand))
        if node.op == "%":
            return self.numbers.arith("/", self.number(v, node.operand), self.numbers.const(Decimal(100)))
        if node.op == "+":
            return v  # Excel's unary plus changes nothing, not even text
        return self.unsupported(node, f"运算符 {node.op} 无法转换为 SQL", f"The operator {node.op} has no SQL form")

    def _binary(self, node: Binary) -> SqlValue:
        op = node.op
        a, b = self.compile(node.left), self.compile(node.right)
        if RECORD_K in (a.kind, b.kind):
            return self.record_used(node.left if a.kind == RECORD_K else node.right)
        if a.is_const and b.is_const and op in operators.BINARY:
            return self.folded(lambda: operators.BINARY[op](a.const, b.const), node)
        if op in _ARITH:
            return self.numbers.arith(op, self.number(a, node.left), self.number(b, node.right))
        if op == "&":
            return self.concat([a, b])
        if op in _COMPARE:
            try:
                return self.comparisons.compare(op, a, b)
            except NeedsConstant:
                return self.unsupported(
                    node,
                    "日期与日期时间字段之间的比较无法在数据库中进行",
                    "A date field compared with a datetime field cannot be evaluated in the database",
                )
        return self.unsupported(node, f"运算符 {op} 无法转换为 SQL", f"The operator {op} has no SQL form")

    def _call(self, node: Call) -> SqlValue:
        spec = self.registry.get(node.name)
        if spec is None:
            return self.unsupported(node, f"未知函数 {node.name}", f"Unknown function {node.name}")
        args = [self.compile(a) for a in node.args]
        for a, n in zip(args, node.args, strict=True):
            if a.kind == RECORD_K:  # never blank, never equal to anything: only a path reads a record
                return self.record_used(n)
        pure = not (spec.volatile or spec.needs_context)
        if pure and all(a.is_const for a in args):
            return self.folded(lambda: call_python(spec, [a.const for a in args]), node)
        if spec.needs_context and spec.sql is None:
            return self.context_value(node.name, node)
        if spec.sql is None:
            return self.unsupported(
                node,
                f"函数 {node.name} 无法在数据库查询中使用",
                f"The function {node.name} cannot be used in a database query",
            )
        check = getattr(spec.sql, "check", None)
        message = check(node.args) if check is not None else None
        if message is not None:
            return self.unsupported(node, message["zh"], message["en"])
        self._call_node = node
        result = spec.sql(self, args, node.args)
        if isinstance(result, SqlValue):
            out = result
        else:  # a form of another engine returning a bare SQL expression
            out = SqlValue(result, kind_of(node.type) or BLANK_K, True)
        if spec.propagate_errors and not spec.lazy:
            out = _with_error(out, any_error(*(a.err for a in args)))
        return out

    def context_value(self, name: str, node: Node | None = None) -> SqlValue:
        """A context function (TODAY, NOW, CURRENT_USER) whose value this query was given."""
        node = node if node is not None else self._call_node
        if name in self.ctx_values:
            return self.constant(self.ctx_values[name], node)
        if self.probing:  # a stand-in of the right kind: the query will bind a constant here
            if isinstance(node.type, RecordType):
                return SqlValue(null(), RECORD_K, False, const={})
            sample = _SAMPLES.get(kind_of(node.type) or "")
            return self.constant(sample, node) if sample is not None else self.placeholder(node)
        raise SqlUnsupported(
            node.pos,
            {"zh": f"查询时没有提供 {name}() 的值", "en": f"No value of {name}() was given for this query"},
        )

    def constant_int(self, v: SqlValue) -> int | ExcelError:
        """A count-like constant argument (digits of ROUND), truncated as the library does."""
        from .functions.numbers import as_int

        n = to_number(v.const) if v.is_const else VALUE
        return as_int(n) if type(n) is Decimal else n

    # ---- coercions for operators and SQL forms -----------------------------------------------------
    def number(self, v: SqlValue, node: Node) -> SqlValue:
        """``to_number`` of the value: blank 0, TRUE 1; numeric text is left to Python."""
        if v.kind == NUMBER_K:
            return v
        if v.kind == BLANK_K:
            return _with_error(self.numbers.const(ZERO), v.err) if v.err is not None else self.numbers.const(ZERO)
        if v.kind == BOOLEAN_K:
            if v.is_const and v.err is None:
                return self.numbers.const(ONE if v.const else ZERO)
            as_int = case((v.expr, literal(1)), else_=literal(0))
            return self.numbers.native_int(as_int, False, v.err)
        return self.unsupported(
            node,
            "文本或日期参与算术运算无法在数据库中进行",
            "Arithmetic on text or dates cannot be evaluated in the database",
        )

    def text(self, v: SqlValue) -> SqlValue:
        """``to_text`` of the value, never NULL."""
        return self.texts.as_text(v)

    def truth(self, v: SqlValue, node: Node) -> tuple[ColumnElement, ColumnElement | None]:
        """``to_bool`` of the value as (condition never NULL, error condition or None)."""
        if v.is_const and v.err is None:
            b = to_bool(v.const)
            return (false(), true()) if is_error(b) else (_bool_const(b), None)
        k = v.kind
        if k == BOOLEAN_K:
            return (v.expr if not v.nullable else _coalesce_false(v.expr)), v.err
        if k == NUMBER_K:
            return not_(self.numbers.is_zero(v)), v.err
        if k == BLANK_K:
            return false(), v.err
        if k in (DATE_K, DATETIME_K):  # a date is no logical: #VALUE! unless blank
            return false(), any_error(v.err, v.expr.is_not(None))
        self.unsupported(
            node,
            "把文本当作逻辑值无法在数据库中进行",
            "Text used as a logical value cannot be evaluated in the database",
        )
        return false(), None

    def concat(self, parts: list[SqlValue]) -> SqlValue:
        """``&`` and CONCATENATE: the texts joined; #VALUE! past Excel's 32767 characters."""
        texts = [self.text(p) for p in parts]
        err = any_error(*(t.err for t in texts))
        if all(t.is_const for t in texts) and err is None:
            joined = "".join(t.const for t in texts)
            if len(joined) > MAX_TEXT_LENGTH:
                return error_value(TEXT_K)
            return self.texts.const(joined)
        expr = texts[0].expr
        for t in texts[1:]:
            expr = expr.concat(t.expr)
        too_long = self.texts.length(expr) > MAX_TEXT_LENGTH
        return SqlValue(expr, TEXT_K, False, any_error(err, too_long))

    # ---- the two ends ---------------------------------------------------------------------------------
    def selected(self, v: SqlValue) -> ColumnElement:
        """The filter condition: TRUE exactly where the value is TRUE or a non-zero number."""
        if v.kind == BOOLEAN_K:
            cond = v.expr if not v.nullable else _coalesce_false(v.expr)
        elif v.kind == NUMBER_K:
            cond = not_(self.numbers.is_zero(v))
        else:
            cond = false()
        if v.is_const and v.err is None:
            return _bool_const(v.const is True or (type(v.const) is Decimal and v.const != 0))
        return cond if v.err is None else and_(not_(v.err), cond)

    def value(self, v: SqlValue) -> ColumnElement:
        """The value for a report dimension, read back as the Python backend's value (Decimal,
        str, bool, date, datetime; None for blank); errors read as NULL."""
        if v.kind == NUMBER_K:
            expr = self.numbers.result_type(v)
        elif v.kind in _RESULT_TYPES:  # e.g. SQLite hands back a computed date as text, a logical as 0/1
            expr = type_coerce(v.expr, _RESULT_TYPES[v.kind])
        else:
            expr = null()
        if v.err is None:
            return expr
        return case((v.err, null()), else_=expr)


_RESULT_TYPES = {TEXT_K: String(), BOOLEAN_K: Boolean(), DATE_K: Date(), DATETIME_K: DateTime()}

_SAMPLES: dict[str, Any] = {
    NUMBER_K: ONE,
    TEXT_K: "x",
    BOOLEAN_K: True,
    DATE_K: _dt.date(2000, 1, 1),
    DATETIME_K: _dt.datetime(2000, 1, 1, 12, 0),
}


# ---- helpers -------------------------------------------------------------------------------------------

def call_python(spec: FunctionSpec, values: list[Any]) -> Any:
    """A function of constant arguments, called the way the Python backend calls it."""
    if spec.propagate_errors and not spec.lazy:
        for v in values:
            if type(v) is ExcelError:
                return v
    if spec.lazy:
        return spec.impl(*[(lambda v=v: v) for v in values])
    return spec.impl(*values)


def _with_error(v: SqlValue, err: ColumnElement | None) -> SqlValue:
    if err is None:
        return v
    return SqlValue(v.expr, v.kind, v.nullable, any_error(v.err, err), v.scale, UNKNOWN)


def _bool_const(b: bool) -> ColumnElement:
    return true() if b else false()


def _coalesce_false(expr: ColumnElement) -> ColumnElement:
    return func.coalesce(expr, false())


def _standard_registry() -> FunctionRegistry:
    from .functions import standard_registry

    return standard_registry()

