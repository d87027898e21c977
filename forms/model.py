"""The form model of an app: every expression of its entities compiled once, the computed fields in
dependency order, and the links along which a change reaches other records.

Built once per compiled app (cached on the runtime by the app's content hash) and by the bundle
checker, which reports ``problems`` (an expression that does not check, a cycle) at load time.

A *scope* is an entity or a sub-table's rows ("quote.lines"): each has its own fields, defaults,
linkage rules, validations and computed fields.
"""
from __future__ import annotations

from dataclasses import dataclass, field, fields, is_dataclass
from typing import Any

from engine.compiled import CompiledApp, CompiledEntity, CompiledField
from rules.expr import CompiledExpression, ExprError, compile_expression
from rules.expr import types as T
from rules.expr.nodes import Call

from .computed_kinds import rollup_source, scope_type
from .graph import DependencyGraph

LINKAGE_KEYS = ("visible_if", "required_if", "readonly_if")


@dataclass
class Rule:
    """A validation: the message shows when ``expr`` is true."""

    expr: CompiledExpression
    message: dict[str, str]
    path: str | None


@dataclass
class Step:
    """One computed field of one scope, in dependency order."""

    scope: str
    field: CompiledField
    expr: CompiledExpression | None = None  # a formula's, or a rollup's filter over sub-table rows
    sql_filter: Any = None  # a checked tree for a rollup over other records (compiled to SQL)


@dataclass
class Link:
    """A change of ``fields`` of ``source`` records reaches ``target`` records:
    kind "path": target records whose relation chain ``chain`` (target -> ... -> source) leads to them;
    kind "rollup": the records the source's relation ``via`` points to (before and after the change)."""

    source: str
    fields: frozenset[str]
    target: str
    kind: str
    chain: tuple[str, ...] = ()
    via: str = ""


@dataclass
class ScopeModel:
    name: str
    entity: CompiledEntity
    type: T.RecordType
    defaults: dict[str, CompiledExpression] = field(default_factory=dict)
    linkage: dict[str, dict[str, CompiledExpression]] = field(default_factory=dict)  # key -> field -> expr
    option_rules: dict[str, dict[str, CompiledExpression]] = field(default_factory=dict)  # field -> value -> expr
    validations: list[Rule] = field(default_factory=list)
    state_rules: dict[str, dict[str, list[Rule]]] = field(default_factory=dict)  # field -> state -> must hold
    reads: set[tuple[str, ...]] = field(default_factory=set)  # every path its expressions read


@dataclass
class AppModel:
    app: CompiledApp
    scopes: dict[str, ScopeModel]
    steps: dict[str, list[Step]]  # entity -> its computed fields (rows' too) in dependency order
    links: list[Link]
    problems: list[tuple[str, tuple, str, str]]  # (entity, JSON path parts, zh, en)
    # stored values that depend on the date: entity -> its computed fields ("entity.field", rows'
    # "entity.sub.field") that call TODAY() or read such a field; ``daily`` lists the entities whose
    # records the midnight job recomputes (their own fields call TODAY()); others follow by cascade
    time_dependent: dict[str, list[str]] = field(default_factory=dict)
    daily: list[str] = field(default_factory=list)
    # each computed field's node ("quote.lines.total") with the nodes it reads, in dependency order
    sources: list[tuple[str, frozenset[str]]] = field(default_factory=list)

    def scope(self, name: str) -> ScopeModel:
        return self.scopes[name]

    def links_from(self, entity: str) -> list[Link]:
        return [k for k in self.links if k.source == entity]


def build_model(app: CompiledApp, functions) -> AppModel:
    b = _Builder(app, functions)
    b.run()
    return AppModel(app, b.scopes, b.steps, b.links, b.problems, b.time_dependent, b.daily, b.sources)


