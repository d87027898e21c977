"""The type checker: a lark tree, the scope's RecordType and a FunctionRegistry in, the checked tree
(nodes.py) out. Every name is resolved here, so backends never look at text again.

Unknown fields and functions, wrong argument counts and values of the wrong kind (a record or a list
where a single value is wanted) raise ExprError pointing at the culprit, with a suggestion when a
known name is close.
"""
from __future__ import annotations

import difflib
from decimal import Decimal, InvalidOperation
from typing import Any, Mapping, Sequence

from lark import Token, Tree

from . import errors as E
from .errors import ExprError, error_at
from .nodes import Binary, Call, FieldRef, Literal, Node, PathOn, Pos, Unary
from .parser import MAX_DEPTH, parse, too_deep
from .registry import FunctionRegistry, FunctionSpec
from .types import (
    ANY,
    BLANK,
    BOOLEAN,
    DATE,
    DATETIME,
    ERROR,
    MONEY,
    NUMBER,
    NUMERIC,
    TEXT,
    TIME,
    ListType,
    RecordType,
    Type,
    fits,
)

_TEMPORAL = frozenset({DATE, DATETIME, TIME})
_COMPARISONS = {"=": "=", "==": "=", "<>": "<>", "!=": "<>", "<": "<", "<=": "<=", ">": ">", ">=": ">="}
_MAX_LITERAL_EXPONENT = 308  # Excel's range; keeps every number printable in a few hundred characters


def check(text: str, scope: RecordType, registry: FunctionRegistry) -> Node:
    """Parse and type-check ``text`` against the fields of ``scope``; raises ExprError."""
    tree = parse(text)
    try:
        return _Checker(text, scope, registry).node(tree, 1)
    except RecursionError:  # the depth bound should make this unreachable; never let it escape
        raise too_deep(text, None, None) from None


