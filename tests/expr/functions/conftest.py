"""``call(name, *args, ctx=None)``: invoke a standard function the way the compiler will, so these
tests do not wait for the compiler: arity checked, the first error among scalar arguments returned
before impl when the spec propagates errors, thunks for lazy functions, the EvalContext first when
the spec needs it. Every result is also checked to be a language value (never an int or a float)."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from rules.expr.functions import standard_registry
from rules.expr.registry import EvalContext
from rules.expr.values import ExcelError

PINNED_TODAY = dt.date(2026, 3, 15)  # a Sunday
PINNED_NOW = dt.datetime(2026, 3, 15, 9, 41, 7)

_VALUE_TYPES = (type(None), bool, str, Decimal, dt.date, dt.datetime, dt.time, ExcelError, tuple)


def pinned_context(**kw) -> EvalContext:
    kw.setdefault("today", PINNED_TODAY)
    kw.setdefault("now", PINNED_NOW)
    return EvalContext(**kw)


class Caller:
    def __init__(self) -> None:
        self.registry = standard_registry()
        self.evaluated: list[int] = []  # which lazy arguments were evaluated, by position

    def __call__(self, name: str, *args, ctx: EvalContext | None = None):
        spec = self.registry.get(name)
        assert spec is not None, f"{name} is not registered"
        hi = spec.max_args()
        assert len(args) >= spec.min_args() and (hi is None or len(args) <= hi), \
            f"{spec.signature()} called with {len(args)} arguments"
        if spec.propagate_errors and not spec.lazy:
            for a in args:
                if type(a) is ExcelError:
                    return a
        values = list(args)
        if spec.lazy:
            self.evaluated = []
            values = [self._thunk(i, a) for i, a in enumerate(args)]
        if spec.needs_context:
            values.insert(0, ctx or pinned_context())
        result = spec.impl(*values)
        assert type(result) in _VALUE_TYPES, f"{name} returned a {type(result).__name__}: {result!r}"
        return result

    def _thunk(self, i: int, value):
        def thunk():
            self.evaluated.append(i)
            return value

        return thunk


@pytest.fixture
def call() -> Caller:
    return Caller()


def D(x) -> Decimal:
    return Decimal(str(x))
