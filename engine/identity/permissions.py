"""Permissions from roles.yaml, and the one permission filter every read path and write uses.

```yaml
roles:
  sales_rep:
    label: {zh: 销售代表, en: Sales rep}
    entities:
      customer: {create: true, read: own, update: own, delete: own, hidden: [credit_limit], readonly: [code]}
      contact:  {read: "customer.owner = CURRENT_USER().id"}
```
A scope is ``all``, ``own`` (the record's owner), ``department`` (the record's department is the
user's), ``department_tree`` (that department or any below it), ``none``, true/false, or an
expression in the formula language. Several roles combine as a union: a row is readable if some
role's read scope admits it, and a field shows on a row if some role that admits the row shows it.
The platform admin and the system itself bypass this, explicitly (``Actor.bypass``).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

import sqlalchemy as sa

from rules.expr import ExprError, check
from rules.expr.nodes import Node
from rules.expr.sql_backend import SqlCapabilities, SqlColumn, sql_problems, to_sql

from ..compiled import CompiledApp, CompiledEntity
from ..errors import Forbidden, msg
from ..platform.clock import business_today
from ..records.read_path import ReadRequest, ReadScope
from .derived_hidden import FieldSources, derive_hidden
from .transfer import compile_transfer

KEYWORDS = ("all", "own", "department", "department_tree", "none")
ACTIONS = ("create", "read", "update", "delete", "export", "import", "print")
SCOPED = ("read", "update", "delete")


@dataclass(frozen=True)
class Scope:
    kind: str  # one of KEYWORDS, or "expr"
    tree: Node | None = None
    text: str = ""


@dataclass(frozen=True)
class Grant:
    role: str
    create: bool = False
    read: Scope | None = None
    update: Scope | None = None
    delete: Scope | None = None
    export: bool = False
    import_: bool = False
    print: bool = False
    hidden: frozenset[str] = frozenset()  # the roles.yaml list, and the fields derived from hidden ones
    readonly: frozenset[str] = frozenset()
    derived: frozenset[str] = frozenset()  # of ``hidden``, those hidden because they read a hidden field
    transfer: Any = None  # identity.transfer.TransferScope: to whom records may be given (None: nobody)


AppGrants = Mapping[str, Mapping[str, Grant]]  # entity -> role -> grant


def compile_grants(app: CompiledApp, registry, sources: FieldSources | None = None
                   ) -> tuple[dict[str, dict[str, Grant]], list[tuple[tuple, str, str]]]:
    """The grants of every role of ``app``, and the problems found (JSON path parts in roles.yaml,
    zh, en) — unknown entities and fields, expressions that do not check or cannot become SQL.
    With the engines' ``sources``, computed fields that read a hidden field are hidden as well
    (identity/derived_hidden.py)."""
    grants: dict[str, dict[str, Grant]] = {}
    problems: list[tuple[tuple, str, str]] = []
    for role, rdef in app.roles.items():
        for ename, gdef in (rdef.get("entities") or {}).items():
            at = ("roles", role, "entities", ename)
            ent = app.entities.get(ename)
            if ent is None:
                problems.append((at, f"没有实体 {ename}", f"there is no entity {ename}"))
                continue
            gdef = gdef or {}
            scopes = {}
            for action in SCOPED:
                scopes[action] = _scope(gdef.get(action, False), app, ent, registry, at + (action,), problems)
            for key in ("hidden", "readonly"):
                for i, fname in enumerate(gdef.get(key) or ()):
                    if ent.field(fname) is None:
                        problems.append((at + (key, i), f"实体 {ename} 没有字段 {fname}",
                                         f"the entity {ename} has no field {fname}"))
            transfer = compile_transfer(gdef.get("transfer"), registry, at + ("transfer",), problems)
            grants.setdefault(ename, {})[role] = Grant(
                role=role, create=bool(gdef.get("create", False)), export=bool(gdef.get("export", False)),
                import_=bool(gdef.get("import", False)), print=bool(gdef.get("print", False)),
                hidden=frozenset(gdef.get("hidden") or ()), readonly=frozenset(gdef.get("readonly") or ()),
                transfer=transfer, **scopes)
    if sources is not None:
        derive_hidden(grants, sources)
    return grants, problems


def _scope(value: Any, app: CompiledApp, ent: CompiledEntity, registry, at: tuple, problems: list) -> Scope | None:
    if value is True:
        return Scope("all")
    if value is False or value is None:
        return None
    if not isinstance(value, str):
        problems.append((at, "范围应为 all/own/department/department_tree/none 或一个表达式",
                         "a scope is all, own, department, department_tree, none or an expression"))
        return None
    if value in KEYWORDS:
        return None if value == "none" else Scope(value)
    try:
        tree = check(value, app.record_type(ent.name), registry)
    except ExprError as e:
        problems.append((at, f"{e.message['zh']} (表达式: {value})", f"{e.message['en']} (expression: {value})"))
        return None
    for _pos, m in sql_problems(tree, registry):
        problems.append((at, f"权限范围无法转换为数据库条件: {m['zh']}",
                         f"a permission scope must become a database condition: {m['en']}"))
        return None
    return Scope("expr", tree, value)


# --- SQL --------------------------------------------------------------------------------------------
def sql_caps(runtime) -> SqlCapabilities:
    caps = runtime.db.caps
    return SqlCapabilities(exact_decimal=caps.exact_decimal, unicode_lower=caps.unicode_lower)


def path_resolver(runtime, app: CompiledApp, entity: CompiledEntity, table: sa.FromClause):
    """Field paths of an expression as SQL: a relation path becomes a correlated scalar subquery,
    so the condition stands on its own in any query over ``table``."""
    from ..storage.coltypes import ExactDecimal

    def resolve(path: tuple[str, ...]) -> SqlColumn:
        ent, tab = entity, table
        outer_col = None
        for i, name in enumerate(path):
            last = i == len(path) - 1
            f = ent.field(name)
            col = tab.c[f.column_name] if f is not None else tab.c[name]
            if last:
                etype = app.record_type(ent.name).fields[name]
                scale = None
                if isinstance(col.type, ExactDecimal) and not runtime.db.caps.exact_decimal:
                    scale = col.type.scale
                expr = col
                if outer_col is not None:
                    expr = sa.select(col).where(tab.c.id == outer_col).correlate(table).scalar_subquery()
                return SqlColumn(expr, etype, scale)
            target = app.entity(f.relation_to)
            nxt = runtime.table(app.name, target.name).alias()
            link = col if outer_col is None else (
                sa.select(col).where(tab.c.id == outer_col).correlate(table).scalar_subquery())
            ent, tab, outer_col = target, nxt, link
        raise KeyError(path)

    return resolve


def scope_condition(scope: Scope, req: ReadRequest, ctx_values: Mapping[str, Any]) -> sa.ColumnElement | None:
    """The scope as a condition over ``req.table``; None means every row."""
    t, actor = req.table, req.actor
    if scope.kind == "all":
        return None
    if scope.kind == "own":
        return t.c.owner == actor.user_id
    if scope.kind == "department":
        return t.c.department == actor.department_id if actor.department_id is not None else sa.false()
    if scope.kind == "department_tree":
        return t.c.department.in_(sorted(actor.department_tree)) if actor.department_tree else sa.false()
    resolver = path_resolver(req.runtime, req.app, req.entity, t)
    return to_sql(scope.tree, resolver, sql_caps(req.runtime), ctx_values, registry=req.runtime.functions,
                  as_condition=True)


class _ContextValues(Mapping):
    """CURRENT_USER(), CURRENT_DEPARTMENT(), TODAY() and NOW() for a scope expression; the user is read
    only when an expression asks for it (``active`` or ``amount > 0`` need no query for it)."""

    KEYS = ("CURRENT_USER", "CURRENT_DEPARTMENT", "TODAY", "NOW")

    def __init__(self, runtime, actor) -> None:
        self.runtime, self.actor = runtime, actor
        self.now = runtime.clock()
        self._user: Any = None

    def __getitem__(self, key: str) -> Any:
        if key == "TODAY":
            return business_today(self.runtime, self.now)
        if key == "NOW":
            return self.now
        if key not in self.KEYS:
            raise KeyError(key)
        if self._user is None:
            from .functions import user_record

            self._user = user_record(self.runtime, self.actor.user_id)
        return self._user if key == "CURRENT_USER" else self._user.get("department")

    def __iter__(self):
        return iter(self.KEYS)

    def __len__(self) -> int:
        return len(self.KEYS)


def context_values(runtime, actor) -> Mapping[str, Any]:
    return _ContextValues(runtime, actor)


def grants_for(runtime, app: str, entity: str, actor) -> list[Grant]:
    runtime.app(app)  # an app that is not installed is a 404, never a KeyError
    by_role = runtime.apps[app].grants.get(entity, {})
    return [by_role[r] for r in sorted(actor.roles_in(app)) if r in by_role]


def _conditions(grants: list[Grant], action: str, req: ReadRequest) -> list[tuple[Grant, sa.ColumnElement | None]]:
    ctx = None
    out = []
    for g in grants:
        scope = getattr(g, action)
        if scope is None:
            continue
        if scope.kind == "expr" and ctx is None:
            ctx = context_values(req.runtime, req.actor)
        out.append((g, scope_condition(scope, req, ctx or {})))
    return out


def permission_policy(req: ReadRequest) -> ReadScope:
    """The read filter and field mask for one actor on one entity: the roles' union, and the
    records engines grant (grant_sources.py), each a condition whose mask shows only its fields."""
    if req.actor.bypass:
        return ReadScope()
    conds = _conditions(grants_for(req.runtime, req.app.name, req.entity.name, req.actor), "read", req)
    conds += _adding_rows(req, conds, _engine_conditions(req, "read"))
    if not conds:
        return ReadScope(where=sa.false())
    where = None if any(c is None for _, c in conds) else sa.or_(*(c for _, c in conds))
    hiddens = [g.hidden for g, _ in conds]
    union = frozenset().union(*hiddens)
    if all(h == hiddens[0] for h in hiddens):
        return ReadScope(where=where, hidden=union)
    masks = tuple((sa.true() if c is None else c, g.hidden) for g, c in conds)
    return ReadScope(where=where, hidden=union, masks=masks)


def _adding_rows(req: ReadRequest, roles, engine_conds):
    """The engines' read grants that admit a row the roles do not. A grant's unnamed fields join
    the fields hidden entity-wide (filtering on a field hidden on some rows would reveal it), so a
    grant on records the roles already show — a director approving a contract they can read —
    must not cost its holder columns on every other record: such a grant is left out."""
    if not engine_conds or any(c is None for _, c in roles):
        return []
    admitted = sa.or_(*(c for _, c in roles)) if roles else sa.false()
    out = []
    with req.runtime.connect() as conn:
        for g, c in engine_conds:
            beyond = sa.and_(c, sa.not_(admitted))
            if conn.execute(sa.select(sa.literal(1)).select_from(req.table).where(beyond).limit(1)).first():
                out.append((g, c))
    return out


def _engine_conditions(req: ReadRequest, action: str) -> list[tuple[Grant, sa.ColumnElement]]:
    """The engines' record grants as role-like grants: read hides every field not named (and the
    system columns); update writes only the named write fields."""
    from .grant_sources import GRANT_HIDDEN_SYSTEM, engine_grants

    out = []
    names = frozenset(f.name for f in req.entity.fields)
    for i, g in enumerate(engine_grants(req.runtime, req.actor, req.app, req.entity)):
        if action == "update" and not g.write:
            continue
        grant = Grant(role=f"engine-grant-{i}", read=Scope("expr"), update=Scope("expr") if g.write else None,
                      hidden=(names - g.read) | GRANT_HIDDEN_SYSTEM, readonly=names - g.write)
        out.append((grant, req.table.c.id.in_(g.ids)))
    return out


BYPASS_NOTE_EVERY = 3600  # seconds: the event log says an admin read past the permissions, not every time


def note_bypass(runtime, actor, what: str) -> None:
    """The admin bypass is explicit (a flag on the user) and audited: its use goes to the event log,
    once an hour per admin and area. Called per request before any transaction is open (the API's
    get_actor), never from inside a read or write."""
    from .event_log import log_event

    now = runtime.clock()
    key = (actor.user_id, what)
    last = runtime.bypass_noted.get(key)
    if last is not None and (now - last).total_seconds() < BYPASS_NOTE_EVERY:
        return
    runtime.bypass_noted[key] = now
    with runtime.transaction() as conn:
        log_event(runtime, conn, "admin_bypass", actor=actor.user_id, target=what, detail={"via": actor.via})


# --- writes -----------------------------------------------------------------------------------------
def check_write_permissions(batch) -> None:
    """A pipeline check: the actor may create, or the rows are inside their update/delete scope,
    and no field they may not write is written. Refusals are 403 with the paths."""
    actor = batch.actor
    if actor.bypass:
        return
    rt, app, ent = batch.runtime, batch.app, batch.entity
    grants = grants_for(rt, app.name, ent.name, actor)
    all_fields = frozenset(f.name for f in ent.fields)
    denied: list[dict] = []
    secret = _Secret(batch, grants)
    creates = [w for w in batch.writes if w.op == "create"]
    if creates:
        creators = [g for g in grants if g.create]
        if not creators:
            raise Forbidden("perm.E403", msg(f"没有新建{ent.label.get('zh', ent.name)}的权限",
                                             f"you may not create a {ent.label.get('en', ent.name)}"))
        writable = frozenset().union(*(all_fields - g.readonly - g.hidden for g in creators))
        for i, w in enumerate(creates):
            denied += _denied(w, writable, all_fields, i if batch.bulk else None, secret)
    others = [w for w in batch.writes if w.op != "create"]
    if others:
        action = {"update": "update", "delete": "delete", "restore": "delete"}
        req = ReadRequest(rt, app, ent, batch.table, actor)
        for op in {action[w.op] for w in others}:
            ws = [w for w in others if action[w.op] == op]
            conds = _conditions(grants, op, req)
            if op == "update":
                conds += _engine_conditions(req, "update")
            admitted = _admitting(batch.conn, batch.table, [w.id for w in ws], conds)
            for w in ws:
                roles = admitted.get(w.id, [])
                if not roles:
                    raise Forbidden("perm.E403", msg("没有修改这条记录的权限", "you may not change this record"),
                                    [{"path": "", "message": msg(f"记录 {w.id}", f"record {w.id}")}])
                if w.op == "update":
                    writable = frozenset().union(*(all_fields - g.readonly - g.hidden for g in roles))
                    denied += _denied(w, writable, all_fields, None, secret)
    if denied:
        raise Forbidden("perm.E403", msg("没有修改这些字段的权限", "you may not write these fields"), denied)


class _Secret:
    """The fields a write must never compare with what is stored: those hidden from the actor, by
    any of their roles or by the read mask. Sending one back unchanged would be accepted and any
    other value refused — an equality oracle on a value they may not see — so a hidden field is
    refused whatever its value. Worked out only when a write sends a field it may not write."""

    def __init__(self, batch, grants: list[Grant]) -> None:
        self.batch, self.grants, self._names = batch, grants, None

    def __contains__(self, name: str) -> bool:
        if self._names is None:
            b = self.batch
            read = b.runtime.read_scope(ReadRequest(b.runtime, b.app, b.entity, b.table, b.actor)).hidden
            self._names = frozenset(read).union(*(g.hidden for g in self.grants))
        return name in self._names


def _denied(w, writable: frozenset[str], fields: frozenset[str], index: int | None, secret) -> list[dict]:
    out = []
    for name in w.input:
        if name in writable or name not in fields:  # an unknown name is the parser's 422, not a 403
            continue
        if w.old is not None and w.old.get(name) == w.values.get(name) and name not in secret:
            continue  # sending back an unchanged value the user can see is not writing it
        path = name if index is None else f"[{index}].{name}"
        out.append({"path": path, "message": msg("只读或隐藏字段, 不能写入", "read-only or hidden: cannot be written"),
                    "code": "readonly"})
    return out


def _admitting(conn, table, ids: list[int], conds) -> dict[int, list[Grant]]:
    if not conds or not ids:
        return {}
    cols = [sa.case((sa.true() if c is None else c, 1), else_=0).label(f"g{i}") for i, (_, c) in enumerate(conds)]
    out: dict[int, list[Grant]] = {}
    for row in conn.execute(sa.select(table.c.id, *cols).where(table.c.id.in_(ids))):
        out[row[0]] = [g for i, (g, _) in enumerate(conds) if row[i + 1]]
    return out
