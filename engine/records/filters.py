"""List filters: ``{"amount": {"gte": 100}, "customer.name": {"contains": "华"}, "status": "won"}``.

A bare value means equality; operators are checked against what the field type allows, and values
are parsed by the field type, so a filter value is held to the same rules as a stored one.
"""
from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from ..errors import ValidationFailed, detail, msg
from ..fieldtypes import DATETIME, NUMBER, ORDERED_OPS, FieldValueError
from .paths import Resolved

_SYSTEM_OPS = ORDERED_OPS
_SYSTEM_TYPES = {"number": NUMBER, "datetime": DATETIME}  # how system columns parse filter values


def filter_clause(res: Resolved, spec: Any, where: str) -> sa.ColumnElement:
    if not isinstance(spec, dict):
        spec = {"eq": spec}
    if not spec:
        raise _bad(where, "过滤条件为空", "empty filter")
    allowed = res.field.ftype.filter_ops if res.field is not None else _SYSTEM_OPS
    clauses = []
    for op, value in spec.items():
        if op not in allowed:
            raise _bad(where, f"不支持的操作符 '{op}'，可用: {', '.join(sorted(allowed))}",
                       f"operator '{op}' is not allowed here; allowed: {', '.join(sorted(allowed))}")
        clauses.append(_one(res, op, value, f"{where}.{op}"))
    return sa.and_(*clauses)


def _one(res: Resolved, op: str, value: Any, where: str) -> sa.ColumnElement:
    col = res.column
    own = res.field.ftype.filter_clause if res.field is not None else None
    if own is not None:  # a type whose values the operators below cannot compare (a list)
        try:
            clause = own(res.field.definition, col, op, value)
        except FieldValueError as e:
            raise ValidationFailed("query.E004", msg("过滤值有误", "invalid filter value"),
                                   [{"path": where, "message": e.message}]) from None
        if clause is not None:
            return clause
    if op == "blank":
        return col.is_(None) if value in (True, None) else col.is_not(None)
    if op == "notblank":
        return col.is_not(None) if value in (True, None) else col.is_(None)
    if op in ("in", "nin"):
        if not isinstance(value, list):
            raise _bad(where, "应为列表", "must be a list")
        vals = [_parse(res, v, where) for v in value]
        return col.in_(vals) if op == "in" else sa.or_(col.not_in(vals), col.is_(None))
    if op == "between":
        if not isinstance(value, list) or len(value) != 2:
            raise _bad(where, "应为 [起, 止] 两个值", "must be [from, to]")
        lo, hi = (_parse(res, v, where) for v in value)
        conds = []
        if lo is not None:
            conds.append(col >= lo)
        if hi is not None:
            conds.append(col <= hi)
        return sa.and_(*conds) if conds else sa.true()
    if op in ("contains", "startswith"):
        if not isinstance(value, str):
            raise _bad(where, "应为文本", "must be text")
        esc = value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        pattern = f"%{esc}%" if op == "contains" else f"{esc}%"
        return col.ilike(pattern, escape="\\")
    v = _parse(res, value, where)
    if op == "eq":
        return col.is_(None) if v is None else col == v
    if op == "ne":
        return col.is_not(None) if v is None else sa.or_(col != v, col.is_(None))
    if v is None:
        raise _bad(where, "比较的值不能为空", "a comparison needs a value")
    return {"gt": col > v, "gte": col >= v, "lt": col < v, "lte": col <= v}[op]


def _parse(res: Resolved, value: Any, where: str) -> Any:
    try:
        if res.field is not None:
            return res.field.parse(value)
        return _SYSTEM_TYPES[res.type_name].parse({}, value)
    except FieldValueError as e:
        raise ValidationFailed("query.E004", msg("过滤值有误", "invalid filter value"),
                               [{"path": where, "message": e.message}]) from None


def _bad(where: str, zh: str, en: str) -> ValidationFailed:
    return ValidationFailed("query.E004", msg("过滤条件有误", "invalid filter"), [detail(where, zh, en)])
