"""The expression language: one Excel-like language for formula fields, defaults, validations,
visibility rules, flow conditions, rule conditions and report measures.

    check(text, scope, registry) -> nodes.Node               the checked tree (raises ExprError)
    compile_expression(text, scope, registry) -> CompiledExpression   .fn(record, ctx), .reads ...
    evaluate(text, data)                                      convenience: scope inferred from data

Modules: grammar.lark + parser (text to tree), checker (names and types), nodes (the checked tree
every backend consumes), compile_py (the Python backend), operators and values (runtime semantics),
registry (functions), json_values (JSON in and out), eval_cli (``jimu eval``).
"""
from __future__ import annotations

import datetime as _dt
from typing import Any, Mapping

from .checker import check
from .compile_py import CompiledExpression, compile_expression
from .errors import ExprError
from .json_values import from_json, infer_scope, to_json_value
from .registry import EvalContext, FunctionRegistry

__all__ = [
    "ExprError", "check", "compile_expression", "CompiledExpression", "evaluate", "infer_scope",
    "to_json_value", "standard_registry", "EvalContext", "FunctionRegistry",
]


def standard_registry() -> FunctionRegistry:
    """The standard function library (a fresh registry; extend it with ``copy()``/``register``).
    Imported on first use so that importing the language stays light."""
    from .functions import standard_registry as build

    return build()


def evaluate(text: str, data: Mapping[str, Any] | None = None, *, today: _dt.date | str | None = None,
             now: _dt.datetime | str | None = None, registry: FunctionRegistry | None = None) -> Any:
    """Evaluate ``text`` over JSON-like ``data`` (field types inferred as ``infer_scope`` does).
    Raises ExprError when the text does not check; returns the value (errors are values)."""
    data = dict(data or {})
    compiled = compile_expression(text, infer_scope(data), registry or standard_registry())
    return compiled.fn(from_json(data), make_context(today, now))


def make_context(today: _dt.date | str | None = None, now: _dt.datetime | str | None = None,
                 tz: str | None = None) -> EvalContext:
    """An EvalContext with the clock pinned: ``today`` alone keeps the time of day, ``now`` alone
    gives today as its date. Times are wall-clock times of the business zone (``tz``, else
    JIMU_TIMEZONE, else Asia/Shanghai): a ``now`` with an offset (``...Z``) is moved into it, a naive
    one is taken as already in it, and no ``now`` is the zone's current time."""
    from .clock import wall_clock

    if isinstance(today, str):
        today = _dt.date.fromisoformat(today)
    if isinstance(now, str):
        now = _dt.datetime.fromisoformat(now.replace("Z", "+00:00") if now.endswith(("Z", "z")) else now)
    if isinstance(now, _dt.datetime) and now.tzinfo is not None:
        now = wall_clock(now, tz)
    if now is None:
        now = wall_clock(None, tz)
        if today is not None:
            now = _dt.datetime.combine(today, now.time())
    if today is None:
        today = now.date()
    return EvalContext(today=today, now=now)
