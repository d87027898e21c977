"""Actions: what flows' action nodes and rules do to records, one registry for both (issue 12 item 8).

An action is a name, a JSON Schema of its config, a ``check(config, app, entity) -> problems`` (for
``jimu check``: fields exist, expressions compile) and ``run(config, ctx)``. Every action writes
through RecordService as ``ctx.actor`` — the system, or the named user a definition runs it as — so
permissions, validations, audit and events apply exactly as to a person's write, in the caller's
transaction ``ctx.conn`` (a refusal raises and the caller's transaction writes nothing).

    runtime.actions.run("set_fields", {"values": {"status": '"done"'}}, ctx)

Kernel actions: ``set_fields`` (the triggering record), ``create_record`` (another entity, values
from expressions over the triggering record, sub-table rows copied with a field mapping),
``notify`` (platform notifications to users by id, by a user field of the record, or by role).
Engines add more with the ``add_actions(registry)`` hook (engine/plugins.py).

Expressions read the triggering record's own fields and its sub-tables' (``SUM(lines.qty)``), not
through relations: the record is read as stored, relations are ids there.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any, Callable

import jsonschema
import sqlalchemy as sa

from .errors import JimuError, msg

Problem = dict  # {"code", "path", "message": {zh, en}}


@dataclass
class ActionContext:
    """Where an action runs: the caller's transaction, the triggering record, and who acts."""

    runtime: Any
    conn: sa.Connection
    app: str
    entity: str | None = None
    record_id: int | None = None
    actor: Any = None  # identity.actor.Actor; None: the system
    cause: dict | None = None  # the event being handled, if any (for engines that emit their own)
    _record: dict | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if self.actor is None:
            from .identity.actor import system_actor

            self.actor = system_actor(self.runtime)

    @classmethod
    def as_user(cls, runtime, conn, app: str, user_id: int | None, **kw) -> "ActionContext":
        """Run as a named user (their permissions apply), or as the system when ``user_id`` is None."""
        if user_id is None:
            return cls(runtime, conn, app, **kw)
        from .identity.actor import load_actor

        actor = load_actor(runtime, user_id, via="system", conn=conn)
        if actor is None:
            raise JimuError("action.E400", msg(f"用户 {user_id} 不存在或已停用",
                                               f"user {user_id} is unknown or inactive"), status=400)
        return cls(runtime, conn, app, actor=actor, **kw)

    def record(self) -> dict:
        """The triggering record as stored now (read once), as the acting user may read it."""
        if self._record is None:
            if self.entity is None or self.record_id is None:
                raise JimuError("action.E400", msg("这个动作需要触发它的记录",
                                                   "this action needs the record that triggered it"), status=400)
            from .records.service import RecordService

            self._record = RecordService(self.runtime, self.app, self.entity).stored_values(self.record_id, self.conn,
                                                                                        reader=self.actor)
        return self._record


@dataclass(frozen=True)
class Action:
    name: str
    schema: dict
    run: Callable[[dict, ActionContext], Any]
    check: Callable[[dict, Any, str | None], list[Problem]] | None = None  # (config, app, entity)
    label: dict = field(default_factory=dict)


class ActionRegistry:
    def __init__(self) -> None:
        self._actions: dict[str, Action] = {}

    def register(self, action: Action) -> None:
        if action.name in self._actions:
            raise ValueError(f"an action named {action.name!r} is already registered")
        self._actions[action.name] = action

    def names(self) -> list[str]:
        return sorted(self._actions)

    def check(self, name: str, config: Any, app, entity: str | None = None) -> list[Problem]:
        """Every problem of one action's config: its schema, then what only the app can tell."""
        action = self._actions.get(name)
        if action is None:
            return [_problem("action.unknown", "", f"未知动作 '{name}'（可用：{', '.join(self.names())}）",
                             f"unknown action '{name}' (known: {', '.join(self.names())})")]
        problems = [_problem("action.schema", "/".join(str(p) for p in e.absolute_path), f"配置不符合格式：{e.message}",
                             f"config does not match the schema: {e.message}")
                    for e in jsonschema.Draft202012Validator(action.schema).iter_errors(config)]
        if not problems and action.check is not None:
            problems = action.check(config, app, entity)
        return problems

    def run(self, name: str, config: dict, ctx: ActionContext) -> Any:
        """Run one action; a bad config is a 400 with every problem, before anything is written."""
        app = ctx.runtime.app(ctx.app)
        problems = self.check(name, config, app, ctx.entity)
        if problems:
            raise JimuError("action.E400", msg(f"动作 '{name}' 的配置有误", f"the config of action '{name}' is wrong"),
                            problems, status=400)
        return self._actions[name].run(config, ctx)


