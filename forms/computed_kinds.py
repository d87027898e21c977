"""Field types the engine computes: formula, lookup and rollup.

Their values are stored (so lists filter and sort on them in SQL and reports read them) and kept up
to date by forms/recalc.py. A formula's column and expression type follow its expression's type
(``result`` may say it explicitly); a lookup's and a rollup's follow the field they read.

    {name: amount, type: formula, expr: "qty * price"}
    {name: credit, type: lookup, via: customer, field: credit_limit}            # live
    {name: list_price, type: lookup, via: product, field: price, mode: snapshot}  # copied when set
    {name: total, type: rollup, of: lines, agg: sum, field: subtotal}
    {name: paid, type: rollup, from: {entity: payment, via: customer}, agg: sum, field: amount,
     filter: 'status = "confirmed"'}
    {name: last_price, type: rollup, from: {entity: order, via: customer, rows: lines},
     agg: latest, field: price, order_by: order_date}
"""
from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from engine.fieldtypes import FieldType, FieldTypeRegistry
from rules.expr import ExprError, check
from rules.expr import types as T

RESULT_TYPES = ("number", "money", "percent", "text", "date", "datetime", "boolean")
AGGREGATES = ("sum", "count", "count_distinct", "avg", "min", "max", "latest", "first", "join")
_EXPR_TO_RESULT = {T.NUMBER: "number", T.MONEY: "money", T.PERCENT: "percent", T.TEXT: "text", T.SELECT: "text",
                   T.USER: "text", T.DATE: "date", T.DATETIME: "datetime", T.BOOLEAN: "boolean"}


class ComputedKinds:
    """The three types share one resolver: what type of value a computed field holds depends on
    the app (the fields it reads), so it is worked out once per app and field and cached."""

    def __init__(self, registry: FieldTypeRegistry) -> None:
        self.registry = registry
        self._cache: dict = {}
        self._busy = threading.local()  # fields being resolved: a cycle resolves to ANY, the checker reports it
        self._functions: dict = {}

    # --- where a computed field's type comes from -----------------------------------------------
    def source_field(self, app, f) -> Any | None:
        """The compiled field whose type this field takes, for lookups and most rollups."""
        d = f.definition
        if f.type_name == "lookup":
            holder = scope_entity(app, f.entity)
            via = holder.field(d.get("via")) if holder is not None else None
            if via is None or not via.relation_to:
                return None
            return app.entities[via.relation_to].field(d.get("field"))
        if f.type_name == "rollup":
            src = rollup_source(app, f)
            return src.field(d.get("field")) if src is not None and d.get("field") else None
        return None

    def result(self, app, f) -> str:
        """The result type name of a computed field: number, money, text, date..."""
        key = (app.name, app.hash, f.entity, f.name)
        got = self._cache.get(key)
        if got is not None:
            return got
        busy = getattr(self._busy, "set", None)
        if busy is None:
            busy = self._busy.set = set()
        if key in busy:
            return "text"  # a cycle: the bundle checker names it; any type will do meanwhile
        busy.add(key)
        try:
            got = self._result(app, f)
        finally:
            busy.discard(key)
        if app.hash:
            self._cache[key] = got
        return got

    def _result(self, app, f) -> str:
        d = f.definition
        if d.get("result"):
            return d["result"]
        if f.type_name == "formula":
            scope = scope_type(app, f.entity)
            if scope is None:
                return "text"
            try:
                tree = check(d.get("expr", ""), scope, self.functions(app))
            except ExprError:
                return "text"  # reported by the checker
            return _EXPR_TO_RESULT.get(tree.type, "text")
        if f.type_name == "rollup" and d.get("agg") in ("count", "count_distinct"):
            return "number"
        if f.type_name == "rollup" and d.get("agg") == "join":
            return "text"
        src = self.source_field(app, f)
        if src is None:
            return "text"
        if src.ftype.computed:
            return self.result(app, src)
        if f.type_name == "rollup" and d.get("agg") == "avg":
            return "money" if src.type_name == "money" else "number"
        return src.type_name if src.type_name in RESULT_TYPES else "text"

    def functions(self, app):
        key = (app.name, app.hash)
        reg = self._functions.get(key)
        if reg is None:
            reg = checking_functions(app, self.registry)
            if app.hash:
                self._functions[key] = reg
        return reg

    def value_type(self, app, f) -> FieldType:
        """The field type whose column, parsing and display the computed value uses."""
        if f.type_name == "lookup":
            src = self.source_field(app, f)
            if src is not None and not src.ftype.computed and src.stored and src.type_name != "subtable":
                return src.ftype
        return self.registry.get(self.result(app, f)) or self.registry.get("text")

    def value_def(self, app, f) -> dict:
        """The definition the value type works with (a lookup of a select keeps its options)."""
        if f.type_name == "lookup":
            src = self.source_field(app, f)
            if src is not None and not src.ftype.computed and src.stored and src.type_name != "subtable":
                return dict(src.definition)
        d = {"precision": f.definition["precision"]} if "precision" in f.definition else {}
        if self.result(app, f) == "money":  # its own currency, else the one of the money it adds up
            src = self.source_field(app, f)
            currency = f.definition.get("currency") or (src.definition.get("currency") if src is not None else None)
            if currency:
                d["currency"] = currency
        if f.type_name == "rollup" and f.definition.get("agg") in ("count", "count_distinct"):
            d["precision"] = 0
        if self.result(app, f) == "text":
            d["max_length"] = 2000
        return d

    # --- FieldType hooks ---------------------------------------------------------------------------
    def column_for(self, app, f):
        vt = self.value_type(app, f)
        return vt.column(self.value_def(app, f))

    def expr_type_for(self, app, f) -> T.Type:
        vt = self.value_type(app, f)
        return vt.expr_type(self.value_def(app, f))

    def field_type(self, name: str, options: dict, label: dict, required: tuple = ()) -> FieldType:
        return ComputedType(
            name=name, options_schema=options, required_options=required,
            column=lambda d: sa.Text(), parse=_parse_any, dump=_dump_any, expr_type=lambda d: T.ANY,
            filter_ops=frozenset({"eq", "ne", "in", "nin", "gt", "gte", "lt", "lte", "between", "blank", "notblank",
                                  "contains", "startswith"}),
            label=label, computed=True, column_for=self.column_for, expr_type_for=self.expr_type_for,
            text_search=name == "formula", kinds=self,
        )


