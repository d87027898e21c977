"""A relation's ``filter``: an expression of the formula language over the TARGET's own fields
(``active = TRUE``, ``status <> "closed"``; ``CURRENT_USER()`` may appear) that a record must pass to be
linked. ``match`` compares the target with this record; ``filter`` judges the target alone.

One condition, applied alike by the picker (``GET …/picker?field=quote.lines.product``), by saves (a
new or changed link to a target that does not pass is refused at its field; a record keeps a link it
already has while the link does not change), and by imports (a title is matched among the passing
targets only). It is checked when the bundle loads: it must type-check as a condition and become SQL.
"""
from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import sqlalchemy as sa

from rules.expr import ExprError, check
from rules.expr import types as T
from rules.expr.sql_backend import sql_problems, to_sql

from ..errors import ValidationFailed, msg
from .pipeline import WriteBatch

_CHUNK = 900


def relation_fields(field_defs, parts: tuple = ()) -> Iterator[tuple[tuple, Mapping[str, Any]]]:
    """(JSON path parts, definition) of every relation field with a ``filter``, sub-table rows included."""
    for i, fd in enumerate(field_defs or ()):
        if not isinstance(fd, Mapping):
            continue
        if fd.get("type") == "relation" and isinstance(fd.get("filter"), str):
            yield parts + (i,), fd
        if isinstance(fd.get("fields"), list):
            yield from relation_fields(fd["fields"], parts + (i, "fields"))


def filter_problems(app, registry) -> list[tuple[str, tuple, str, str]]:
    """(entity, JSON path parts, zh, en) for each filter that does not check or cannot become SQL."""
    out = []
    for ent in app.entities.values():
        for parts, fd in relation_fields(ent.definition.get("fields"), ("fields",)):
            where = parts + ("filter",)
            if fd.get("to") not in app.entities:
                continue
            try:
                tree = check(fd["filter"], app.record_type(fd["to"]), registry)
            except ExprError as e:
                out.append((ent.name, where, f"筛选条件有误: {e.message['zh']}", f"invalid filter: {e.message['en']}"))
                continue
            if tree.type not in (T.BOOLEAN, T.ANY):
                out.append((ent.name, where, "筛选条件应为 TRUE/FALSE 的条件 (例如 active = TRUE)",
                            "a filter must be a condition, TRUE or FALSE (e.g. active = TRUE)"))
                continue
            for _pos, m in sql_problems(tree, registry)[:1]:
                out.append((ent.name, where, f"筛选条件无法转换为数据库条件: {m['zh']}",
                            f"a filter must become a database condition: {m['en']}"))
            hidden = _hidden_read(app, fd["to"], tree)
            if hidden:
                role, entity, name = hidden
                out.append((ent.name, where,
                            f"筛选条件读取了角色 {role} 看不到的字段 {entity}.{name}: 选择列表会泄露它",
                            f"the filter reads {entity}.{name}, which the role {role} may not see: "
                            "the picker would reveal it"))
    return out


def _hidden_read(app, target: str, tree) -> tuple[str, str, str] | None:
    """(role, entity, field) of a field the filter reads that some role hides, through relations too."""
    from rules.expr.compile_py import reads_of

    for path in sorted(reads_of(tree)):
        entity = target
        for name in path:
            for role, rdef in app.roles.items():
                grant = ((rdef.get("entities") or {}).get(entity)) or {}
                if name in (grant.get("hidden") or ()):
                    return role, entity, name
            f = app.entities[entity].field(name) if entity in app.entities else None
            if f is None or not f.relation_to:
                break
            entity = f.relation_to
    return None


def _tree(runtime, app, fd: Mapping[str, Any]):
    cache = runtime.settings.setdefault("relation.filters", {})
    key = (app.name, app.hash, fd["to"], fd["filter"])
    if key not in cache:
        cache[key] = check(fd["filter"], app.record_type(fd["to"]), runtime.functions)
    return cache[key]


class _Context(Mapping):
    """CURRENT_USER() and the clock for a filter, the user read (on the caller's connection: a write's
    own transaction) only when a filter asks for it."""

    def __init__(self, runtime, actor, conn=None) -> None:
        self.runtime, self.actor, self.conn = runtime, actor, conn
        self._values: dict[str, Any] | None = None

    def _all(self) -> dict[str, Any]:
        if self._values is None:
            from ..identity.functions import user_record
            from ..platform.clock import business_today

            user = user_record(self.runtime, self.actor.user_id, self.conn)
            now = self.runtime.clock()
            self._values = {"CURRENT_USER": user, "CURRENT_DEPARTMENT": user.get("department"),
                            "TODAY": business_today(self.runtime, now), "NOW": now}
        return self._values

    def __getitem__(self, key: str) -> Any:
        return self._all()[key]

    def __iter__(self):
        return iter(self._all())

    def __len__(self) -> int:
        return len(self._all())


