"""The function registry the platform evaluates with: the standard library plus the platform's own
functions (CURRENT_USER, CURRENT_DEPARTMENT). One factory, used by the runtime and by the bundle
checker, so a definition is checked against exactly the names it will run with."""
from __future__ import annotations

from typing import Callable, Mapping

from rules.expr import FunctionRegistry, standard_registry
from rules.expr import types as T

from .identity.functions import identity_functions


def platform_registry(profile_fields: Callable[[], Mapping[str, T.Type]] = dict) -> FunctionRegistry:
    reg = standard_registry()
    for spec in identity_functions(profile_fields):
        reg.register(spec)
    return reg
