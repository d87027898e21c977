"""Rollups over other records, in SQL: the records whose relation points here (payments of a
customer), or those records' sub-table rows (the lines of a customer's orders), filtered by an
expression the SQL backend compiles, aggregated by the database — one grouped query per rollup
field per batch where the aggregate allows, one query per record for latest/first/join or a match.
"""
from __future__ import annotations

from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from engine.storage.coltypes import ExactDecimal
from rules.expr.sql_backend import SqlColumn, to_sql

from .computed_kinds import scope_type

GROUPED = ("sum", "count", "count_distinct", "min", "max", "avg")


def rollup_values(batch, step, ids: list[int], values: list[dict], ctx) -> dict[int, Any]:
    """``ctx`` is the batch's evaluation context: a filter's TODAY() and CURRENT_USER() mean what
    they mean in the rest of the computation (read through the batch's own connection)."""
    if not ids:
        return {}
    src = _Source(batch, step, ctx)
    d = step.field.definition
    agg = d.get("agg")
    if agg in GROUPED and not d.get("match"):
        return src.grouped(agg, ids)
    return {i: src.single(agg, i, v) for i, v in zip(ids, values)}


class _Source:
    def __init__(self, batch, step, ctx) -> None:
        from engine.identity.permissions import path_resolver, sql_caps

        rt, app = batch.runtime, batch.app
        self.rt, self.conn, self.d = rt, batch.conn, step.field.definition
        frm = self.d["from"]
        self.ent = app.entity(frm["entity"])
        self.t = rt.table(app.name, self.ent.name)
        self.via = self.t.c[self.ent.field(frm["via"]).column_name]
        self.conds = [self.t.c.deleted_at.is_(None)]
        self.src = self.t
        self.rows_ent = None
        if frm.get("rows"):
            from .subtable import child_table, rows_of

            sub = self.ent.field(frm["rows"])
            self.rows_ent = rows_of(app, self.ent, sub)
            self.rt_rows = child_table(rt, app, self.ent, sub)
            self.src = self.t.join(self.rt_rows, self.rt_rows.c.parent_id == self.t.c.id)
        if step.sql_filter is not None:
            if self.rows_ent is not None:
                resolver = self._row_resolver(app)
            else:
                resolver = path_resolver(rt, app, self.ent, self.t)
            values = {"CURRENT_USER": ctx.user, "CURRENT_DEPARTMENT": (ctx.user or {}).get("department"),
                      "TODAY": ctx.today, "NOW": ctx.now}
            self.conds.append(to_sql(step.sql_filter, resolver, sql_caps(rt), values, registry=rt.functions,
                                     as_condition=True))

    def _row_resolver(self, app):
        row_type = scope_type(app, f"{self.ent.name}.{self.d['from']['rows']}")

        def resolve(path):
            if len(path) != 1:
                raise KeyError(path)
            col = self.column(path[0])
            scale = col.type.scale if isinstance(col.type, ExactDecimal) and not self.rt.db.caps.exact_decimal else None
            return SqlColumn(col, row_type.fields[path[0]], scale)

        return resolve

    def column(self, name: str) -> sa.ColumnElement:
        """A field of the rows when there are rows and they have it, else of the records (their
        system columns too: created_at orders "latest")."""
        if self.rows_ent is not None and self.rows_ent.field(name) is not None:
            return self.rt_rows.c[self.rows_ent.field(name).column_name]
        f = self.ent.field(name)
        return self.t.c[f.column_name] if f is not None else self.t.c[name]

    def _value(self, agg: str):
        name = self.d.get("field")
        if agg == "count":
            return sa.func.count() if not name else sa.func.count(self.column(name))
        col = self.column(name)
        if agg == "count_distinct":
            return sa.func.count(sa.distinct(col))
        if agg == "sum":
            return sa.type_coerce(sa.func.sum(col), col.type)
        if agg == "avg":
            return sa.type_coerce(sa.func.sum(col), col.type), sa.func.count(col)
        return sa.type_coerce(getattr(sa.func, agg)(col), col.type)

    def grouped(self, agg: str, ids: list[int]) -> dict[int, Any]:
        value = self._value(agg)
        cols = list(value) if isinstance(value, tuple) else [value]
        out: dict[int, Any] = {}
        for i in range(0, len(ids), 900):
            q = (sa.select(self.via, *cols).select_from(self.src)
                 .where(self.via.in_(ids[i:i + 900]), *self.conds).group_by(self.via))
            for row in self.conn.execute(q):
                out[row[0]] = _finish(agg, row[1:])
        empty = Decimal(0) if agg in ("sum", "count", "count_distinct") else None
        return {i: out.get(i, empty) for i in ids}

    def single(self, agg: str, record_id: int, values: dict) -> Any:
        conds = [self.via == record_id, *self.conds]
        for src_name, mine in (self.d.get("match") or {}).items():
            v = values.get(mine)
            if v is None:
                return Decimal(0) if agg in ("sum", "count", "count_distinct") else None
            conds.append(self.column(src_name) == v)
        if agg in GROUPED:
            value = self._value(agg)
            cols = list(value) if isinstance(value, tuple) else [value]
            row = self.conn.execute(sa.select(*cols).select_from(self.src).where(*conds)).first()
            got = _finish(agg, row) if row is not None else None
            if got is None and agg in ("sum", "count", "count_distinct"):
                return Decimal(0)
            return got
        col = self.column(self.d["field"])
        order = self.column(self.d["order_by"]) if self.d.get("order_by") else self.t.c.created_at
        if agg in ("latest", "first"):
            direction = order.desc() if agg == "latest" else order.asc()
            tie = self.t.c.id.desc() if agg == "latest" else self.t.c.id.asc()
            q = (sa.select(col).select_from(self.src).where(*conds, col.is_not(None), order.is_not(None))
                 .order_by(direction, tie).limit(1))
            return self.conn.execute(q).scalar()
        # join: the values in order, as people read them
        q = sa.select(col).select_from(self.src).where(*conds, col.is_not(None)).order_by(order, self.t.c.id)
        f = self.rows_ent.field(self.d["field"]) if self.rows_ent is not None and self.rows_ent.field(
            self.d["field"]) else self.ent.field(self.d["field"])
        return self.d.get("separator", "、").join(f.ftype.show(f.definition, v) for v in self.conn.execute(q).scalars())


def _finish(agg: str, row) -> Any:
    if agg == "avg":
        total, n = row[0], row[1]
        return (Decimal(total) / n) if n else None
    v = row[0]
    if agg in ("count", "count_distinct"):
        return Decimal(v or 0)
    if agg == "sum" and v is None:
        return Decimal(0)
    return v
