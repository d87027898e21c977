"""The standard function library of the expression language (Excel's functions, Excel's semantics).

``standard_registry()`` builds a new registry each call, so an engine can register its own functions
(CURRENT_USER, OLD...) into its copy without touching anyone else's.
"""
from __future__ import annotations

from ..registry import FunctionRegistry
from . import aggregates, arithmetic, dates, logic, text

FAMILIES = (logic, arithmetic, aggregates, text, dates)


def standard_registry(sql: bool = True) -> FunctionRegistry:
    """The library's functions; with ``sql`` also their SQL forms (that imports SQLAlchemy, which a
    command that only evaluates, such as ``jimu eval``, does not need)."""
    registry = FunctionRegistry(spec for family in FAMILIES for spec in family.SPECS)
    if not sql:
        return registry
    try:
        from ..sql_functions import attach_sql_forms
    except ModuleNotFoundError as e:
        if e.name != "rules.expr.sql_functions":
            raise  # the module exists but something it needs is missing: that must show
    else:
        attach_sql_forms(registry)
    return registry
