"""Databases for the SQL backend's tests: SQLite always (with ``register_sqlite_functions`` on every
connection, as the kernel does), PostgreSQL when JIMU_TEST_POSTGRES_URL is set. Each test module gets
one table per database, named for these tests and dropped afterwards; tests replace its rows.

The table stores values the way the kernel does (``ExactDecimal``: scaled integers on SQLite,
NUMERIC on PostgreSQL), and the Python side evaluates the rows as read back from it, so both
backends judge exactly the same records.
"""
from __future__ import annotations

import datetime as dt
import os
import uuid
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa

from engine.storage.capabilities import capabilities
from engine.storage.coltypes import ExactDecimal
from rules.expr import check, standard_registry
from rules.expr.compile_py import compile_tree
from rules.expr.registry import EvalContext
from rules.expr.sql_backend import SqlCapabilities, SqlColumn, register_sqlite_functions, to_sql
from rules.expr.types import BOOLEAN, DATE, DATETIME, MONEY, NUMBER, PERCENT, TEXT, RecordType

PG_ENV = "JIMU_TEST_POSTGRES_URL"

# name -> (expression type, column type, scale)
FIELDS: dict[str, tuple[Any, Any, int | None]] = {
    "amount": (MONEY, ExactDecimal(2), 2),
    "qty": (NUMBER, ExactDecimal(0), 0),
    "rate": (PERCENT, ExactDecimal(4), 4),
    "name": (TEXT, sa.Text(), None),
    "d": (DATE, sa.Date(), None),
    "at": (DATETIME, sa.DateTime(), None),
    "flag": (BOOLEAN, sa.Boolean(), None),
}
SCOPE = RecordType("sqltest", {name: spec[0] for name, spec in FIELDS.items()})

TODAY = dt.date(2024, 6, 15)
NOW = dt.datetime(2024, 6, 15, 10, 30, 0)
CTX_VALUES = {"TODAY": TODAY, "NOW": NOW}


def python_context() -> EvalContext:
    return EvalContext(today=TODAY, now=NOW)


def pg_url() -> str | None:
    url = os.environ.get(PG_ENV)
    if url and (url.startswith("postgresql://") or url.startswith("postgres://")):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]  # the driver the project installs
    return url


class Db:
    """One database holding the test table."""

    def __init__(self, name: str, engine: sa.Engine, table: sa.Table, registry) -> None:
        self.name = name
        self.engine = engine
        self.table = table
        self.registry = registry
        kernel = capabilities(engine.dialect)
        self.caps = SqlCapabilities(exact_decimal=kernel.exact_decimal, unicode_lower=kernel.unicode_lower)

    def resolver(self, path: tuple[str, ...]) -> SqlColumn:
        typ, _, scale = FIELDS[path[0]]
        return SqlColumn(self.table.c[path[0]], typ, None if self.caps.exact_decimal else scale)

    def replace_rows(self, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Store the rows; returns them as read back (what the Python backend will see)."""
        with self.engine.begin() as c:
            c.execute(self.table.delete())
            if rows:
                c.execute(self.table.insert(), [{"id": i, **r} for i, r in enumerate(rows, 1)])
            return [dict(m) for m in c.execute(sa.select(self.table).order_by(self.table.c.id)).mappings()]

    def sql(self, tree, **kw):
        return to_sql(tree, self.resolver, self.caps, CTX_VALUES, registry=self.registry, **kw)

    def selected_ids(self, tree) -> set[int]:
        with self.engine.connect() as c:
            cond = self.sql(tree, as_condition=True)
            return {r[0] for r in c.execute(sa.select(self.table.c.id).where(cond))}

    def values(self, tree) -> dict[int, Any]:
        with self.engine.connect() as c:
            q = sa.select(self.table.c.id, self.sql(tree, as_condition=False).label("v"))
            return {r[0]: r[1] for r in c.execute(q)}

    # ---- the Python backend, on the same rows ------------------------------------------------
    def check(self, text: str):
        return check(text, SCOPE, self.registry)

    def python_values(self, tree, rows: list[dict[str, Any]]) -> dict[int, Any]:
        fn, _ = compile_tree(tree, self.registry)
        ctx = python_context()
        return {r["id"]: fn(r, ctx) for r in rows}

    def python_selected(self, tree, rows: list[dict[str, Any]]) -> set[int]:
        """The rows the Python backend selects: its value is exactly True or a non-zero number."""
        return {i for i, v in self.python_values(tree, rows).items() if v is True or (type(v) is Decimal and v != 0)}


@pytest.fixture(scope="session")
def registry():
    return standard_registry()


def _make_table(md: sa.MetaData) -> sa.Table:
    name = "zz_expr_sql_" + uuid.uuid4().hex[:10]
    cols = [sa.Column(n, spec[1]) for n, spec in FIELDS.items()]
    return sa.Table(name, md, sa.Column("id", sa.Integer, primary_key=True, autoincrement=False), *cols)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def db(request, tmp_path_factory, registry):
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("sqlexpr") / "t.db"
        engine = sa.create_engine(f"sqlite:///{path}")
        sa.event.listen(engine, "connect", lambda conn, _rec: register_sqlite_functions(conn))
    else:
        url = pg_url()
        if not url:
            pytest.skip(f"PostgreSQL tests need {PG_ENV} (e.g. postgresql://postgres@127.0.0.1:5432/test)")
        # a runaway query must not hold the shared database
        engine = sa.create_engine(url, connect_args={"options": "-c statement_timeout=60000"})
    md = sa.MetaData()
    table = _make_table(md)
    md.create_all(engine)
    try:
        yield Db(request.param, engine, table, registry)
    finally:
        md.drop_all(engine)
        engine.dispose()