class _Builder:
    def __init__(self, app: CompiledApp, functions) -> None:
        self.app, self.functions = app, functions
        self.scopes: dict[str, ScopeModel] = {}
        self.steps: dict[str, list[Step]] = {}
        self.links: list[Link] = []
        self.problems: list = []
        self.sources: list[tuple[str, frozenset[str]]] = []
        self.graph = DependencyGraph()
        self._step_of: dict[str, Step] = {}
        self._calls_today: set[str] = set()  # nodes whose own expression calls TODAY()
        self.time_dependent: dict[str, list[str]] = {}
        self.daily: list[str] = []

    # --- helpers ---------------------------------------------------------------------------------
    def compile(self, text: str, scope: str, where: tuple, entity: str) -> CompiledExpression | None:
        st = scope_type(self.app, scope)
        try:
            return compile_expression(text, st, self.functions)
        except ExprError as e:
            self.problems.append((entity, where, f"表达式有误: {e.message['zh']}",
                                  f"invalid expression: {e.message['en']}"))
            return None

    def run(self) -> None:
        for ent in self.app.entities.values():
            self.add_scope(ent.name, ent, (), ent.name)
            for i, f in enumerate(ent.fields):
                if f.type_name == "subtable":
                    rows = f.ftype.rows.get(self.app.name, ent.name, f.definition)
                    self.add_scope(f"{ent.name}.{f.name}", rows, ("fields", i), ent.name)
        cycles = self.graph.cycles()
        for cycle in cycles:
            entity = cycle[0].split(".")[0]
            names = " → ".join(cycle + [cycle[0]])
            self.problems.append((entity, ("fields",), f"公式/汇总字段循环依赖: {names}",
                                  f"formula/rollup fields depend on each other in a cycle: {names}"))
        if cycles:
            return
        order = self.graph.order()
        for node in order:
            self.sources.append((node, frozenset(self.graph.g.predecessors(node))))
            step = self._step_of.get(node)
            if step is not None:
                self.steps.setdefault(step.scope.split(".")[0], []).append(step)
        dated = set(self._calls_today)
        for node in self._calls_today:
            dated |= self.graph.computed_from(node)
        for node in sorted(dated):
            self.time_dependent.setdefault(node.split(".")[0], []).append(node)
        self.daily = sorted({n.split(".")[0] for n in self._calls_today})

    def watch_clock(self, node: str, e: CompiledExpression, where: tuple, entity: str) -> None:
        """A stored value of TODAY() is kept current by the midnight job; NOW() is refused: a stored
        moment is stale as soon as it is stored, and recomputing it daily would pass off midnight's
        time as now."""
        calls = clock_calls(e.tree)
        if "NOW" in calls:
            self.problems.append((entity, where, "存储的计算字段不能使用 NOW()：它的值在保存时就已过期。"
                                                 "按日期计算请用 TODAY() (每天零点重算)；要记下保存的时刻，"
                                                 "请用日期时间字段的 default_expr: NOW()",
                                  "a stored computed field cannot use NOW(): its value is stale once saved. "
                                  "Use TODAY() for date arithmetic (recomputed daily at midnight), or a "
                                  "datetime field with default_expr: NOW() to record the time of saving"))
        if "TODAY" in calls:
            self._calls_today.add(node)

    def add_scope(self, name: str, ent: CompiledEntity, base: tuple, entity: str) -> None:
        st = scope_type(self.app, name)
        sm = self.scopes[name] = ScopeModel(name, ent, st)
        fields_key = base + ("fields",) if base else ("fields",)
        for i, f in enumerate(ent.fields):
            where = fields_key + (i,)
            d = f.definition
            if d.get("default_expr"):
                e = self.compile(d["default_expr"], name, where + ("default_expr",), entity)
                if e is not None:
                    sm.defaults[f.name] = e
                    sm.reads |= e.reads
            for key in LINKAGE_KEYS:
                if d.get(key):
                    e = self.compile(d[key], name, where + (key,), entity)
                    if e is not None:
                        sm.linkage.setdefault(key, {})[f.name] = e
                        sm.reads |= e.reads
            for j, opt in enumerate(d.get("options") or ()):
                if isinstance(opt, dict) and opt.get("visible_if"):
                    e = self.compile(opt["visible_if"], name, where + ("options", j, "visible_if"), entity)
                    if e is not None:
                        sm.option_rules.setdefault(f.name, {})[opt["value"]] = e
                        sm.reads |= e.reads
            for state, req in (d.get("requires") or {}).items():
                for j, cond in enumerate((req or {}).get("conditions") or ()):
                    e = self.compile(cond["expr"], name, where + ("requires", state, "conditions", j, "expr"), entity)
                    if e is not None:
                        sm.state_rules.setdefault(f.name, {}).setdefault(state, []).append(
                            Rule(e, dict(cond["message"]), f.name))
                        sm.reads |= e.reads
            if f.type_name in ("formula", "lookup", "rollup"):
                self.add_computed(name, ent, f, where, entity, sm)
            else:  # an autonumber is the engine's too, but set when numbers are given, not computed here
                self.graph.field(name, f.name)
        vkey = base + ("validations",) if base else ("validations",)
        for j, v in enumerate(ent.definition.get("validations") or ()):
            e = self.compile(v["when"], name, vkey + (j, "when"), entity)
            if e is not None:
                sm.validations.append(Rule(e, dict(v["message"]), v.get("path")))
                sm.reads |= e.reads

    # --- computed fields and their edges ---------------------------------------------------------
    def add_computed(self, scope: str, ent: CompiledEntity, f: CompiledField, where: tuple, entity: str,
                     sm: ScopeModel) -> None:
        d = f.definition
        node = self.graph.field(scope, f.name, computed=True)
        step = Step(scope, f)
        self._step_of[node] = step
        if f.type_name == "formula":
            e = self.compile(d.get("expr", ""), scope, where + ("expr",), entity)
            if e is None:
                return
            step.expr = e
            self.watch_clock(node, e, where + ("expr",), entity)
            sm.reads |= e.reads
            for path in e.reads:
                self.depend_on_path(scope, ent, path, node, live=True)
        elif f.type_name == "lookup":
            via = ent.field(d["via"])
            if via is None or not via.relation_to:
                self.problems.append((entity, where + ("via",), f"'{d['via']}' 不是关联字段",
                                      f"'{d['via']}' is not a relation field"))
                return
            target = self.app.entities[via.relation_to]
            if target.field(d["field"]) is None:
                self.problems.append((entity, where + ("field",), f"{target.name} 没有字段 '{d['field']}'",
                                      f"{target.name} has no field '{d['field']}'"))
                return
            sm.reads.add((d["via"], d["field"]))
            live = d.get("mode", "live") == "live" and "." not in scope
            self.depend_on_path(scope, ent, (d["via"], d["field"]), node, live=live)
        elif f.type_name == "rollup":
            self.add_rollup(scope, ent, f, where, entity, node, step)

    def depend_on_path(self, scope: str, ent: CompiledEntity, path: tuple[str, ...], node: str, live: bool) -> None:
        """Edges for a path read by ``node``: the fields along it; a path through relations read by
        a record-level field is a link for cascading changes (rows take related values when saved)."""
        cur_scope, cur = scope, ent
        chain: list[str] = []
        for i, name in enumerate(path):
            f = cur.field(name)
            if f is None:
                return  # a system field (id, owner...): never computed
            self.graph.edge(self.graph.field(cur_scope, name), node)
            last = i == len(path) - 1
            if f.type_name == "subtable" and not last:
                rows = f.ftype.rows.get(self.app.name, cur.name, f.definition)
                sub = rows.field(path[i + 1])
                if sub is not None:
                    self.graph.edge(self.graph.field(f"{cur_scope}.{name}", path[i + 1]), node)
                return
            if last or not f.relation_to:
                return
            chain.append(name)
            cur = self.app.entities[f.relation_to]
            cur_scope = cur.name
            if live and "." not in scope:
                nxt = path[i + 1]
                self.links.append(Link(cur.name, frozenset({nxt}), scope, "path", tuple(chain)))

    def add_rollup(self, scope, ent, f, where, entity, node, step) -> None:
        d = f.definition
        if "." in scope:
            self.problems.append((entity, where, "子表行中不能使用汇总字段；请在主表汇总",
                                  "a rollup cannot be a sub-table column; roll up on the record instead"))
            return
        src = rollup_source(self.app, f)
        if ("of" in d) == ("from" in d):
            self.problems.append((entity, where, "汇总需要 of (子表) 或 from (关联记录) 之一",
                                  "a rollup needs one of `of` (a sub-table) or `from` (related records)"))
            return
        if src is None:
            self.problems.append((entity, where, "汇总的来源不存在", "the rollup's source does not exist"))
            return
        agg = d.get("agg")
        if agg not in ("count",) and d.get("field") and src.field(d["field"]) is None:
            self.problems.append((entity, where + ("field",), f"{src.name} 没有字段 '{d['field']}'",
                                  f"{src.name} has no field '{d['field']}'"))
            return
        if agg not in ("count",) and not d.get("field"):
            self.problems.append((entity, where, "这种汇总需要 field", "this rollup needs `field`"))
            return
        filt = None
        if d.get("filter"):
            filt = self.compile(d["filter"], src.name, where + ("filter",), entity)
            if filt is None:
                return
            self.watch_clock(node, filt, where + ("filter",), entity)
        if "of" in d:
            sub_scope = f"{scope}.{d['of']}"
            step.expr = filt
            self.graph.edge(self.graph.field(scope, d["of"]), node)
            for name in {d.get("field"), d.get("order_by")} - {None}:
                self.graph.edge(self.graph.field(sub_scope, name), node)
            for path in (filt.reads if filt else ()):
                self.depend_on_path(sub_scope, src, path, node, live=False)
            return
        frm = d["from"]
        sent = self.app.entities.get(frm["entity"])
        via = sent.field(frm["via"]) if sent is not None else None
        if via is None or via.relation_to != ent.name:
            self.problems.append((entity, where + ("from", "via"),
                                  f"{frm['entity']}.{frm['via']} 应为指向 {ent.name} 的关联字段",
                                  f"{frm['entity']}.{frm['via']} must be a relation to {ent.name}"))
            return
        if filt is not None:
            from rules.expr.sql_backend import sql_problems

            found = sql_problems(filt.tree, registry=self.functions)
            if found:
                self.problems.append((entity, where + ("filter",), "这个筛选条件无法在数据库中计算",
                                      "this filter cannot be computed in the database"))
                return
            step.sql_filter = filt.tree
        source_fields = {frm["via"]}
        src_scope = sent.name
        if frm.get("rows"):
            source_fields.add(frm["rows"])
            src_scope = f"{sent.name}.{frm['rows']}"
        for name in {d.get("field"), d.get("order_by")} - {None}:
            holder = src_scope if src.field(name) is not None else sent.name
            if holder == sent.name and sent.field(name) is None:
                if name not in ("created_at", "updated_at", "id"):
                    self.problems.append((entity, where + ("order_by",), f"{sent.name} 没有字段 '{name}'",
                                          f"{sent.name} has no field '{name}'"))
                continue
            self.graph.edge(self.graph.field(holder, name), node)
            if holder == sent.name:
                source_fields.add(name)
        for path in (filt.reads if filt else ()):
            self.graph.edge(self.graph.field(src_scope, path[0]), node)
            if src_scope == sent.name:
                source_fields.add(path[0])
        for src_name, mine in (d.get("match") or {}).items():
            self.graph.edge(self.graph.field(scope, mine), node)
            if src_scope == sent.name:
                source_fields.add(src_name)
        self.graph.edge(self.graph.field(sent.name, frm["via"]), node)
        if src_scope != sent.name:
            self.graph.edge(self.graph.field(sent.name, frm["rows"]), node)
        self.links.append(Link(sent.name, frozenset(source_fields), scope, "rollup", via=frm["via"]))


def clock_calls(tree: Any) -> set[str]:
    """The clock functions (TODAY, NOW) an expression tree calls."""
    out: set[str] = set()
    todo = [tree]
    while todo:
        node = todo.pop()
        if isinstance(node, Call) and node.name in ("TODAY", "NOW"):
            out.add(node.name)
        if is_dataclass(node):
            for f in fields(node):
                v = getattr(node, f.name)
                if is_dataclass(v):
                    todo.append(v)
                elif isinstance(v, tuple):
                    todo.extend(x for x in v if is_dataclass(x))
    return out


def model_for(runtime, app: CompiledApp) -> AppModel:
    """The app's form model, built on first use and kept while the app's definitions are the same."""
    cache = runtime.settings.setdefault("forms.models", {})
    got = cache.get(app.name)
    if got is None or got[0] != app.hash:
        got = cache[app.name] = (app.hash, build_model(app, runtime.functions))
    return got[1]
