"""Cells that name another record, a user or a department: found by what a person writes.

A related record is found among the records the importer may READ (a record they cannot read is
"not found", as in the API), by ``#<id>``, by its title, or by the value of a unique field they may
see (a code). Users are found by login or name, departments by name or code; the field-type
helpers' ``resolve_text`` is used when it exists. Everything is batched: one set of queries per
column, whatever the number of rows.
"""
from __future__ import annotations

import importlib
import re
from typing import Any

import sqlalchemy as sa

from engine.errors import msg
from engine.records.read_path import ReadRequest, readable_titles

_ID = re.compile(r"^#\s*(\d+)$")
CHUNK = 900  # SQLite's cap on bound parameters per statement, with room to spare

Found = dict[str, Any]  # text -> id, or text -> {"zh", "en"} message when it cannot be found


def _chunks(items: list) -> list[list]:
    return [items[i: i + CHUNK] for i in range(0, len(items), CHUNK)]


def not_found(label: dict, text: str) -> dict:
    return msg(f"找不到{label.get('zh', '')}「{text}」(或无权查看)",
               f"no {label.get('en', 'record')} '{text}' that you may read")


def ambiguous(text: str) -> dict:
    return msg(f"有多条记录名为「{text}」，请填写 #编号 或唯一编码",
               f"several records are called '{text}'; give #id or a unique code instead")


def resolve_records(rt, app, target, actor, conn, texts: set[str], definition=None) -> Found:
    """``definition``: the relation field's; with a ``filter``, only the targets passing it are found."""
    from engine.records.relation_filters import filter_condition

    table = rt.table(app.name, target.name)
    scope = rt.read_scope(ReadRequest(rt, app, target, table, actor))
    conds = [table.c.deleted_at.is_(None)] + ([scope.where] if scope.where is not None else [])
    passing = filter_condition(rt, app, definition, table, actor, conn=conn) if definition else None
    if passing is not None:
        conds.append(passing)
    out: Found = {}
    by_id = {t: int(m.group(1)) for t in texts if (m := _ID.match(t))}
    readable: set[int] = set()
    for chunk in _chunks(sorted(set(by_id.values()))):
        readable.update(conn.execute(sa.select(table.c.id).where(table.c.id.in_(chunk), *conds)).scalars())
    for t, i in by_id.items():
        out[t] = i if i in readable else not_found(target.label, t)
    rest = sorted(texts - set(by_id))
    if rest:
        titled = _by_title(rt, app, target, actor, conn, table, scope, conds, rest)
        coded = _by_unique(target, conn, table, scope, conds, [t for t in rest if len(titled.get(t, ())) != 1])
        for t in rest:
            ids = titled.get(t, set())
            if len(ids) == 1:
                out[t] = next(iter(ids))
            elif t in coded:
                out[t] = coded[t]
            else:
                out[t] = ambiguous(t) if ids else not_found(target.label, t)
    return out


def _by_title(rt, app, target, actor, conn, table, scope, conds, texts: list[str]) -> dict[str, set[int]]:
    """Text -> ids of readable records with that title."""
    found: dict[str, set[int]] = {}
    paths = target.title_paths
    if any(p[0] in scope.hidden for p in paths):
        return found  # the reader sees these titles as #id only
    simple = len(paths) == 1 and len(paths[0]) == 1 and target.title.strip() == "{" + paths[0][0] + "}"
    f = target.field(paths[0][0]) if simple else None
    if f is not None and f.stored and f.type_name == "text":
        col = table.c[f.column_name]
        for chunk in _chunks(texts):
            for rid, v in conn.execute(sa.select(table.c.id, col).where(col.in_(chunk), *conds)):
                found.setdefault(v, set()).add(rid)
        return found
    wanted = set(texts)
    ids = list(conn.execute(sa.select(table.c.id).where(*conds).order_by(table.c.id)).scalars())
    for chunk in _chunks(ids):  # a composed title ("{name} ({customer.name})"): render and compare
        for rid, title in readable_titles(rt, app, target, chunk, actor, conn).items():
            if title in wanted:
                found.setdefault(title, set()).add(rid)
    return found


def _by_unique(target, conn, table, scope, conds, texts: list[str]) -> dict[str, int]:
    """Text -> id by a unique text field the reader may see (a hidden one would let them probe it)."""
    out: dict[str, int] = {}
    for f in target.fields:
        if not texts:
            break
        if not (f.unique and f.stored and f.type_name == "text" and f.name not in scope.hidden):
            continue
        col = table.c[f.column_name]
        for chunk in _chunks(texts):
            for rid, v in conn.execute(sa.select(table.c.id, col).where(col.in_(chunk), *conds)):
                out.setdefault(v, rid)
        texts = [t for t in texts if t not in out]
    return out


# --- users and departments ---------------------------------------------------------------------------
def _helper_resolver():
    """The field-type helpers' ``resolve_text(runtime, conn, def, text)``, when present."""
    for name in ("forms.fieldtypes", "forms.fieldtypes.people", "forms.fieldtypes.org_kinds"):
        try:
            mod = importlib.import_module(name)
        except ImportError:
            continue
        fn = getattr(mod, "resolve_text", None)
        if callable(fn):
            return fn
    return None


def resolve_people(rt, conn, col, texts: set[str]) -> Found:
    from engine.fieldtypes import FieldValueError

    hook = _helper_resolver()
    if hook is not None:
        out: Found = {}
        for t in texts:
            try:
                out[t] = hook(rt, conn, col.definition, t)
            except FieldValueError as e:
                out[t] = e.message
        return out
    return _core_lookup(rt, conn, col.references_core, texts)


def _core_lookup(rt, conn, kind: str, texts: set[str]) -> Found:
    core = rt.db.core
    if kind == "user":
        t, keys, label = core["user"], ("login", "name"), msg("用户", "user")
        active = t.c.active.is_(True)
    else:
        t, keys, label = core["department"], ("code", "name"), msg("部门", "department")
        active = t.c.active.is_(True)
    out: Found = {}
    rest = set(texts)
    by_id = {x: int(m.group(1)) for x in rest if (m := _ID.match(x))}
    if by_id:
        ok = set(conn.execute(sa.select(t.c.id).where(t.c.id.in_(list(by_id.values())), active)).scalars())
        for x, i in by_id.items():
            out[x] = i if i in ok else not_found(label, x)
        rest -= set(by_id)
    for key in keys:  # login and code are unique; a name may not be
        if not rest:
            break
        hits: dict[str, set[int]] = {}
        for chunk in _chunks(sorted(rest)):
            for i, v in conn.execute(sa.select(t.c.id, t.c[key]).where(t.c[key].in_(chunk), active)):
                hits.setdefault(v, set()).add(i)
        for x, ids in hits.items():
            out[x] = next(iter(ids)) if len(ids) == 1 else ambiguous(x)
        rest -= set(hits)
    for x in rest:
        out[x] = not_found(label, x)
    return out
