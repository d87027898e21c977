"""Sample part: an expression function from an engine, ``SHOUT(text)`` -> "TEXT!", with an SQL form
so that it works in permission scopes and filters too (blank text gives "!" in both forms)."""
from __future__ import annotations

from rules.expr import types as T
from rules.expr.registry import FunctionSpec, Param


def _shout(text):
    from rules.expr.values import to_text

    t = "" if text is None else to_text(text)
    return t if not isinstance(t, str) else f"{t.upper()}!"  # an error value stays the error


def _shout_sql(c, args, nodes):
    import sqlalchemy as sa

    from rules.expr.sql_values import TEXT_K, SqlValue

    return SqlValue(c.texts.upper(c.text(args[0]).expr).concat(sa.literal("!")), TEXT_K, False)


def add_functions(app_doc=None) -> list:
    return [FunctionSpec(name="SHOUT", params=(Param("text", T.TEXT),), returns=T.TEXT, impl=_shout, sql=_shout_sql,
                         category="text", description={"zh": "转为大写并加上感叹号 (示例引擎)",
                                                       "en": "Upper-cases the text and adds '!' (sample engine)"})]