class _Checker:
    def __init__(self, text: str, scope: RecordType, registry: FunctionRegistry) -> None:
        self.text = text
        self.scope = scope
        self.registry = registry
        self._fields: dict[int, tuple[RecordType, Mapping[str, Type]]] = {}

    # --- dispatch ------------------------------------------------------------------------------
    def node(self, t: Tree | Token, depth: int) -> Node:
        if depth > MAX_DEPTH:
            line, column = _start(t)
            raise too_deep(self.text, line, column)
        handler = getattr(self, "_" + str(t.data), None) if isinstance(t, Tree) else None
        if handler is None:  # pragma: no cover - every rule of the grammar has a handler
            raise self.err(E.PARSE, t, "无法识别的表达式", "unrecognised expression")
        return handler(t, depth)

    def err(self, code: str, where: Tree | Token | None, zh: str, en: str) -> ExprError:
        line, column = _start(where) if where is not None else (None, None)
        return error_at(code, self.text, line, column, zh, en)

    def source(self, t: Tree | Token) -> str:
        if isinstance(t, Token):
            s = str(t)
        else:
            s = self.text[t.meta.start_pos:t.meta.end_pos]
        return s if len(s) <= 40 else s[:40] + "..."

    def fields_of(self, rt: RecordType) -> Mapping[str, Type]:
        """A RecordType's fields may be computed on each access (lazy relations); read them once."""
        hit = self._fields.get(id(rt))
        if hit is None:
            hit = (rt, rt.fields)
            self._fields[id(rt)] = hit
        return hit[1]

    # --- literals ------------------------------------------------------------------------------
    def _number(self, t: Tree, depth: int) -> Node:
        tok = t.children[0]
        try:
            value = Decimal(str(tok))
        except InvalidOperation:  # pragma: no cover - the NUMBER terminal only matches numerals
            raise self.err(E.PARSE, tok, "数字格式不对", "malformed number") from None
        if value and abs(value.adjusted()) > _MAX_LITERAL_EXPONENT:
            raise self.err(E.PARSE, tok, f"数字超出范围 (±1E{_MAX_LITERAL_EXPONENT})",
                           f"number out of range (±1E{_MAX_LITERAL_EXPONENT})")
        return Literal(NUMBER, _pos(t), value)

    def _string(self, t: Tree, depth: int) -> Node:
        raw = str(t.children[0])
        quote = raw[0]
        return Literal(TEXT, _pos(t), raw[1:-1].replace(quote * 2, quote))

    def _true(self, t: Tree, depth: int) -> Node:
        return Literal(BOOLEAN, _pos(t), True)

    def _false(self, t: Tree, depth: int) -> Node:
        return Literal(BOOLEAN, _pos(t), False)

    # --- fields and paths ----------------------------------------------------------------------
    def _name(self, t: Tree, depth: int) -> Node:
        return self.field_path(t, [t.children[0]])

    def _braced(self, t: Tree, depth: int) -> Node:
        return self.field_path(t, [t.children[0]])

    def _path(self, t: Tree, depth: int) -> Node:
        base, steps = t.children[0], [s.children[0] for s in t.children[1:]]
        if isinstance(base, Tree) and base.data in ("name", "braced"):
            return self.field_path(t, [base.children[0], *steps])
        node = self.node(base, depth + 1)
        path, typ = self.follow(node.type, steps, self.source(base))
        return PathOn(typ, _pos(t), node, path)

    def field_path(self, t: Tree, steps: list[Token]) -> FieldRef:
        path, typ, list_from = self.resolve(self.scope, steps, None)
        return FieldRef(typ, _pos(t), path, list_from)

    def follow(self, base: Type, steps: list[Token], base_text: str) -> tuple[tuple[str, ...], Type]:
        """A path on a computed record (``CURRENT_USER().department``)."""
        if not (base in (ANY, ERROR, BLANK) or isinstance(base, RecordType)
                or (isinstance(base, ListType) and (isinstance(base.item, RecordType) or base.item == ANY))):
            first = _step_text(steps[0])
            raise self.err(E.TYPE, steps[0], f"'{base_text}' 是{_kind_zh(base)}, 没有字段 '{first}'",
                           f"'{base_text}' is {_kind_en(base)} and has no field '{first}'")
        path, typ, _ = self.resolve(base, steps, None, owner=base_text)
        return path, typ

    def resolve(self, start: Type, steps: list[Token], list_from: int | None,
                owner: str | None = None) -> tuple[tuple[str, ...], Type, int | None]:
        path: list[str] = []
        t = start
        in_list = False
        for tok in steps:
            if isinstance(t, ListType):
                in_list = True
                if list_from is None and path:
                    list_from = len(path) - 1
                t = t.item
            if t in (ANY, ERROR, BLANK):
                path.append(_step_text(tok))
                t = ANY
                continue
            if not isinstance(t, RecordType):
                prev = ".".join(path) or owner or ""
                raise self.err(E.TYPE, tok, f"'{prev}' 是{_kind_zh(t)}, 没有字段 '{_step_text(tok)}'",
                               f"'{prev}' is {_kind_en(t)} and has no field '{_step_text(tok)}'")
            name = self.field_name(t, tok, ".".join(path) or owner)
            path.append(name)
            t = self.fields_of(t)[name]
        if in_list:
            t = t if isinstance(t, ListType) else ListType(t)
        return tuple(path), t, list_from

    def field_name(self, rt: RecordType, tok: Token, owner: str | None) -> str:
        fields = self.fields_of(rt)
        braced = tok.type == "BRACED"
        word = _step_text(tok)
        if word in fields:
            return word
        if braced and word in rt.labels and rt.labels[word] in fields:
            return rt.labels[word]
        candidates = list(fields) + [lb for lb in rt.labels if rt.labels[lb] in fields]
        hint = _suggest(word, candidates)
        # a label, or a key that is no identifier, is only reachable in braces: suggest it so
        shown = hint if hint is None or (hint in fields and hint.isidentifier()) else "{" + hint + "}"
        if owner:
            zh = f"'{owner}' 没有字段 '{word}'"
            en = f"'{owner}' has no field '{word}'"
        else:
            zh, en = f"未知字段 '{word}'", f"unknown field '{word}'"
        if hint is not None:
            zh += f",是否想输入 '{shown}'?"
            en += f", did you mean '{shown}'?"
        raise self.err(E.UNKNOWN_FIELD, tok, zh, en)

    # --- functions -----------------------------------------------------------------------------
    def _call(self, t: Tree, depth: int) -> Node:
        name_tok, arg_trees = t.children[0], t.children[1:]
        name = str(name_tok).upper()
        spec = self.registry.get(name)
        if spec is None and name in ("TRUE", "FALSE") and not arg_trees:
            return Literal(BOOLEAN, _pos(t), name == "TRUE")
        if spec is None:
            hint = _suggest(name, self.registry.names())
            zh, en = f"未知函数 '{name_tok}'", f"unknown function '{name_tok}'"
            if hint:
                zh += f",是否想输入 '{hint}'?"
                en += f", did you mean '{hint}'?"
            raise self.err(E.UNKNOWN_FUNCTION, name_tok, zh, en)
        args = [self.node(a, depth + 1) for a in arg_trees]
        return self.call(spec, t, name_tok, arg_trees, args)

    def keyword_call(self, name: str, t: Tree, operands: Sequence[Tree | Token], depth: int) -> Node:
        spec = self.registry.get(name)
        if spec is None:
            raise self.err(E.UNKNOWN_FUNCTION, t, f"函数库中没有 {name}",
                           f"the function library has no {name}")
        args = [self.node(a, depth + 1) for a in operands]
        return self.call(spec, t, t, list(operands), args)

    def call(self, spec: FunctionSpec, t: Tree, name_at: Tree | Token, arg_trees: Sequence[Any],
             args: list[Node]) -> Node:
        n, lo, hi = len(args), spec.min_args(), spec.max_args()
        if n < lo or (hi is not None and n > hi):
            if hi is None:
                zh_need, en_need = f"至少 {lo} 个参数", f"at least {lo} argument{'s' if lo != 1 else ''}"
            elif lo == hi:
                zh_need, en_need = f"{lo} 个参数", f"{lo} argument{'s' if lo != 1 else ''}"
            else:
                zh_need, en_need = f"{lo} 到 {hi} 个参数", f"{lo} to {hi} arguments"
            sig = spec.signature()
            raise self.err(E.ARG_COUNT, name_at, f"{spec.name} 需要{zh_need}, 实际给了 {n} 个: {sig}",
                           f"{spec.name} takes {en_need}, got {n}: {sig}")
        params = list(spec.params)
        for i, (arg, tree) in enumerate(zip(args, arg_trees)):
            param = params[min(i, len(params) - 1)]
            if not fits(arg.type, param.type):
                raise self.err(E.TYPE, tree,
                               f"{spec.name} 的第 {i + 1} 个参数 ({param.name}) 应为{_kind_zh(param.type)}, "
                               f"'{self.source(tree)}' 是{_kind_zh(arg.type)}",
                               f"argument {i + 1} of {spec.name} ({param.name}) must be "
                               f"{_kind_en(param.type)}, "
                               f"'{self.source(tree)}' is {_kind_en(arg.type)}")
        if spec.check is not None:
            problem = spec.check(args)
            if problem:
                zh, en = _split_message(problem)
                raise self.err(E.TYPE, name_at, zh, en)
        try:
            typ = spec.return_type([a.type for a in args])
        except Exception:  # a return-type rule that cannot cope with odd arguments: be permissive
            typ = ANY
        return Call(typ, _pos(t), spec.name.upper(), tuple(args))

    # --- operators -----------------------------------------------------------------------------
    def _leading_eq(self, t: Tree, depth: int) -> Node:
        op, expr = t.children
        if str(op) != "=":
            raise self.err(E.PARSE, op, f"这里不应出现 '{op}'", f"unexpected '{op}'")
        return self.node(expr, depth)

    def _sign(self, t: Tree, depth: int) -> Node:
        op, operand = t.children
        node = self.node(operand, depth + 1)
        self.scalar(node, operand, str(op))
        if str(op) == "+":
            typ = node.type
        else:
            typ = node.type if node.type in NUMERIC else NUMBER
        return Unary(typ, _pos(t), str(op), node)

    def _percent(self, t: Tree, depth: int) -> Node:
        node = self.node(t.children[0], depth + 1)
        self.scalar(node, t.children[0], "%")
        return Unary(NUMBER, _pos(t), "%", node)

    def _not_op(self, t: Tree, depth: int) -> Node:
        return self.keyword_call("NOT", t, t.children, depth)

    def _and_expr(self, t: Tree, depth: int) -> Node:
        return self.keyword_call("AND", t, t.children, depth)

    def _or_expr(self, t: Tree, depth: int) -> Node:
        return self.keyword_call("OR", t, t.children, depth)

    def _power(self, t: Tree, depth: int) -> Node:
        return self.chain(t, depth, [("^", c) for c in t.children])

    def _concat(self, t: Tree, depth: int) -> Node:
        return self.chain(t, depth, [("&", c) for c in t.children])

    def _product(self, t: Tree, depth: int) -> Node:
        return self.chain(t, depth, _pairs(t.children))

    def _sum(self, t: Tree, depth: int) -> Node:
        return self.chain(t, depth, _pairs(t.children))

    def _comparison(self, t: Tree, depth: int) -> Node:
        return self.chain(t, depth, [(_COMPARISONS[op], c) for op, c in _pairs(t.children)])

    def chain(self, t: Tree, depth: int, items: list[tuple[str, Any]]) -> Node:
        """``a + b - c`` folds left: ((a + b) - c). The k-th operand sits len-k levels down."""
        n = len(items)
        _, first = items[0]
        left = self.node(first, depth + n - 1)
        self.scalar(left, first, items[1][0])
        for i in range(1, n):
            op, operand_tree = items[i]
            right = self.node(operand_tree, depth + n - i)
            self.scalar(right, operand_tree, op)
            typ = _result_type(op, left.type, right.type)
            left = Binary(typ, _span(first, operand_tree), op, left, right)
        return left

    def scalar(self, node: Node, tree: Any, op: str) -> None:
        if isinstance(node.type, (RecordType, ListType)):
            what = self.source(tree)
            hint_zh = " (列表请用 SUM 等函数汇总)" if isinstance(node.type, ListType) else ""
            hint_en = " (aggregate a list with SUM and friends)" if isinstance(node.type, ListType) else ""
            raise self.err(E.TYPE, tree, f"'{what}' 是{_kind_zh(node.type)}, 不能用于 '{op}'{hint_zh}",
                           f"'{what}' is {_kind_en(node.type)} and cannot be used with '{op}'{hint_en}")


