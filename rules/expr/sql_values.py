"""What the SQL backend knows about one compiled sub-expression.

A ``SqlValue`` pairs a SQL expression with what the Python backend would see at the same place:
its kind (number, text, boolean, date, datetime or blank), whether it can be NULL (NULL is blank),
when it is an error value (``err``: a SQL condition that is TRUE exactly on the rows where the Python
value is an error; errors are tracked beside the value because a blank and an error are different
values to ISBLANK and IFERROR), and, when known while compiling, its Python value (``const``).

Numbers take one of three shapes, chosen by ``SqlCapabilities``:
- exact NUMERIC (``caps.exact_decimal``): ``scale`` is None;
- otherwise an INTEGER holding value x 10**scale (``scale`` is an int; native integers have scale 0),
- or decimal text produced by the functions ``register_sqlite_functions`` installs (``scale`` None).
"""
from __future__ import annotations

import datetime as _dt
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import Boolean, Date, DateTime, Numeric, String, false, literal, null, or_, true
from sqlalchemy.sql.elements import ColumnElement

from .nodes import Pos
from .types import BLANK, BOOLEAN, DATE, DATETIME, Type, is_numeric, is_textual

NUMBER_K = "number"
TEXT_K = "text"
BOOLEAN_K = "boolean"
DATE_K = "date"
DATETIME_K = "datetime"
BLANK_K = "blank"
RECORD_K = "record"  # a record known when the query runs (CURRENT_USER()): only a path may follow it


class _Unknown:
    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN: Any = _Unknown()  # ``const`` of a value only the database knows


@dataclass(frozen=True)
class SqlCapabilities:
    """What the database can do, as the kernel's Capabilities tells it (rules.expr imports no
    engine module). When either flag is False the connection must have the functions and the
    ``"C"`` collation that ``register_sqlite_functions`` installs."""

    exact_decimal: bool  # NUMERIC is exact; False: decimals are integers scaled by 10**scale
    unicode_lower: bool  # lower()/upper() fold non-ASCII letters

    @property
    def registered_functions(self) -> bool:
        """The connection runs ``register_sqlite_functions`` (a backend lacking either capability
        gets them from there), so the jimu_* functions may stand in for SQL that is deep or long."""
        return not (self.exact_decimal and self.unicode_lower)


@dataclass(frozen=True)
class SqlColumn:
    """What a resolver returns for a field path. ``scale`` (only without exact decimals): the
    column holds the value x 10**scale as an integer."""

    expr: ColumnElement
    type: Type
    scale: int | None = None


class SqlUnsupported(Exception):
    """A node that cannot become SQL; ``message`` is {"zh", "en"}."""

    def __init__(self, pos: Pos | None, message: Mapping[str, str]) -> None:
        super().__init__(message["en"])
        self.pos = pos
        self.message = dict(message)


@dataclass(frozen=True)
class SqlValue:
    expr: ColumnElement
    kind: str
    nullable: bool = True
    err: ColumnElement | None = None  # None: never an error; else TRUE where it is one (never NULL)
    scale: int | None = None  # see the module docstring
    const: Any = UNKNOWN  # the Python value when known while compiling (then ``expr`` binds it); never an error
    # Flat forms of nested structures, for SQLite's parser, which cannot nest much more than 20 deep:
    chain: tuple | None = None  # arithmetic as jimu_chain's arguments (x0, op1, x1, op2, x2...)
    branches: tuple | None = None  # IF...IF as ((cond, cond_err, value)..., else_value) for one CASE

    @property
    def is_const(self) -> bool:
        return self.const is not UNKNOWN


def kind_of(t: Type) -> str | None:
    """The kind a static type compiles to, or None when SQL cannot hold it."""
    if is_numeric(t):
        return NUMBER_K
    if is_textual(t):
        return TEXT_K
    if t == BOOLEAN:
        return BOOLEAN_K
    if t == DATE:
        return DATE_K
    if t == DATETIME:
        return DATETIME_K
    if t == BLANK:
        return BLANK_K
    return None


def kind_of_value(v: Any) -> str | None:
    t = type(v)
    if t is Decimal:
        return NUMBER_K
    if t is str:
        return TEXT_K
    if t is bool:
        return BOOLEAN_K
    if t is _dt.date:
        return DATE_K
    if t is _dt.datetime:
        return DATETIME_K
    if v is None:
        return BLANK_K
    return None


_BIND_TYPES = {TEXT_K: String(), BOOLEAN_K: Boolean(), DATE_K: Date(), DATETIME_K: DateTime()}


def bind(value: Any, kind: str) -> ColumnElement:
    """A bound parameter of a non-number Python value (numbers go through ``sql_numbers``)."""
    if value is None:
        return null()
    if kind == BOOLEAN_K:
        return true() if value else false()
    if kind == NUMBER_K:
        return literal(value, Numeric(asdecimal=True))
    return literal(value, _BIND_TYPES[kind])


def any_error(*errs: ColumnElement | None) -> ColumnElement | None:
    """The OR of error conditions, None when none can occur."""
    live = [e for e in errs if e is not None]
    if not live:
        return None
    return live[0] if len(live) == 1 else or_(*live)


def error_value(kind: str) -> SqlValue:
    """A value that is an error on every row (``1/0``). Not a constant: what is done with it (IFERROR,
    ISERROR, or passing it on) is SQL's, through ``err``."""
    return SqlValue(null(), kind, True, err=true())
