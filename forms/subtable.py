"""Sub-tables: child rows with their own fields (an opportunity's products, a quote's lines).

The rows live in a table of their own (parent_id, position, the row fields' columns). In the API a
sub-table is a list of row objects; sending the list replaces the rows: a row with an ``id`` keeps
(and updates) that row, a row without one is added, a row left out is removed, and the order of
the list is the rows' order. Everything happens in the parent record's write: one audit entry, one
version, one event.

Row fields are compiled like an entity's (a "row entity" named ``<entity>.<field>``), so every field
type works in a row, formulas and lookups included; sub-tables do not nest.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Any

import sqlalchemy as sa

from engine.compiled import (
    CompiledApp,
    CompiledEntity,
    CompiledField,
    _compile_entity,
    fields_record_type,
    physical_name,
)
from engine.errors import msg
from engine.fieldtypes import FieldType, FieldTypeRegistry, FieldValueError
from engine.records.audit import write_audit
from engine.records.kernel_handlers import readable_ids
from engine.records.pipeline import WriteBatch
from engine.records.read_path import readable_titles
from engine.storage.ids import allocate_ids
from engine.storage.tables import field_column
from rules.expr import types as T

MAX_ROWS = 1000


class RowErrors(FieldValueError):
    """Problems inside rows: ``details`` holds (sub-path such as "[2].qty", message) pairs."""

    def __init__(self, details: list[tuple[str, dict]]) -> None:
        super().__init__("子表有错误", "the sub-table has errors")
        self.details = details


class RowEntities:
    """Compiles and caches the row entities of sub-table fields, with the registry they are typed by."""

    def __init__(self, registry: FieldTypeRegistry) -> None:
        self.registry = registry
        self._cache: dict = {}
        self._by_id: dict = {}

    def get(self, app_name: str, entity: str, field_def) -> CompiledEntity:
        # the compiled field's definition is one object for the app's life: look it up by identity
        # first, and by content (a freshly read definition) only when that misses
        hit = self._by_id.get((app_name, entity, id(field_def)))
        if hit is not None and hit[0] is field_def:
            return hit[1]
        key = (app_name, entity, _freeze(field_def))
        ent = self._cache.get(key)
        if ent is None:
            fdef = dict(field_def)
            doc = {"entity": f"{entity}.{fdef['name']}", "label": fdef.get("label") or {},
                   "fields": list(fdef.get("fields") or []), "validations": list(fdef.get("validations") or [])}
            ent = self._cache[key] = _compile_entity(app_name, doc, self.registry)
        self._by_id[(app_name, entity, id(field_def))] = (field_def, ent)
        return ent


def _freeze(v):
    if isinstance(v, dict) or hasattr(v, "items"):
        return tuple(sorted((k, _freeze(x)) for k, x in v.items()))
    if isinstance(v, (list, tuple)):
        return ("__list__",) + tuple(_freeze(x) for x in v)
    return v


def rows_of(app: CompiledApp, entity: CompiledEntity, f: CompiledField) -> CompiledEntity:
    """The row entity of sub-table field ``f`` (its type carries the compiler)."""
    return f.ftype.rows.get(app.name, entity.name, f.definition)


def child_table_name(app: str, entity: str, field: str) -> str:
    return physical_name(f"{app}__{entity}__{field}", "t_")


def child_table(runtime, app: CompiledApp, entity: CompiledEntity, f: CompiledField) -> sa.Table:
    md = runtime.apps[app.name].metadata
    return md.tables[child_table_name(app.name, entity.name, f.name)]


# --- the field type ------------------------------------------------------------------------------
def _parse(rows: RowEntities, fdef, value) -> list[dict]:
    """API input -> rows holding only what was sent (an ``id`` for a kept row); the prepare stage
    merges them with the stored rows and fills defaults and formulas."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise FieldValueError("子表应为行的列表", "a sub-table must be a list of rows")
    if len(value) > int(fdef.get("max_rows", MAX_ROWS)):
        raise FieldValueError(f"子表最多 {fdef.get('max_rows', MAX_ROWS)} 行",
                              f"a sub-table takes at most {fdef.get('max_rows', MAX_ROWS)} rows")
    ent = rows.get("", "", fdef)
    out, problems, seen = [], [], set()
    for i, raw in enumerate(value):
        if not isinstance(raw, dict):
            problems.append((f"[{i}]", msg("行应为对象", "a row must be an object")))
            continue
        row: dict[str, Any] = {"id": None}
        for key, v in raw.items():
            if key == "id":
                if v is not None:
                    if isinstance(v, bool) or not isinstance(v, int) or v <= 0 or v in seen:
                        problems.append((f"[{i}].id", msg("行 id 有误", "invalid row id")))
                    else:
                        seen.add(v)
                        row["id"] = v
                continue
            f = ent.field(key)
            if f is None:
                if key in ("title",) or key.startswith("_"):
                    continue  # what a client read back and sends again
                problems.append((f"[{i}].{key}", msg(f"未知字段 '{key}'", f"unknown field '{key}'")))
                continue
            if f.computed:
                continue  # a client sends back what it read; computed values are the engine's
            try:
                row[key] = f.parse(v)
            except FieldValueError as e:
                problems.append((f"[{i}].{key}", e.message))
        out.append(row)
    if problems:
        raise RowErrors(problems)
    return out


