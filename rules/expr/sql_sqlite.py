"""Functions SQLite lacks, installed on every connection so SQL agrees with the Python backend there:
exact decimal arithmetic (SQLite has no decimals, and its integers overflow into REAL silently),
Unicode case folding (its lower() is ASCII-only) and a ``"C"`` collation (code-point order, as
Python's and as PostgreSQL's "C"). All are deterministic, so SQLite may use them in indexes.
"""
from __future__ import annotations

import sqlite3
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from . import sql_decimal as dec
from .values import fold_text


def _number_fn(fn: Callable[..., Decimal | None]) -> Callable[..., str | None]:
    def run(*args: Any) -> str | None:
        return dec.text_of(fn(*(dec.parse(a) for a in args)))

    return run


def _num(v: int | None, scale: int) -> str | None:
    return None if v is None else str(dec.scaled(int(v), int(scale)))


def _chain(first: Any, *rest: Any) -> str | None:
    """((x0 op1 x1) op2 x2)...: a left-nested chain of + - * / as one call; None once an error occurs."""
    acc: Decimal | None = dec.parse(first)
    for i in range(0, len(rest), 2):
        acc = dec.ARITH[rest[i]](acc, dec.parse(rest[i + 1]))
        if acc is None:
            return None
    return dec.text_of(acc)


def _cmp(a: Any, b: Any) -> int:
    return dec.cmp(dec.parse(a), dec.parse(b))


def _text(a: Any) -> str | None:
    return None if a is None else dec.to_text(dec.parse(a))


def _text_fn(fn: Callable[[str], str]) -> Callable[[Any], str | None]:
    def run(s: Any) -> str | None:
        return None if s is None else fn(s)

    return run


def _code_point_order(a: str, b: str) -> int:
    return (a > b) - (a < b)


FUNCTIONS: dict[str, tuple[int, Callable[..., Any]]] = {
    "jimu_num": (2, _num),
    "jimu_chain": (-1, _chain),
    "jimu_neg": (1, _number_fn(dec.neg)),
    "jimu_cmp": (2, _cmp),
    "jimu_text": (1, _text),
    "jimu_fold": (1, _text_fn(fold_text)),
}

# Library functions SQLite runs through their own Python implementation: SQL name -> (registry
# name, arguments, whether the arguments are numbers)
LIBRARY: dict[str, tuple[str, int, bool]] = {
    "jimu_round": ("ROUND", 2, True),
    "jimu_trunc": ("TRUNC", 2, True),
    "jimu_int": ("INT", 1, True),
    "jimu_abs": ("ABS", 1, True),
    "jimu_lower": ("LOWER", 1, False),
    "jimu_upper": ("UPPER", 1, False),
    "jimu_trim": ("TRIM", 1, False),
}


def _library_fn(registry_ref: list, name: str, numbers: bool) -> Callable[..., Any]:
    def run(*args: Any) -> Any:
        if not registry_ref:
            from .functions import standard_registry

            registry_ref.append(standard_registry())
        impl = registry_ref[0].get(name).impl
        if numbers:
            r = impl(*(dec.parse(a) for a in args))
            return str(r) if type(r) is Decimal else None  # an error value: the SQL tracks errors itself
        if any(a is None for a in args):
            return None
        r = impl(*args)
        return r if type(r) is str else None

    return run


def fits_sqlite_parser(condition) -> bool:
    """Does ``SELECT 1 WHERE condition`` get through SQLite's parser? Its stack holds about a hundred
    entries: some 30 nested function calls, under 20 nested CASEs. Only parsed (EXPLAIN of an
    in-memory connection with nothing in it), never run."""
    from sqlalchemy import literal, select
    from sqlalchemy.dialects import sqlite

    compiled = select(literal(1)).where(condition).compile(dialect=sqlite.dialect())
    conn = sqlite3.connect(":memory:")
    try:
        register_sqlite_functions(conn)
        conn.execute("EXPLAIN " + str(compiled), [None] * len(compiled.positiontup or ()))
    except sqlite3.OperationalError as e:
        text = str(e)
        return "parser stack overflow" not in text and "too large" not in text
    finally:
        conn.close()
    return True


def register_sqlite_functions(dbapi_connection, registry=None) -> None:
    """Install the jimu_* functions and the "C" collation on a sqlite3 connection. Library functions
    run the implementations of ``registry`` (the standard one unless given, built on first use)."""
    for name, (n, fn) in FUNCTIONS.items():
        dbapi_connection.create_function(name, n, fn, deterministic=True)
    ref: list = [registry] if registry is not None else []
    for sql_name, (lib_name, n, numbers) in LIBRARY.items():
        dbapi_connection.create_function(sql_name, n, _library_fn(ref, lib_name, numbers), deterministic=True)
    dbapi_connection.create_collation("C", _code_point_order)