def filter_condition(runtime, app, fd: Mapping[str, Any], table: sa.Table, actor,
                     values: Mapping[str, Any] | None = None, conn=None) -> sa.ColumnElement | None:
    """The field's filter as a condition over ``table`` (the target's table); None without a filter."""
    if fd.get("type") != "relation" or not fd.get("filter"):
        return None
    from ..identity.permissions import path_resolver, sql_caps

    if values is None:
        values = _Context(runtime, actor, conn)
    resolver = path_resolver(runtime, app, app.entity(fd["to"]), table)
    return to_sql(_tree(runtime, app, fd), resolver, sql_caps(runtime), values, registry=runtime.functions,
                  as_condition=True)


def picker_condition(runtime, app, field_path: str, target: str, actor) -> sa.ColumnElement | None:
    """The filter of the relation field ``entity.field`` (``entity.subtable.field`` in rows) whose picker
    lists ``target``; a path that names no such relation is refused."""
    fd = _field_at(app, field_path)
    if fd is None or fd.get("type") != "relation" or fd.get("to") != target:
        raise ValidationFailed("query.E006", msg("field 应指向关联到此实体的关联字段", "invalid field"), [{
            "path": "field", "message": msg(f"{field_path} 不是关联到 {target} 的关联字段",
                                            f"{field_path} is not a relation field linking to {target}")}])
    return filter_condition(runtime, app, fd, runtime.table(app.name, target), actor)


def _field_at(app, path: str) -> Mapping[str, Any] | None:
    steps = path.split(".")
    ent = app.entities.get(steps[0])
    defs = ent.definition.get("fields") if ent is not None else None
    fd = None
    for name in steps[1:]:
        fd = next((d for d in defs or () if isinstance(d, Mapping) and d.get("name") == name), None)
        if fd is None:
            return None
        defs = fd.get("fields")
    return fd


def check_relation_filters(batch: WriteBatch) -> None:
    """Check stage: a link that is new or changed must point at a target passing the field's filter.
    One query per filtered field per batch; a target that does not exist is check_relations' to report."""
    defs = batch.entity.definition.get("fields") or ()
    if not any(True for _ in relation_fields(defs)):
        return
    writes = [w for w in batch.writes if w.op in ("create", "update") and not w.recompute]
    values = None
    for fd in defs:
        if fd.get("type") == "relation" and fd.get("filter"):
            wanted = [(w, fd["name"], v) for w in writes if (v := w.values.get(fd["name"])) is not None
                      and (w.old is None or w.old.get(fd["name"]) != v)]
            values = _judge(batch, fd, wanted, values)
        elif isinstance(fd.get("fields"), list) and any(True for _ in relation_fields(fd["fields"])):
            for rd in fd["fields"]:
                if rd.get("type") != "relation" or not rd.get("filter"):
                    continue
                wanted = []
                for w in writes:
                    old_rows = {r.get("id"): r for r in (w.old or {}).get(fd["name"]) or ()}
                    for i, row in enumerate(w.values.get(fd["name"]) or ()):
                        v = row.get(rd["name"])
                        before = old_rows.get(row.get("id")) if row.get("id") is not None else None
                        if v is not None and (before is None or before.get(rd["name"]) != v):
                            wanted.append((w, f"{fd['name']}[{i}].{rd['name']}", v))
                values = _judge(batch, rd, wanted, values)


def _judge(batch: WriteBatch, fd, wanted: list, values):
    if not wanted:
        return values
    if values is None:
        values = _Context(batch.runtime, batch.actor, batch.conn)
    table = batch.runtime.table(batch.app.name, fd["to"])
    ok = sa.case((filter_condition(batch.runtime, batch.app, fd, table, batch.actor, values), 1), else_=0)
    from .kernel_handlers import readable_ids

    # only targets the writer may read are judged: one they may not read is "missing" (check_relations
    # and the sub-table check say so), and a second message would tell that it exists and does not pass
    ids = sorted(readable_ids(batch, fd["to"], {v for _w, _p, v in wanted if isinstance(v, int)}))
    passing: dict[int, bool] = {}
    for i in range(0, len(ids), _CHUNK):
        q = sa.select(table.c.id, ok).where(table.c.id.in_(ids[i: i + _CHUNK]))
        passing.update((rid, bool(flag)) for rid, flag in batch.conn.execute(q))
    label = fd.get("label") or {}
    for w, path, v in wanted:
        if passing.get(v) is False:
            w.error(path, msg(f"{label.get('zh', fd['name'])}: 所选记录不符合可选条件",
                              f"{label.get('en', fd['name'])}: the chosen record is not one that may be chosen here"),
                    code="filter")
    return values