def _expr_type_for(app: CompiledApp, f: CompiledField) -> T.Type:
    ent = f.ftype.rows.get(app.name, f.entity, f.definition)
    return T.ListType(fields_record_type(app, ent.name, ent.fields, {"id": T.NUMBER}))


def _tables_for(app: CompiledApp, entity: CompiledEntity, f: CompiledField, md: sa.MetaData) -> dict:
    ent = rows_of(app, entity, f)
    parent = md.tables[entity.table_name]
    cols = [
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True, autoincrement=True),
        sa.Column("parent_id", sa.BigInteger(), sa.ForeignKey(f"{parent.name}.id"), nullable=False, index=True),
        sa.Column("position", sa.Integer(), nullable=False),
    ]
    cols += [field_column(app, rf, index=False) for rf in ent.fields if rf.stored]
    name = child_table_name(app.name, entity.name, f.name)
    return {name: sa.Table(name, md, *cols)}


def _load_values(runtime, app, entity, f, ids, conn) -> dict[int, list[dict]]:
    ent = rows_of(app, entity, f)
    t = child_table(runtime, app, entity, f)
    out: dict[int, list[dict]] = {i: [] for i in ids}
    ids = list(ids)
    for i in range(0, len(ids), 900):
        q = sa.select(t).where(t.c.parent_id.in_(ids[i:i + 900])).order_by(t.c.parent_id, t.c.position, t.c.id)
        for r in conn.execute(q).mappings():
            row = {"id": r["id"]}
            for rf in ent.fields:
                if rf.stored:
                    row[rf.name] = r[rf.column_name]
            out[r["parent_id"]].append(row)
    return out


def _api_values(reader, f, stored: dict[int, list[dict]], conn) -> dict[int, list[dict]]:
    """Rows in API form; a relation in a row shows as {id, title}, the title only when the reader
    may read the related record."""
    ent = rows_of(reader.app, reader.entity, f)
    # a column derived from a field hidden from the reader is hidden ("lines.margin" in the read scope)
    columns = [rf for rf in ent.fields if f"{f.name}.{rf.name}" not in reader.scope.hidden]
    titles: dict[str, dict[int, str]] = {}
    for rf in columns:
        if rf.relation_to:
            ids = {r.get(rf.name) for rows in stored.values() for r in rows or () if r.get(rf.name) is not None}
            if ids:
                titles[rf.name] = readable_titles(reader.runtime, reader.app, reader.app.entity(rf.relation_to),
                                                  ids, reader.actor, conn)
    out = {}
    for pid, rows in stored.items():
        items = []
        for r in rows or []:
            d = {"id": r.get("id")}
            for rf in columns:
                v = r.get(rf.name)
                if rf.relation_to:
                    d[rf.name] = None if v is None else {"id": v, "title": titles.get(rf.name, {}).get(v)}
                else:
                    d[rf.name] = rf.dump(v)
            items.append(d)
        out[pid] = items
    return out