@dataclass(frozen=True)
class ComputedType(FieldType):
    kinds: ComputedKinds = None  # type: ignore[assignment]  # the resolver of this registry


def _parse_any(d, v):
    """Filter values and stored values of computed fields: numbers as Decimals, the rest as is."""
    if isinstance(v, bool) or v is None:
        return v
    if isinstance(v, (int, float)):
        return Decimal(str(v))
    if isinstance(v, str):
        for parse in (dt.date.fromisoformat, _datetime):
            try:
                return parse(v)
            except ValueError:
                pass
        try:
            return Decimal(v)
        except Exception:  # noqa: BLE001 - not a number: text
            return v
    return v


def _datetime(v: str) -> dt.datetime:
    d = dt.datetime.fromisoformat(v.replace("Z", "+00:00"))
    return d.replace(tzinfo=None) if d.tzinfo is None else d.astimezone(dt.timezone.utc).replace(tzinfo=None)


def _dump_any(d, v):
    if isinstance(v, dt.datetime):
        return v.isoformat() + "Z"
    if isinstance(v, dt.date):
        return v.isoformat()
    return v


def scope_entity(app, name: str):
    """The compiled entity, or a sub-table's row entity for "quote.lines"."""
    if "." not in name:
        return app.entities.get(name)
    parent, field = name.split(".", 1)
    ent = app.entities.get(parent)
    f = ent.field(field) if ent is not None else None
    if f is None or not hasattr(f.ftype, "rows"):
        return None
    return f.ftype.rows.get(app.name, parent, f.definition)


def scope_type(app, name: str) -> T.RecordType | None:
    if "." not in name:
        return app.record_type(name) if name in app.entities else None
    parent, field = name.split(".", 1)
    t = app.record_type(parent).fields.get(field)
    return t.item if isinstance(t, T.ListType) and isinstance(t.item, T.RecordType) else None


def rollup_source(app, f):
    """The entity whose values a rollup aggregates: the sub-table's rows, the related entity, or
    the related entity's sub-table rows."""
    d = f.definition
    if "of" in d:
        holder = scope_entity(app, f.entity)
        sub = holder.field(d["of"]) if holder is not None else None
        return scope_entity(app, f"{f.entity}.{d['of']}") if sub is not None else None
    frm = d.get("from") or {}
    ent = app.entities.get(frm.get("entity"))
    if ent is None:
        return None
    if frm.get("rows"):
        return scope_entity(app, f"{ent.name}.{frm['rows']}")
    return ent


def checking_functions(app, registry: FieldTypeRegistry):
    """The functions definitions are checked with: the platform's, with the app's profile fields."""
    from engine.expressions import app_registry

    return app_registry(app.documents["app"], registry)


def add_field_types(registry: FieldTypeRegistry) -> None:
    kinds = ComputedKinds(registry)
    precision = {"type": "integer", "minimum": 0, "maximum": 10}
    result = {"enum": list(RESULT_TYPES)}
    registry.register(kinds.field_type("formula", {
        "expr": {"$ref": "#/$defs/text", "description": "The expression: qty * price, IF(amount > 0, ...)"},
        "result": result, "precision": precision, "currency": {"type": "string", "pattern": "^[A-Z]{3}$"},
    }, {"zh": "公式", "en": "Formula"}, ("expr",)))
    registry.register(kinds.field_type("lookup", {
        "via": {"$ref": "#/$defs/name", "description": "The relation field to read through."},
        "field": {"$ref": "#/$defs/name", "description": "The field of the related record."},
        "mode": {"enum": ["live", "snapshot"],
                 "description": "live follows the related record; snapshot copies the value when the link is set."},
    }, {"zh": "他表字段", "en": "Lookup"}, ("via", "field")))
    registry.register(kinds.field_type("rollup", {
        "of": {"$ref": "#/$defs/name", "description": "A sub-table of this record."},
        "from": {"type": "object", "required": ["entity", "via"], "additionalProperties": False,
                 "description": "Records of another entity whose relation `via` points here (and their `rows`).",
                 "properties": {"entity": {"$ref": "#/$defs/name"}, "via": {"$ref": "#/$defs/name"},
                                "rows": {"$ref": "#/$defs/name"}}},
        "agg": {"enum": list(AGGREGATES)},
        "field": {"$ref": "#/$defs/name"},
        "order_by": {"$ref": "#/$defs/name", "description": "For latest/first: a date or number field."},
        "filter": {"$ref": "#/$defs/text", "description": "Only the rows or records where this is true."},
        "match": {"type": "object", "additionalProperties": {"$ref": "#/$defs/name"},
                  "description": "Source field -> field of this record that must be equal."},
        "separator": {"type": "string"},
        "result": result, "precision": precision, "currency": {"type": "string", "pattern": "^[A-Z]{3}$"},
    }, {"zh": "汇总", "en": "Rollup"}, ("agg",)))