# --- static typing of operators -------------------------------------------------------------------

def _result_type(op: str, lt: Type, rt: Type) -> Type:
    if op in ("=", "<>", "<", "<=", ">", ">="):
        return BOOLEAN
    if op == "&":
        return TEXT
    if op == "+":
        if lt in _TEMPORAL and rt in _TEMPORAL:
            return ERROR
        if lt in _TEMPORAL:
            return lt
        if rt in _TEMPORAL:
            return rt
        if ANY in (lt, rt):
            return ANY
    if op == "-":
        if lt in _TEMPORAL:
            if rt in _TEMPORAL:
                return NUMBER
            return ANY if rt == ANY else lt
        if rt in _TEMPORAL:
            return ERROR
        if ANY in (lt, rt):
            return ANY
    return _numeric_kind(op, lt, rt)


def _numeric_kind(op: str, lt: Type, rt: Type) -> Type:
    """Money stays money through + - and through * or / by a plain number."""
    if op in ("+", "-"):
        if MONEY in (lt, rt):
            return MONEY
        return lt if lt == rt and lt in NUMERIC else NUMBER
    if op == "*":
        return MONEY if MONEY in (lt, rt) else NUMBER
    if op == "/":
        return MONEY if lt == MONEY and rt != MONEY else NUMBER
    return NUMBER


