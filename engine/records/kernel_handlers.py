"""The kernel's own pipeline handlers: constant defaults, required, related records exist, unique,
and writing the rows. Everything batched: one query per relation field or unique field per batch,
one executemany per table.
"""
from __future__ import annotations

from collections import defaultdict

import sqlalchemy as sa

from ..errors import msg
from ..fieldtypes import FieldValueError
from ..storage.ids import allocate_ids
from .pipeline import Pipeline, WriteBatch
from .read_path import ReadRequest


def apply_defaults(batch: WriteBatch) -> None:
    fields = [f for f in batch.entity.fields if f.default is not None]
    if not fields:
        return
    for w in batch.writes:
        if w.op != "create":
            continue
        for f in fields:
            if f.name not in w.input and w.values.get(f.name) is None:
                try:
                    w.values[f.name] = f.parse(f.default)
                except FieldValueError as e:
                    w.error(f.name, e.message)


def check_required(batch: WriteBatch) -> None:
    fields = [f for f in batch.entity.fields if f.required]
    for w in batch.writes:
        if w.op not in ("create", "update") or w.recompute:
            continue
        failed = {e["path"] for e in w.errors}
        for f in fields:
            if w.values.get(f.name) is None and f.name not in failed and f.name not in w.excused:
                w.error(f.name, msg(f"{f.label.get('zh', f.name)}不能为空",
                                    f"{f.label.get('en', f.name)} is required"), code="required")


def check_readonly(batch: WriteBatch) -> None:
    fields = [f for f in batch.entity.fields if f.readonly]
    for w in batch.writes:
        for f in fields:
            if f.name in w.input and w.op in ("create", "update"):
                before = w.old[f.name] if w.old is not None else None
                if w.values.get(f.name) != before:
                    w.error(f.name, msg("只读字段不可修改", "this field is read-only"), code="readonly")


def readable_ids(batch: WriteBatch, entity: str, ids) -> set[int]:
    """Those of ``ids`` that are records of ``entity``, not deleted, that the batch's actor may read."""
    target = batch.runtime.table(batch.app.name, entity)
    scope = batch.runtime.read_scope(ReadRequest(batch.runtime, batch.app, batch.app.entity(entity), target,
                                                 batch.actor))
    conds = [target.c.deleted_at.is_(None)] + ([scope.where] if scope.where is not None else [])
    found: set[int] = set()
    ids = sorted(ids)
    for i in range(0, len(ids), 900):  # SQLite caps bound parameters per statement
        chunk = ids[i: i + 900]
        found.update(batch.conn.execute(sa.select(target.c.id).where(target.c.id.in_(chunk), *conds)).scalars())
    return found


def check_relations(batch: WriteBatch) -> None:
    """A relation must point at an existing, not deleted record of its entity that the actor may
    read: linking to a record they cannot see would tell them it exists."""
    for f in batch.entity.fields:
        if not f.relation_to:
            continue
        wanted = {w.values.get(f.name) for w in batch.writes
                  if w.op in ("create", "update") and w.values.get(f.name) is not None
                  and (w.old is None or w.old.get(f.name) != w.values.get(f.name))}
        if not wanted:
            continue
        found = readable_ids(batch, f.relation_to, wanted)
        for w in batch.writes:
            v = w.values.get(f.name)
            if v is not None and v in wanted and v not in found:
                w.error(f.name, msg(f"关联的记录 {v} 不存在", f"related record {v} does not exist"),
                        code="relation")