def _dump(rows_: RowEntities, fdef, rows) -> list[dict]:
    ent = rows_.get("", "", fdef)
    return [{"id": r.get("id"), **{rf.name: rf.dump(r.get(rf.name)) for rf in ent.fields}} for r in rows or []]


def _display(fdef, rows, lang) -> str:
    n = len(rows or [])
    return f"{n} 行" if lang == "zh" else f"{n} row(s)"


@dataclass(frozen=True)
class SubtableType(FieldType):
    rows: RowEntities = None  # type: ignore[assignment]


def subtable_type(registry: FieldTypeRegistry) -> SubtableType:
    rows = RowEntities(registry)
    return SubtableType(
        name="subtable",
        options_schema={
            "fields": {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/field"}},
            "validations": {"$ref": "#/$defs/validations"},
            "min_rows": {"type": "integer", "minimum": 0},
            "max_rows": {"type": "integer", "minimum": 1, "maximum": MAX_ROWS},
        },
        required_options=("fields",),
        column=lambda f: sa.Text(),  # unused: stored=False
        parse=partial(_parse, rows),
        dump=partial(_dump, rows),
        expr_type=lambda f: T.ListType(T.ANY),
        filter_ops=frozenset(),
        label={"zh": "子表", "en": "Sub-table"},
        display=_display,
        json_schema=lambda f: {"type": "array", "items": {"type": "object"}},
        stored=False,
        expr_type_for=_expr_type_for,
        tables_for=_tables_for,
        load_values=_load_values,
        api_values=_api_values,
        rows=rows,
    )


# --- writing the rows ----------------------------------------------------------------------------
def subtable_fields(entity: CompiledEntity) -> list[CompiledField]:
    return [f for f in entity.fields if f.type_name == "subtable"]


def merge_rows(batch: WriteBatch) -> None:
    """Prepare: rows sent with an id take their stored values for what was not sent; an id that is
    not one of this record's rows is refused."""
    for f in subtable_fields(batch.entity):
        ent = rows_of(batch.app, batch.entity, f)
        for w in batch.writes:
            if w.op not in ("create", "update") or f.name not in w.input:
                continue
            old_rows = {r["id"]: r for r in (w.old or {}).get(f.name) or []}
            merged = []
            for i, row in enumerate(w.values.get(f.name) or []):
                base = old_rows.get(row["id"]) if row["id"] is not None else None
                if row["id"] is not None and base is None:
                    w.error(f"{f.name}[{i}].id", msg(f"行 {row['id']} 不属于这条记录",
                                                     f"row {row['id']} is not a row of this record"))
                    continue
                new = {"id": row["id"], **{rf.name: None for rf in ent.fields}}
                if base is not None:
                    new.update(base)
                new.update(row)
                merged.append(new)
            w.values[f.name] = merged


def persist_rows(batch: WriteBatch) -> None:
    """Persist: insert, update and delete rows so the table holds exactly the record's list."""
    for f in subtable_fields(batch.entity):
        if not any(f.name in w.changes for w in batch.writes):
            continue
        ent = rows_of(batch.app, batch.entity, f)
        t = child_table(batch.runtime, batch.app, batch.entity, f)
        cols = [(rf.name, rf.column_name) for rf in ent.fields if rf.stored]
        inserts, inserted_rows, updates, deletes = [], [], [], []
        for w in batch.writes:
            if f.name not in w.changes or w.op not in ("create", "update"):
                continue
            old = {r["id"]: r for r in (w.old or {}).get(f.name) or []}
            rows = w.values.get(f.name) or []
            keep = {r["id"] for r in rows if r["id"] is not None}
            deletes.extend(i for i in old if i not in keep)
            for pos, r in enumerate(rows):
                values = {c: r.get(n) for n, c in cols}
                if r["id"] is None:
                    inserts.append({"parent_id": w.id, "position": pos, **values})
                    inserted_rows.append(r)
                else:
                    before = old[r["id"]]
                    old_pos = [x["id"] for x in (w.old or {}).get(f.name) or []].index(r["id"])
                    if old_pos != pos or any(before.get(n) != r.get(n) for n, _ in cols):
                        updates.append((r["id"], {"position": pos, **values}))
        conn = batch.conn
        if deletes:
            conn.execute(t.delete().where(t.c.id.in_(deletes)))
        for rid, values in updates:
            conn.execute(t.update().where(t.c.id == rid).values(**values))
        if inserts:
            ids = allocate_ids(conn, t, len(inserts), batch.runtime.db.caps)
            for row, i, r in zip(inserts, ids, inserted_rows):
                row["id"] = i
                r["id"] = i  # the audit entry and the event show the new rows' ids
            conn.execute(t.insert(), inserts)


def check_rows(batch: WriteBatch) -> None:
    """Check: min/max rows, required row fields, unique row fields within the record, relations
    of rows that exist and that the actor may read."""
    for f in subtable_fields(batch.entity):
        ent = rows_of(batch.app, batch.entity, f)
        lo = f.definition.get("min_rows")
        for w in batch.writes:
            if w.op not in ("create", "update") or w.recompute:
                continue
            rows = w.values.get(f.name) or []
            if lo and len(rows) < lo:
                w.error(f.name, msg(f"{f.label['zh']}至少需要 {lo} 行", f"{f.label['en']} needs at least {lo} row(s)"),
                        code="min_rows")
            failed = {e["path"] for e in w.errors}
            for rf in ent.fields:
                seen: dict = {}
                for i, r in enumerate(rows):
                    path = f"{f.name}[{i}].{rf.name}"
                    v = r.get(rf.name)
                    if rf.required and v is None and path not in failed and path not in w.excused:
                        w.error(path, msg(f"{rf.label.get('zh', rf.name)}不能为空",
                                          f"{rf.label.get('en', rf.name)} is required"), code="required")
                    if rf.unique and v is not None:
                        k = v.casefold() if isinstance(v, str) and rf.definition.get("case_insensitive") else v
                        if k in seen:
                            w.error(path, msg(f"{rf.label.get('zh', rf.name)}与第 {seen[k] + 1} 行重复",
                                              f"{rf.label.get('en', rf.name)} repeats row {seen[k] + 1}"),
                                    code="unique")
                        else:
                            seen[k] = i
        # related records in rows must exist and be readable, like a record's own relations
        for rf in ent.fields:
            if not rf.relation_to:
                continue
            wanted = {r.get(rf.name) for w in batch.writes if w.op in ("create", "update") and not w.recompute
                      for r in w.values.get(f.name) or [] if r.get(rf.name) is not None}
            if not wanted:
                continue
            found = readable_ids(batch, rf.relation_to, wanted)
            for w in batch.writes:
                for i, r in enumerate(w.values.get(f.name) or []):
                    v = r.get(rf.name)
                    if v is not None and v not in found:
                        w.error(f"{f.name}[{i}].{rf.name}", msg(f"关联的记录 {v} 不存在",
                                                                 f"related record {v} does not exist"),
                                code="relation")


def add_field_types(registry: FieldTypeRegistry) -> None:
    registry.register(subtable_type(registry))


def register(runtime) -> None:
    p = runtime.pipeline
    p.on("prepare", merge_rows)
    p.on("check", check_rows)
    p.on("persist", persist_rows, before=write_audit)