# --- helpers ----------------------------------------------------------------------------------------

def _pairs(children: list) -> list[tuple[str, Any]]:
    """[a, op1, b, op2, c] -> [("", a), (op1, b), (op2, c)]; the first operand takes the first operator
    for error messages."""
    out = [(str(children[1]) if len(children) > 1 else "", children[0])]
    for i in range(1, len(children), 2):
        out.append((str(children[i]), children[i + 1]))
    return out


def _step_text(tok: Token) -> str:
    s = str(tok)
    return s[1:-1].strip() if tok.type == "BRACED" else s


def _suggest(word: str, candidates: Sequence[str]) -> str | None:
    cands = [c for c in candidates if c]
    folded = {c.lower(): c for c in cands}
    if word.lower() in folded:
        return folded[word.lower()]
    hits = difflib.get_close_matches(word, cands, n=1, cutoff=0.6)
    if not hits:
        hits = difflib.get_close_matches(word.lower(), list(folded), n=1, cutoff=0.6)
        hits = [folded[h] for h in hits]
    return hits[0] if hits else None


def _split_message(problem: Any) -> tuple[str, str]:
    if isinstance(problem, Mapping):
        return str(problem.get("zh", "")), str(problem.get("en", ""))
    text = str(problem)
    if " / " in text:
        zh, en = text.split(" / ", 1)
        return zh, en
    return text, text


