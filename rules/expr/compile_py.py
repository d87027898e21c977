"""The Python backend: a checked tree becomes one Python function ``fn(record, ctx)``, generated as
source and compiled once.

Why generate source: a tree-walking evaluator pays a call per node; the generated function keeps
every intermediate in a local and tries a fast path inline (``a * b`` when both are already
Decimals) before falling back to operators.py for blanks, text, dates and errors.

Why it is safe: no text of the user is ever put into the source. Literals, field names and function
implementations reach the code as constants of its globals (``_k3``), and every identifier in the
source is one this module made up. The globals hold ``__builtins__: {}`` and nothing but the
helpers below; records are read with ``dict.get`` (or operators.step for other Mappings), never
with getattr; no name with a dunder can be spelled by an expression.
"""
from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Callable, Mapping

from . import operators as ops
from .checker import check
from .nodes import Binary, Call, FieldRef, Literal, Node, PathOn, Unary, walk
from .registry import EvalContext, FunctionRegistry, FunctionSpec
from .types import ANY, DATE, DATETIME, NUMERIC, TEXTUAL, ListType, RecordType, Type
from .values import MAX_TEXT_LENGTH, NUM, VALUE, ExcelError, fold_text, settle, settle_round

_INDENT = "    "
# Python refuses more than 100 levels of indentation; IF branches past this depth become functions.
_MAX_INLINE_LEVEL = 40

_FAST_ARITH = {"+": "+", "-": "-", "*": "*"}
_FAST_COMPARE = {"=": "==", "<>": "!=", "<": "<", "<=": "<=", ">": ">", ">=": ">="}
_PYTYPES = {"_D": Decimal, "_str": str, "_bool": bool, "_date": _dt.date, "_datetime": _dt.datetime}
_HELPERS = {
    "+": "_add", "-": "_sub", "*": "_mul", "/": "_div", "^": "_pow", "&": "_cat",
    "=": "_eq", "<>": "_ne", "<": "_lt", "<=": "_le", ">": "_gt", ">=": "_ge",
}


@dataclass(frozen=True)
class CompiledExpression:
    """An expression checked and compiled once. ``fn(record, ctx)`` evaluates it; ``reads`` lists the
    field paths it reads (formula dependency order); ``source`` is the generated Python, for the
    curious."""

    text: str
    tree: Node
    type: Type
    reads: frozenset[tuple[str, ...]]
    fn: Callable[[Mapping[str, Any], EvalContext], Any] = field(repr=False)
    source: str = field(default="", repr=False)

    def __call__(self, record: Mapping[str, Any], ctx: EvalContext | None = None) -> Any:
        return self.fn(record, ctx if ctx is not None else EvalContext())


def compile_expression(text: str, scope: RecordType, registry: FunctionRegistry) -> CompiledExpression:
    """Check ``text`` against ``scope`` and compile it; raises ExprError when it does not check."""
    tree = check(text, scope, registry)
    fn, source = compile_tree(tree, registry)
    return CompiledExpression(text, tree, tree.type, reads_of(tree), fn, source)


def reads_of(tree: Node) -> frozenset[tuple[str, ...]]:
    return frozenset(n.path for n in walk(tree) if isinstance(n, FieldRef))


def compile_tree(tree: Node, registry: FunctionRegistry) -> tuple[Callable[..., Any], str]:
    gen = _Generator(registry)
    source = gen.module(tree)
    namespace = dict(gen.globals)
    exec(compile(source, "<jimu-expression>", "exec"), namespace)  # noqa: S102 - our own source, see above
    return namespace["_expr"], source


def _const_thunk(value: Any) -> Callable[[], Any]:
    return lambda: value


