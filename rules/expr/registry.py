"""The function registry: which function names exist, their signatures, types, descriptions and
implementations. A registry is an object carried by the app context; engines extend a copy of the
standard one with their own functions (CURRENT_USER, OLD, DECIDE). The grammar knows no names.
"""
from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Mapping, Sequence

from .types import ANY, Type


def _wall_clock() -> _dt.datetime:
    from .clock import wall_clock

    return wall_clock()


@dataclass(frozen=True)
class Param:
    name: str
    type: Type = ANY  # ListType(...) where only a list makes sense; ANY for "scalar or list"
    optional: bool = False
    repeat: bool = False  # the last param may repeat (SUM(a, b, c...)); repeat implies 1+ unless optional


@dataclass(frozen=True)
class FunctionSpec:
    """One function.

    - ``impl``: the Python implementation. Called with the evaluated arguments (``impl(*values)``),
      or, when ``lazy``, with zero-argument thunks (IF, IFS, SWITCH, IFERROR evaluate only what they
      need), and with the EvalContext first when ``needs_context`` (TODAY, NOW, CURRENT_USER).
    - ``returns``: a Type, or a callable ``(arg_types) -> Type`` (IF returns its branches' type).
    - ``propagate_errors``: when True (most functions) the compiled call returns the first error
      value among scalar arguments without calling impl. ISERROR, IFERROR, ISBLANK... set False.
    - ``sql``: optional ``(compiler, sql_args, nodes) -> SQLAlchemy expression``; None means the
      function cannot be turned into SQL, which the SQL backend reports at check time.
    - ``description``: {"zh": ..., "en": ...}, one line each, for the designer's function reference.
    - ``category``: logic, math, text, date, aggregate, platform...
    """

    name: str
    params: Sequence[Param]
    returns: Type | Callable[[Sequence[Type]], Type]
    impl: Callable[..., Any]
    description: Mapping[str, str]
    category: str = "other"
    lazy: bool = False
    needs_context: bool = False
    propagate_errors: bool = True
    volatile: bool = False  # depends on the clock or the user: never constant-folded
    sql: Callable[..., Any] | None = None
    check: Callable[[Sequence[Any]], str | None] | None = None  # extra static check of arg nodes
    # the arguments name fields rather than give values: impl(ctx, record, *paths) where each path is
    # the field's tuple of names (OLD(amount) reads the record's value before the write); ``check``
    # makes sure each argument is a field
    field_args: bool = False

    def min_args(self) -> int:
        return sum(1 for p in self.params if not p.optional)

    def max_args(self) -> int | None:
        if self.params and self.params[-1].repeat:
            return None
        return len(self.params)

    def signature(self) -> str:
        parts = []
        for p in self.params:
            s = p.name + ("..." if p.repeat else "")
            parts.append(f"[{s}]" if p.optional else s)
        return f"{self.name}({', '.join(parts)})"

    def return_type(self, arg_types: Sequence[Type]) -> Type:
        r = self.returns
        return r if isinstance(r, Type) else r(arg_types)


class FunctionRegistry:
    """Name -> FunctionSpec, case-insensitive. ``copy()`` gives an engine its own extensible copy."""

    def __init__(self, specs: Iterable[FunctionSpec] = ()) -> None:
        self._specs: dict[str, FunctionSpec] = {}
        for s in specs:
            self.register(s)

    def register(self, spec: FunctionSpec) -> FunctionSpec:
        key = spec.name.upper()
        if key in self._specs:
            raise ValueError(f"function {key} is already registered")
        self._specs[key] = spec
        return spec

    def replace(self, spec: FunctionSpec) -> None:
        self._specs[spec.name.upper()] = spec

    def get(self, name: str) -> FunctionSpec | None:
        return self._specs.get(name.upper())

    def __contains__(self, name: str) -> bool:
        return name.upper() in self._specs

    def names(self) -> list[str]:
        return sorted(self._specs)

    def copy(self) -> "FunctionRegistry":
        r = FunctionRegistry()
        r._specs = dict(self._specs)
        return r

    def reference(self) -> list[dict]:
        """The function reference the designer shows: name, signature, category, zh/en description."""
        return [
            {
                "name": s.name,
                "signature": s.signature(),
                "category": s.category,
                "description": dict(s.description),
            }
            for _, s in sorted(self._specs.items())
        ]


@dataclass
class EvalContext:
    """What an evaluation may know beyond its record: the clock, the user, calendars.

    ``today``/``now`` are fixed per evaluation so tests can pin them. ``calendars`` maps a working
    calendar's name to an object with ``is_workday(date) -> bool`` (platform services provide them);
    NETWORKDAYS/WORKDAY take such a name as their holidays argument. ``extra`` is for engines
    (CURRENT_USER's record, OLD values) without growing this class for each.
    """

    # by default the business zone's wall clock (rules/expr/clock.py), never the machine's date
    today: _dt.date = field(default_factory=lambda: _wall_clock().date())
    now: _dt.datetime = field(default_factory=lambda: _wall_clock())
    user: Mapping[str, Any] | None = None
    calendars: Mapping[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)