def check_unique(batch: WriteBatch) -> None:
    """Unique fields: no duplicate within the batch nor among stored records (deleted ones included,
    as the database index holds them too). ``case_insensitive`` compares folded text. The message
    never says which record holds the value: a rep must learn of a duplicate ("撞单") without seeing
    a customer they may not read — and may learn it only so often (identity/probes.py): each write
    that conflicts with records the actor cannot read spends one of their probes."""
    from ..identity.probes import before_unique_check, spend

    checks = []
    for f in batch.entity.fields:
        if not f.unique or not f.stored:
            continue
        fold = bool(f.definition.get("case_insensitive"))
        key = (lambda v: v.casefold() if isinstance(v, str) else v) if fold else (lambda v: v)
        by_value = defaultdict(list)
        for w in batch.writes:
            v = w.values.get(f.name)
            if w.op in ("create", "update") and v is not None and (w.old is None or w.old.get(f.name) != v):
                by_value[key(v)].append(w)
        if by_value:
            checks.append((f, fold, key, by_value))
    if not checks:
        return
    before_unique_check(batch)
    holders: dict[int, set[int]] = defaultdict(set)  # id(write) -> stored records holding its values
    for f, fold, key, by_value in checks:
        col = batch.table.c[f.column_name]
        values = list(by_value)
        taken: dict = defaultdict(set)  # value -> ids holding it
        probe = sa.func.lower(col) if fold else col
        for i in range(0, len(values), 900):
            chunk = values[i: i + 900]
            for rid, v in batch.conn.execute(sa.select(batch.table.c.id, col).where(probe.in_(chunk))):
                taken[key(v)].add(rid)
        for v, ws in by_value.items():
            for n, w in enumerate(ws):
                others = taken.get(v, set()) - {w.id}
                holders[id(w)] |= others
                if others or n > 0:
                    w.error(f.name, msg(f"{f.label.get('zh', f.name)}已存在相同的值",
                                        f"another record already has this {f.label.get('en', f.name)}"),
                            code="unique")
    if batch.actor.bypass or not any(holders.values()):
        return
    seen = readable_ids(batch, batch.entity.name, set().union(*holders.values()))
    spend(batch, sum(1 for ids in holders.values() if ids - seen))


def persist_rows(batch: WriteBatch) -> None:
    t, ent, now, actor = batch.table, batch.entity, batch.now, batch.actor.user_id
    creates = [w for w in batch.writes if w.op == "create"]
    if creates:
        cols = [(f.name, f.column_name) for f in ent.fields if f.stored]
        rows = []
        for w in creates:
            row = {c: w.values.get(n) for n, c in cols}
            sys_values = batch.system_values(w)  # what the write's stages saw
            del sys_values["id"]
            row.update(sys_values)
            rows.append(row)
        ids = allocate_ids(batch.conn, t, len(rows), batch.runtime.db.caps)
        for row, i in zip(rows, ids):
            row["id"] = i
        batch.conn.execute(t.insert(), rows)
        for w, i in zip(creates, ids):
            w.id, w.version = i, 1
            if w.owner is None:
                w.owner = actor
    for w in batch.writes:
        if w.op == "create":
            continue
        sys_values = batch.system_values(w)
        values: dict = {k: sys_values[k] for k in ("updated_at", "updated_by", "version")}
        if w.op == "update":
            values.update({ent.by_name[k].column_name: new for k, (_, new) in w.changes.items()
                           if k in ent.by_name and ent.by_name[k].stored})
            if w.owner != w.row["owner"]:
                values["owner"] = w.owner
                values["department"] = w.department
                w.changes["owner"] = (w.row["owner"], w.owner)
        elif w.op == "delete":
            values["deleted_at"] = now
        elif w.op == "restore":
            values["deleted_at"] = None
        res = batch.conn.execute(t.update().where(t.c.id == w.id, t.c.version == w.version).values(**values))
        if res.rowcount != 1:
            from ..errors import Conflict

            raise Conflict("record.E409", msg("记录已被他人修改，请刷新后重试",
                                              "the record was changed by someone else; reload and try again"))
        w.version += 1


def register(pipeline: Pipeline) -> None:
    from ..platform.events import record_events
    from .audit import write_audit
    from .relation_filters import check_relation_filters

    pipeline.on("prepare", apply_defaults)
    pipeline.on("check", check_readonly)
    pipeline.on("check", check_required)
    pipeline.on("check", check_relations)
    pipeline.on("check", check_relation_filters)
    pipeline.on("check", check_unique)
    pipeline.on("persist", persist_rows)
    pipeline.on("persist", write_audit)
    pipeline.on("persist", record_events)