def _start(t: Tree | Token) -> tuple[int | None, int | None]:
    if isinstance(t, Token):
        return t.line, t.column
    meta = t.meta
    if getattr(meta, "empty", True):
        return None, None
    return meta.line, meta.column


def _pos(t: Tree | Token) -> Pos | None:
    if isinstance(t, Token):
        return Pos(t.line, t.column, t.end_line, t.end_column)
    m = t.meta
    if getattr(m, "empty", True):
        return None
    return Pos(m.line, m.column, m.end_line, m.end_column)


def _span(first: Tree | Token, last: Tree | Token) -> Pos | None:
    a, b = _pos(first), _pos(last)
    if a is None or b is None:
        return a or b
    return Pos(a.line, a.column, b.end_line, b.end_column)


_KIND_NAMES = {
    "text": ("文本", "text"), "number": ("数字", "a number"), "money": ("金额", "money"),
    "percent": ("百分比", "a percentage"), "boolean": ("逻辑值", "a logical value"),
    "date": ("日期", "a date"),
    "datetime": ("日期时间", "a date-time"), "time": ("时间", "a time"), "select": ("选项", "a choice"),
    "user": ("用户", "a user"), "blank": ("空值", "blank"), "error": ("错误值", "an error value"),
    "any": ("任意值", "any value"),
}


def _kind_zh(t: Type) -> str:
    if isinstance(t, RecordType):
        return f"记录 ({t.entity})"
    if isinstance(t, ListType):
        return f"列表 (元素为{_kind_zh(t.item)})"
    return _KIND_NAMES.get(t.name, (t.name, t.name))[0]


def _kind_en(t: Type) -> str:
    if isinstance(t, RecordType):
        return f"a record ({t.entity})"
    if isinstance(t, ListType):
        return f"a list of {_kind_en(t.item)}"
    return _KIND_NAMES.get(t.name, (t.name, t.name))[1]
