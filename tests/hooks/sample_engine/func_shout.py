"""Sample part: an expression function from an engine, ``SHOUT(text)`` -> "TEXT!"."""
from __future__ import annotations

from rules.expr import types as T
from rules.expr.registry import FunctionSpec, Param


def _shout(text):
    return None if text is None else f"{str(text).upper()}!"


def add_functions(app_doc=None) -> list:
    return [FunctionSpec(name="SHOUT", params=(Param("text", T.TEXT),), returns=T.TEXT, impl=_shout,
                         category="text", description={"zh": "转为大写并加上感叹号 (示例引擎)",
                                                       "en": "Upper-cases the text and adds '!' (sample engine)"})]