def _problem(code: str, path: str, zh: str, en: str) -> Problem:
    return {"code": code, "path": path, "message": msg(zh, en)}


def action_registry() -> ActionRegistry:
    """The kernel's actions plus every engine's (``add_actions`` hook)."""
    from .plugins import hooks

    reg = ActionRegistry()
    for action in (SET_FIELDS, CREATE_RECORD, NOTIFY):
        reg.register(action)
    for hook in hooks("add_actions"):
        hook(reg)
    return reg


# --- expressions over the triggering record ----------------------------------------------------------

@functools.lru_cache(maxsize=1)
def _check_functions():
    """The functions a config is checked with when no runtime is at hand (``jimu check``)."""
    from .expressions import platform_registry

    return platform_registry()


def _compile(app, entity: str, text: str, functions=None):
    from rules.expr import compile_expression

    return compile_expression(text, app.record_type(entity), functions or _check_functions())


def _check_values(app, entity: str, target: str, values: dict, path: str) -> list[Problem]:
    """Each target field exists and is writable; each expression compiles over ``entity`` and reads
    only its own fields and sub-tables."""
    from rules.expr import ExprError

    out = []
    tgt = app.entities.get(target)
    src = app.entities.get(entity) if entity else None
    for name, text in values.items():
        f = tgt.by_name.get(name) if tgt else None
        if f is None or f.computed:
            out.append(_problem("action.field", f"{path}/{name}", f"'{target}' 没有可写字段 '{name}'",
                                f"'{target}' has no writable field '{name}'"))
            continue
        if src is None:
            out.append(_problem("action.entity", path, "表达式需要触发它的实体",
                                "expressions need the triggering entity"))
            continue
        try:
            compiled = _compile(app, entity, text)
        except ExprError as e:
            out.append({"code": "action.expr", "path": f"{path}/{name}", "message": e.message})
            continue
        for p in compiled.reads:
            first = src.by_name.get(p[0])
            if len(p) > 1 and not (first is not None and first.type_name == "subtable"):
                out.append(_problem("action.expr", f"{path}/{name}", f"'{'.'.join(p)}'：只能读本记录及其子表的字段",
                                    f"'{'.'.join(p)}': only the record's own fields and sub-tables can be read"))
    return out


def _evaluate(ctx: ActionContext, values: dict) -> dict:
    from rules.expr import EvalContext, to_json_value

    from .platform.clock import business_today

    app, rec = ctx.runtime.app(ctx.app), ctx.record()
    now = ctx.runtime.clock().replace(microsecond=0, tzinfo=None)
    ectx = EvalContext(today=business_today(ctx.runtime, now), now=now)
    fns = ctx.runtime.functions
    return {k: to_json_value(_compile(app, ctx.entity, text, fns).fn(rec, ectx)) for k, text in values.items()}


# --- set_fields ----------------------------------------------------------------------------------------

_VALUES = {"type": "object", "additionalProperties": {"type": "string"}, "minProperties": 1}


def _set_fields(config: dict, ctx: ActionContext) -> dict:
    """Write the values on the triggering record, judged like any update (validations, permissions)."""
    from .records.service import RecordService

    values = _evaluate(ctx, config["values"])
    return RecordService(ctx.runtime, ctx.app, ctx.entity, ctx.actor).update(ctx.record_id, values, conn=ctx.conn)


SET_FIELDS = Action(
    "set_fields", {"type": "object", "required": ["values"], "additionalProperties": False,
                   "properties": {"values": _VALUES}},
    _set_fields, lambda cfg, app, entity: _check_values(app, entity, entity or "", cfg["values"], "values"),
    {"zh": "设置字段", "en": "Set fields"})


# --- create_record ------------------------------------------------------------------------------------

def _check_create(cfg: dict, app, entity: str | None) -> list[Problem]:
    target = cfg["entity"]
    if target not in app.entities:
        return [_problem("action.entity", "entity", f"没有实体 '{target}'", f"no entity '{target}'")]
    out = _check_values(app, entity, target, cfg.get("values", {}), "values") if cfg.get("values") else []
    rows = cfg.get("rows")
    if rows:
        src = app.entities.get(entity) if entity else None
        sf = src.by_name.get(rows["from"]) if src else None
        tf = app.entities[target].by_name.get(rows["to"])
        if sf is None or sf.type_name != "subtable":
            out.append(_problem("action.rows", "rows/from", f"'{entity}' 没有子表 '{rows['from']}'",
                                f"'{entity}' has no sub-table '{rows['from']}'"))
        if tf is None or tf.type_name != "subtable":
            out.append(_problem("action.rows", "rows/to", f"'{target}' 没有子表 '{rows['to']}'",
                                f"'{target}' has no sub-table '{rows['to']}'"))
        if sf is not None and tf is not None and sf.type_name == tf.type_name == "subtable":
            src_cols = {f["name"] for f in sf.definition.get("fields", [])}
            tgt_cols = {f["name"] for f in tf.definition.get("fields", [])}
            for to, frm in rows["fields"].items():
                if to not in tgt_cols:
                    out.append(_problem("action.rows", f"rows/fields/{to}", f"子表 '{rows['to']}' 没有字段 '{to}'",
                                        f"sub-table '{rows['to']}' has no field '{to}'"))
                if frm not in src_cols:
                    out.append(_problem("action.rows", f"rows/fields/{to}", f"子表 '{rows['from']}' 没有字段 '{frm}'",
                                        f"sub-table '{rows['from']}' has no field '{frm}'"))
    return out