class _Generator:
    def __init__(self, registry: FunctionRegistry) -> None:
        self.registry = registry
        self.n = 0
        self.consts: dict[str, Any] = {"None": None, "True": True, "False": False}
        self._const_names: dict[tuple, str] = {}
        self.aux: list[list[str]] = []
        # field paths already read into a temporary on the current straight-line path of the code
        # (temporaries are never reassigned, so a read may be reused by everything after it)
        self.known: dict[tuple, str] = {}
        self.globals: dict[str, Any] = {
            "__builtins__": {},
            "type": type, "len": len, "_bool": bool, "_D": Decimal, "_E": ExcelError, "_str": str,
            "_dict": dict,
            "_date": _dt.date, "_datetime": _dt.datetime, "_fold": fold_text, "_MAXT": MAX_TEXT_LENGTH,
            "_NUM": NUM, "_VALUE": VALUE, "_H": Decimal(100),
            "_ArithmeticError": ArithmeticError, "_ValueError": ValueError, "_TypeError": TypeError,
            "_add": ops.add, "_sub": ops.sub, "_mul": ops.mul, "_div": ops.div, "_pow": ops.power,
            "_cat": ops.concat, "_eq": ops.eq, "_ne": ops.ne, "_lt": ops.lt, "_le": ops.le, "_gt": ops.gt,
            "_ge": ops.ge, "_neg": ops.neg, "_pct": ops.pct, "_step": ops.step, "_lpath": ops.list_path,
            "_cond": ops.condition, "_col": ops.column, "_settle": settle, "_p20": settle_round,
        }

    # --- names -----------------------------------------------------------------------------------
    def fresh(self, prefix: str = "_v") -> str:
        self.n += 1
        return f"{prefix}{self.n}"

    def const(self, value: Any) -> str:
        if value is None or type(value) is bool:
            return repr(value)
        key = (type(value), repr(value)) if type(value) in (Decimal, str, tuple, ExcelError) else (id(value),)
        name = self._const_names.get(key)
        if name is None:
            name = self.fresh("_k")
            self._const_names[key] = name
            self.globals[name] = value
            self.consts[name] = value
        return name

    def is_const(self, name: str) -> bool:
        return name in self.consts

    # --- the module --------------------------------------------------------------------------------
    def module(self, tree: Node) -> str:
        body: list[str] = []
        result = self.expr(tree, body, 2)
        lines = ["def _expr(r, ctx):", _INDENT + "try:"]
        lines += body
        lines += [
            _INDENT * 2 + f"return {result}",
            # Decimal overflow, dates past 9999: an error value, never an exception out of a formula
            _INDENT + "except _ArithmeticError:",
            _INDENT * 2 + "return _NUM",
            _INDENT + "except (_ValueError, _TypeError):",
            _INDENT * 2 + "return _VALUE",
        ]
        for fn in self.aux:
            lines += [""] + fn
        return "\n".join(lines) + "\n"

    def function(self, node: Node) -> str:
        """``node`` as a top-level function of (r, ctx); returns its name."""
        name = self.fresh("_a")
        body: list[str] = []
        saved, self.known = self.known, {}
        result = self.expr(node, body, 1)
        self.known = saved
        self.aux.append([f"def {name}(r, ctx):", *body, _INDENT + f"return {result}"])
        return name

    # --- nodes -------------------------------------------------------------------------------------
    def expr(self, node: Node, out: list[str], level: int) -> str:
        if isinstance(node, Literal):
            return self.const(node.value)
        if isinstance(node, FieldRef):
            return self.field_ref(node, out, level)
        if isinstance(node, Binary):
            return self.binary(node, out, level)
        if isinstance(node, Unary):
            return self.unary(node, out, level)
        if isinstance(node, Call):
            return self.call(node, out, level)
        if isinstance(node, PathOn):
            base = self.expr(node.base, out, level)
            return self.path(base, node.path, node.type, out, level)
        raise TypeError(f"unknown node {type(node).__name__}")  # pragma: no cover

    def field_ref(self, node: FieldRef, out: list[str], level: int) -> str:
        ind = _INDENT * level
        path = node.path
        if isinstance(node.type, ListType):
            key = ("list", path)
            v = self.known.get(key)
            if v is None:
                v = self.fresh()
                if len(path) == 2 and node.list_from == 0:  # lines.subtotal: one column of a sub-table
                    rows = self.field_ref(FieldRef(ANY, None, path[:1]), out, level)
                    out.append(f"{ind}{v} = _col({rows}, {self.const(path[1])})")
                else:
                    out.append(f"{ind}{v} = _lpath(r, {self.const(tuple(path))})")
                self.known[key] = v
            return v
        start = len(path)
        while start > 0 and path[:start] not in self.known:
            start -= 1
        v = self.known[path[:start]] if start else "r"
        for i in range(start, len(path)):
            k = self.const(path[i])
            t = self.fresh()
            if i == 0:  # the record itself is a Mapping: its fields are a plain get
                out.append(f"{ind}{t} = r.get({k})")
            else:
                out.append(f"{ind}{t} = {v}.get({k}) if type({v}) is _dict else _step({v}, {k})")
            self.known[path[:i + 1]] = t
            v = t
        return v

    def path(self, base: str, path: tuple[str, ...], typ: Type, out: list[str], level: int) -> str:
        """A path on a computed record (PathOn): nothing to reuse, every step checked."""
        ind = _INDENT * level
        v = self.fresh()
        if isinstance(typ, ListType):
            out.append(f"{ind}{v} = _lpath({base}, {self.const(tuple(path))})")
            return v
        out.append(f"{ind}{v} = {base}")
        for name in path:
            k = self.const(name)
            out.append(f"{ind}{v} = {v}.get({k}) if type({v}) is _dict else _step({v}, {k})")
        return v

    def unary(self, node: Unary, out: list[str], level: int) -> str:
        a = self.expr(node.operand, out, level)
        if node.op == "+":
            return a
        helper = "_neg" if node.op == "-" else "_pct"
        if self.is_const(a):
            folded = self.fold(ops.UNARY[node.op], self.consts[a])
            if folded is not None:
                return folded
        ind = _INDENT * level
        t = self.fresh()
        fast = f"-{a}" if node.op == "-" else f"{a} / _H"
        out.append(f"{ind}if type({a}) is _D: {t} = {fast}")
        out.append(f"{ind}else: {t} = {helper}({a})")
        return t

    def fold(self, fn: Callable[..., Any], *values: Any) -> str | None:
        """Operators over constants are computed once, at compile time, by the same helpers."""
        try:
            v = fn(*values)
        except Exception:  # leave it to run time, where the function's error handling applies
            return None
        if v is None or type(v) in (Decimal, str, bool, ExcelError):
            return self.const(v)
        return None

    def binary(self, node: Binary, out: list[str], level: int) -> str:
        a = self.expr(node.left, out, level)
        b = self.expr(node.right, out, level)
        op = node.op
        if self.is_const(a) and self.is_const(b):
            folded = self.fold(ops.BINARY[op], self.consts[a], self.consts[b])
            if folded is not None:
                return folded
        ind = _INDENT * level
        t = self.fresh()
        slow = f"{_HELPERS[op]}({a}, {b})"
        lt, rt = node.left.type, node.right.type
        fast = None
        days = self.const_days(b) if op in ("+", "-") and lt in (DATE, DATETIME) else None
        if days is not None:  # due + 30: a date shifted by whole days
            fast = (f"type({a}) is {'_date' if lt == DATE else '_datetime'}", f"{a} {op} {days}")
        elif op in _FAST_ARITH and _maybe_number(lt) and _maybe_number(rt):
            fast = self.guard("_D", (a, b), f"{a} {op} {b}")
        elif op == "/" and _maybe_number(lt) and _maybe_number(rt):
            fast = self.guard("_D", (a, b), f"{a} / {b}", b)
        elif op == "&" and _maybe_text(lt) and _maybe_text(rt):
            fast = self.guard("_str", (a, b), f"{a} + {b}", f"len({a}) + len({b}) <= _MAXT")
        elif op in _FAST_COMPARE:
            fast = self.compare_fast(op, a, b, lt, rt)
        if fast is None:
            out.append(f"{ind}{t} = {slow}")
        elif op in ("*", "/"):  # a product or quotient settles (values.settle)
            out.append(f"{ind}if {fast[0]}:")
            out.append(f"{ind}{_INDENT}{t} = {fast[1]}")
            # inline: a number of at most 20 digits (nearly every one) costs one comparison, no call
            out.append(f"{ind}{_INDENT}if {t} != _p20({t}): {t} = _settle({t})")
            out.append(f"{ind}else: {t} = {slow}")
        else:
            out.append(f"{ind}if {fast[0]}: {t} = {fast[1]}")
            out.append(f"{ind}else: {t} = {slow}")
        return t

    def guard(self, pytype: str, names: tuple[str, ...], code: str, *more: str) -> tuple[str, str] | None:
        """(condition, code) of a fast path taken when every operand has the Python type ``pytype``;
        a constant operand is known already (and of another type, there is no fast path)."""
        tests = self.type_tests(pytype, *names)
        if tests is None:
            return None
        condition = " and ".join([t for t in (tests, *more) if t])
        return (condition, code) if condition else None

    def const_days(self, name: str) -> str | None:
        """A constant whole number of days as a timedelta constant, else None."""
        v = self.consts.get(name) if self.is_const(name) else None
        if type(v) is Decimal and v == v.to_integral_value() and abs(v) <= 3_000_000:
            return self.const(_dt.timedelta(days=int(v)))
        return None

    def folded(self, name: str) -> str:
        """Code for the case-folded text of ``name``; a constant is folded once, here."""
        if self.is_const(name) and type(self.consts[name]) is str:
            return self.const(fold_text(self.consts[name]))
        return f"_fold({name})"

    def type_tests(self, pytype: str, *names: str) -> str | None:
        """``type(x) is T and ...`` for the operands not known at compile time; None when a constant
        operand is not of that type (the fast path does not apply)."""
        expected = _PYTYPES[pytype]
        for n in names:
            if self.is_const(n) and type(self.consts[n]) is not expected:
                return None
        return " and ".join(f"type({n}) is {pytype}" for n in names if not self.is_const(n))

    def compare_fast(self, op: str, a: str, b: str, lt: Type, rt: Type) -> tuple[str, str] | None:
        pyop = _FAST_COMPARE[op]
        if _maybe_number(lt) and _maybe_number(rt):
            return self.guard("_D", (a, b), f"{a} {pyop} {b}")
        if _maybe_text(lt) and _maybe_text(rt):
            fa, fb = self.folded(a), self.folded(b)
            if op == "=":
                return self.guard("_str", (a, b), f"{a} == {b} or {fa} == {fb}")
            if op == "<>":
                return self.guard("_str", (a, b), f"{a} != {b} and {fa} != {fb}")
            return self.guard("_str", (a, b), f"{fa} {pyop} {fb}")
        for static, pytype in ((DATE, "_date"), (DATETIME, "_datetime")):
            if lt == static and rt == static:
                return self.guard(pytype, (a, b), f"{a} {pyop} {b}")
        return None

    # --- calls -------------------------------------------------------------------------------------
    def call(self, node: Call, out: list[str], level: int) -> str:
        spec = self.registry.get(node.name)
        if spec is None:  # pragma: no cover - the checker resolved it against the same registry
            raise KeyError(node.name)
        if _is_standard_if(spec) and len(node.args) in (2, 3):
            return self.inline_if(node, out, level)
        ind = _INDENT * level
        t = self.fresh()
        f = self.const(spec.impl)
        prefix = "ctx, " if spec.needs_context else ""
        if spec.field_args:  # the fields' names, and the record they are read from (OLD)
            paths = [self.const(getattr(a, "path", None)) for a in node.args]
            out.append(f"{ind}{t} = {f}({prefix}r, {', '.join(paths)})")
            return t
        if spec.lazy:
            thunks = [self.thunk(a) for a in node.args]
            out.append(f"{ind}{t} = {f}({prefix}{', '.join(thunks)})")
            return t
        args = [self.expr(a, out, level) for a in node.args]
        invoke = f"{f}({prefix}{', '.join(args)})"
        logic = _standard_logic(spec)
        if logic and all(not self.is_const(a) or type(self.consts[a]) is bool for a in args):
            # AND/OR/NOT over logicals are Python's own and/or/not; anything else takes the full call
            tests = self.type_tests("_bool", *args)  # never None: constants here are logicals
            fast = (f" {logic} ".join(args) if logic != "not" else f"not {args[0]}")
            if tests:
                out.append(f"{ind}if {tests}: {t} = {fast}")
                out.append(f"{ind}else:")
                self.guarded_call(spec, args, invoke, t, out, level + 1)
                return t
        self.guarded_call(spec, args, invoke, t, out, level)
        return t

    def guarded_call(self, spec: FunctionSpec, args: list[str], invoke: str, t: str, out: list[str],
                     level: int) -> None:
        """The call, after the first error among the arguments when the function propagates them."""
        ind = _INDENT * level
        tests: list[tuple[str, str]] = []
        if spec.propagate_errors:
            for a in args:
                if self.is_const(a):
                    if type(self.consts[a]) is ExcelError:
                        tests.append(("True", a))
                        break
                    continue
                tests.append((f"type({a}) is _E", a))
        if not tests:
            out.append(f"{ind}{t} = {invoke}")
            return
        for i, (test, a) in enumerate(tests):
            out.append(f"{ind}{'if' if i == 0 else 'elif'} {test}: {t} = {a}")
        out.append(f"{ind}else: {t} = {invoke}")

    def thunk(self, node: Node) -> str:
        if isinstance(node, Literal):
            return self.const(_const_thunk(node.value))
        return f"lambda: {self.function(node)}(r, ctx)"

    def inline_if(self, node: Call, out: list[str], level: int) -> str:
        """IF compiled in place, with exactly the standard IF's meaning (logic._if): the condition
        read as a logical, an error condition is the result, the branch not taken is never run."""
        ind = _INDENT * level
        c = self.expr(node.args[0], out, level)
        t = self.fresh()
        if self.is_const(c):  # IF(TRUE, ...) folds to its branch, IF("x", ...) to #VALUE!
            cv = ops.condition(self.consts[c])
            if type(cv) is not bool:
                return self.const(cv)
            if cv:
                return self.expr(node.args[1], out, level)
            return self.expr(node.args[2], out, level) if len(node.args) == 3 else "False"
        b = self.fresh()
        out.append(f"{ind}{b} = {c} if {c} is True or {c} is False else _cond({c})")
        out.append(f"{ind}if {b} is True:")
        self.branch(node.args[1], t, out, level + 1)
        out.append(f"{ind}elif {b} is False:")
        if len(node.args) == 3:
            self.branch(node.args[2], t, out, level + 1)
        else:
            out.append(f"{ind}{_INDENT}{t} = False")
        out.append(f"{ind}else: {t} = {b}")
        return t

    def branch(self, node: Node, target: str, out: list[str], level: int) -> None:
        """One arm of an IF; what it reads stays inside it (the other arm cannot rely on it)."""
        ind = _INDENT * level
        if level > _MAX_INLINE_LEVEL and not isinstance(node, Literal):
            out.append(f"{ind}{target} = {self.function(node)}(r, ctx)")
            return
        saved = dict(self.known)
        v = self.expr(node, out, level)
        self.known = saved
        out.append(f"{ind}{target} = {v}")


def _maybe_number(t: Type) -> bool:
    return t in NUMERIC or t.name == "any"


def _maybe_text(t: Type) -> bool:
    return t in TEXTUAL or t.name == "any"


def _standard_logic(spec: FunctionSpec) -> str | None:
    """"and"/"or"/"not" when ``spec`` is the standard library's AND/OR/NOT, whose meaning over
    logicals is Python's; None for any other function (or a replaced implementation)."""
    impl = spec.impl
    if getattr(impl, "__module__", "") != "rules.expr.functions.logic":
        return None
    return {"_and": "and", "_or": "or", "_not": "not"}.get(getattr(impl, "__qualname__", ""))


def _is_standard_if(spec: FunctionSpec) -> bool:
    """Inline IF only when the registry holds the standard library's own IF; an engine that replaced
    it gets its implementation called, thunks and all."""
    impl = spec.impl
    return (spec.lazy and getattr(impl, "__module__", "") == "rules.expr.functions.logic"
            and getattr(impl, "__qualname__", "") == "_if")
