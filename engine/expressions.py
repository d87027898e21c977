"""The function registry the platform evaluates with: the standard library plus the platform's own
functions (CURRENT_USER, CURRENT_DEPARTMENT) plus every engine's (the ``add_functions`` hook: OLD from
the form engine...). One factory, used by the runtime, the form state, GET /api/v1/functions and the
bundle checker, so a definition is checked against exactly the names it will run with."""
from __future__ import annotations

from typing import Callable, Mapping

from rules.expr import FunctionRegistry, standard_registry
from rules.expr import types as T

from .identity.functions import identity_functions


def platform_registry(profile_fields: Callable[[], Mapping[str, T.Type]] = dict,
                      app_doc: Mapping | None = None) -> FunctionRegistry:
    """``app_doc`` when the registry is one app's (the checker); None for the runtime's, all apps'."""
    from .plugins import hooks

    reg = standard_registry()
    for spec in identity_functions(profile_fields):
        reg.register(spec)
    for hook in hooks("add_functions"):
        for spec in hook(app_doc) or ():
            if spec.name.upper() in reg:  # an engine cannot redefine a function others rely on
                raise ValueError(f"an engine adds the function {spec.name.upper()}, which already exists")
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
    return platform_registry(lambda: profile_types([app_doc], field_types), app_doc)
