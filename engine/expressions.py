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


def profile_types(app_docs, field_types) -> dict[str, T.Type]:
    """The expression types of the user profile fields the apps declare (``user_fields``)."""
    out: dict[str, T.Type] = {}
    for doc in app_docs:
        for fd in (doc or {}).get("user_fields") or ():
            ftype = field_types.get(fd.get("type"))
            if ftype is not None:
                out[fd["name"]] = ftype.expr_type(fd)
    return out


def app_registry(app_doc, field_types) -> FunctionRegistry:
    """The functions one app's definitions are checked with: the platform's, its profile fields."""
    return platform_registry(lambda: profile_types([app_doc], field_types))