def _create_record(config: dict, ctx: ActionContext) -> dict:
    from rules.expr import to_json_value

    from .records.service import RecordService

    data = _evaluate(ctx, config.get("values") or {}) if config.get("values") else {}
    rows = config.get("rows")
    if rows:
        data[rows["to"]] = [{to: to_json_value(r.get(frm)) for to, frm in rows["fields"].items()}
                            for r in ctx.record().get(rows["from"]) or []]
    return RecordService(ctx.runtime, ctx.app, config["entity"], ctx.actor).create(data, conn=ctx.conn)


CREATE_RECORD = Action(
    "create_record",
    {"type": "object", "required": ["entity"], "additionalProperties": False, "properties": {
        "entity": {"type": "string", "minLength": 1}, "values": _VALUES,
        "rows": {"type": "object", "required": ["from", "to", "fields"], "additionalProperties": False,
                 "properties": {"from": {"type": "string"}, "to": {"type": "string"},
                                "fields": {"type": "object", "additionalProperties": {"type": "string"},
                                           "minProperties": 1}}}}},
    _create_record, _check_create, {"zh": "新建记录", "en": "Create a record"})


# --- notify ----------------------------------------------------------------------------------------------

_TEXT = {"oneOf": [{"type": "string", "minLength": 1},
                   {"type": "object", "required": ["zh", "en"], "properties": {"zh": {"type": "string"},
                                                                                "en": {"type": "string"}}}]}


def _check_notify(cfg: dict, app, entity: str | None) -> list[Problem]:
    out, to = [], cfg["to"]
    if to.get("field"):
        f = app.entities[entity].by_name.get(to["field"]) if entity in app.entities else None
        if f is None or f.type_name != "user":
            out.append(_problem("action.field", "to/field", f"'{entity}' 没有人员字段 '{to['field']}'",
                                f"'{entity}' has no user field '{to['field']}'"))
    if to.get("role") and to["role"] not in app.roles:
        out.append(_problem("action.role", "to/role", f"应用没有角色 '{to['role']}'",
                            f"the app has no role '{to['role']}'"))
    return out


def _recipients(config: dict, ctx: ActionContext) -> list[int]:
    to, core = config["to"], ctx.runtime.db.core
    users = [int(u) for u in to.get("users", [])]
    if to.get("field"):
        v = ctx.record().get(to["field"])
        users += [int(x) for x in (v if isinstance(v, list) else [v]) if x is not None]
    if to.get("role"):
        ra, u = core["role_assignment"], core["user"]
        depts = sa.select(ra.c.department_id).where(ra.c.app == ctx.app, ra.c.role == to["role"],
                                                     ra.c.department_id.is_not(None))
        users += [r for (r,) in ctx.conn.execute(sa.select(ra.c.user_id).where(
            ra.c.app == ctx.app, ra.c.role == to["role"], ra.c.user_id.is_not(None)))]
        users += [r for (r,) in ctx.conn.execute(sa.select(u.c.id).where(u.c.department_id.in_(depts)))]
    return sorted(set(users))


def _notify(config: dict, ctx: ActionContext) -> list[int]:
    from .platform.notifications import notify

    link = (ctx.app, ctx.entity, ctx.record_id) if ctx.entity and ctx.record_id else None
    out = []
    for user in _recipients(config, ctx):
        nid = notify(ctx.runtime, ctx.conn, user, config.get("kind", "action"), config["title"], config.get("body"),
                     link)
        if nid is not None:
            out.append(nid)
    return out


NOTIFY = Action(
    "notify",
    {"type": "object", "required": ["to", "title"], "additionalProperties": False, "properties": {
        "to": {"type": "object", "additionalProperties": False, "minProperties": 1, "properties": {
            "users": {"type": "array", "items": {"type": "integer", "minimum": 1}},
            "field": {"type": "string"}, "role": {"type": "string"}}},
        "title": _TEXT, "body": _TEXT, "kind": {"type": "string", "minLength": 1, "maxLength": 64}}},
    _notify, _check_notify, {"zh": "发送通知", "en": "Notify"})
