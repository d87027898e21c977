"""Text in SQL: Excel's text coercion (``values.to_text``) and the case folding of ``=`` and ordering.

Folding must be ``values.fold_text`` (``str.lower``): PostgreSQL's lower() folds Unicode in a UTF8
database (caps.unicode_lower); SQLite's is ASCII-only, so there ``jimu_fold`` (Python's own
lower, installed by ``register_sqlite_functions``) does it. Text order is code-point order, as
Python's; ``COLLATE "C"`` asks for it (SQLite gets a "C" collation from the same registration).
"""
from __future__ import annotations

from sqlalchemy import String, case, cast, collate, func, literal
from sqlalchemy.sql.elements import ColumnElement

from .sql_values import (
    BLANK_K,
    BOOLEAN_K,
    DATE_K,
    DATETIME_K,
    NUMBER_K,
    TEXT_K,
    SqlCapabilities,
    SqlValue,
)
from .values import fold_text, to_text

CODE_POINT_ORDER = "C"


class TextOps:
    def __init__(self, caps: SqlCapabilities, numbers) -> None:
        self.unicode = caps.unicode_lower
        self.registered = caps.registered_functions
        self.numbers = numbers

    def trim_spaces(self, expr: ColumnElement) -> ColumnElement:
        """Excel's TRIM: spaces trimmed, inner runs of spaces made one. In plain SQL each replace()
        halves every run, so 16 passes collapse runs of up to 65536 spaces; SQLite's parser cannot
        nest that deep, so there the library's own TRIM runs."""
        if self.registered:
            return func.jimu_trim(expr)
        for _ in range(16):
            expr = func.replace(expr, "  ", " ")
        return func.trim(expr)

    def fold(self, expr: ColumnElement) -> ColumnElement:
        return func.lower(expr) if self.unicode else func.jimu_fold(expr)

    def lower(self, expr: ColumnElement) -> ColumnElement:
        return func.lower(expr) if self.unicode else func.jimu_lower(expr)

    def upper(self, expr: ColumnElement) -> ColumnElement:
        return func.upper(expr) if self.unicode else func.jimu_upper(expr)

    @staticmethod
    def length(expr: ColumnElement) -> ColumnElement:
        return func.char_length(expr)  # characters (code points) on both backends

    @staticmethod
    def ordered(expr: ColumnElement) -> ColumnElement:
        return collate(expr, CODE_POINT_ORDER)

    def const(self, s: str) -> SqlValue:
        return SqlValue(literal(s, String), TEXT_K, False, const=s)

    def as_text(self, v: SqlValue) -> SqlValue:
        """``to_text`` of the value: never NULL (blank is ""); errors stay in ``err``."""
        if v.is_const and v.err is None:
            t = to_text(v.const)
            return self.const(t) if isinstance(t, str) else v
        k = v.kind
        if k == TEXT_K:
            expr = v.expr
        elif k == BLANK_K:
            return SqlValue(literal("", String), TEXT_K, False, v.err, const="" if v.err is None else v.const)
        elif k == NUMBER_K:
            expr = self.numbers.to_text(v)
        elif k == BOOLEAN_K:
            expr = case((v.expr, literal("TRUE", String)), (~v.expr, literal("FALSE", String)))
        elif k == DATE_K:
            expr = cast(v.expr, String)  # ISO text (PostgreSQL's DateStyle ISO; SQLite stores it so)
        elif k == DATETIME_K:
            expr = func.substr(cast(v.expr, String), 1, 19)  # "YYYY-MM-DD HH:MM:SS"
        else:  # pragma: no cover - kinds are closed
            raise ValueError(k)
        if v.nullable:
            expr = func.coalesce(expr, literal("", String))
        return SqlValue(expr, TEXT_K, False, v.err)

    def folded_const(self, s: str) -> ColumnElement:
        return literal(fold_text(s), String)
