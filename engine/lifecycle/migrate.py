"""``upgrade_app``: install a changed bundle over an installed app that holds data — the plan
(engine/lifecycle/plan.py, schema_plan.py) applied in ONE transaction: checks, backups, table changes,
values, renames followed through the platform tables, definitions, seeds. A refusal or a failure at
any step leaves schema, rows, definitions and versions exactly as they were (both databases have
transactional DDL). The running app becomes the new one at the end of the transaction (the seeds of
new entities are written through it) and is put back if anything fails.

Everything that would lose or invent data is refused first, all reasons at once (``install.E007``,
each detail with its own code): a removal of data (``--allow-data-loss`` keeps it in a backup
table), values that do not convert and required fields with nothing to put in old rows (``--fill``),
rows holding a removed select option (an option's ``renamed_from``, ``--map-option``, or
``--allow-data-loss``, which keeps the values in a backup table and blanks them)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from ..errors import JimuError, msg
from .migrate_ddl import TableChange, apply
from .migrate_values import SHOWN, UpgradeOptions, parse_fill, problem, read_conversions
from .plan import Plan, PlanItem

__all__ = ["UpgradeOptions", "upgrade_app", "Migration"]


@dataclass
class Migration:
    """What an upgrade did, for its summary."""
    plan: Plan | None
    versions: list[tuple[str, str, int]] = field(default_factory=list)
    backups: list[dict[str, Any]] = field(default_factory=list)  # {id, table, entity, field, rows}
    converted: dict[str, int] = field(default_factory=dict)  # field -> values rewritten
    filled: dict[str, int] = field(default_factory=dict)  # field -> rows given a value
    options: dict[str, int] = field(default_factory=dict)  # field -> rows given another option (or none)
    followed: dict[str, int] = field(default_factory=dict)  # platform rows renamed with their entity/field
    seeded: dict[str, int] = field(default_factory=dict)
    unchanged: bool = False


def upgrade_app(runtime, src, compiled, opts: UpgradeOptions | None = None, *,
                actor_id: int | None = None, origin: str = "bundle", kept=frozenset()) -> Migration:
    opts = opts or UpgradeOptions()
    for attempt in (1, 2):
        if compiled.name not in runtime.apps or attempt == 2:  # another process installed or changed it
            runtime.load_installed()
        inst = runtime.apps[compiled.name]
        out = Migration(None)
        try:
            _apply(runtime, src, compiled, inst, opts, out, actor_id, (origin, kept))
            return out
        except _Stale:
            if attempt == 2:
                raise JimuError("install.E008", msg(
                    f"{compiled.name} 正在被其他进程修改；请重新运行",
                    f"{compiled.name} is being changed by another process; run it again"),
                    details=[{"app": compiled.name}], status=409) from None
        except BaseException:
            runtime.apps[compiled.name] = inst  # the running app stays the old one: nothing was committed
            raise
    raise AssertionError("unreachable")


class _Stale(Exception):
    """The app in the database is not the one this runtime loaded: plan again against it."""


def _apply(runtime, src, compiled, inst, opts: UpgradeOptions, out: Migration, actor_id,
           stored_as: tuple = ("bundle", frozenset())) -> None:
    from ..definition_store import store_definitions
    from ..records.app_shape import lock_app_exclusively
    from .plan import plan_checked
    from .schema_plan import tables_by_label

    apps = runtime.db.core["app"]
    with runtime.transaction() as conn:
        lock_app_exclusively(conn, compiled.name)  # writes in flight finish, new ones wait (records/app_shape.py)
        q = sa.select(apps.c.hash, apps.c.demo).where(apps.c.name == compiled.name)
        row = conn.execute(q.with_for_update() if conn.dialect.name != "sqlite" else q).first()
        if row.hash == compiled.hash:  # another upgrade of the same bundle got there first
            out.unchanged = True
            return
        if row.hash != inst.compiled.hash:
            raise _Stale()
        _lock_tables(conn, inst)
        # planned here, so what it counted (rows holding data, values to convert) is what it changes
        plan = out.plan = plan_checked(runtime, src, compiled, conn)
        work = _Work(runtime, conn, inst.compiled, compiled, plan, opts, tables_by_label(inst.compiled),
                     tables_by_label(compiled))
        work.prepare()
        work.keep_backups(out)
        apply(conn, work.changes, work.created, work.dropped)
        work.write_values(out)
        out.followed = _follow_renames(runtime, conn, compiled.name, plan)
        # where the versions come from, and the local changes whose vendor base stays (local_changes.py)
        out.versions = store_definitions(runtime, compiled, conn, actor_id=actor_id, origin=stored_as[0],
                                         kept=stored_as[1])
        runtime.add_app(compiled)  # seeds are written through the new app's record services
        out.seeded = load_new_seeds(runtime, compiled, src, plan, conn, bool(row.demo))


def _lock_tables(conn: sa.Connection, inst) -> None:
    """PostgreSQL: writes to the app's tables wait until the upgrade commits (reads go on), so no row
    arrives between the counts and the change. SQLite's write transaction already holds the lock."""
    if conn.dialect.name == "sqlite":
        return
    q = conn.dialect.identifier_preparer.quote
    have = set(sa.inspect(conn).get_table_names())
    names = [q(t.name) for t in inst.metadata.sorted_tables if t.name in have]
    if names:
        conn.exec_driver_sql(f"LOCK TABLE {', '.join(names)} IN SHARE ROW EXCLUSIVE MODE")


def load_new_seeds(runtime, compiled, src, plan: Plan, conn: sa.Connection, demo: bool) -> dict[str, int]:
    """The seed records of entities this version adds (demo ones only when the app was installed with
    its demo data); an entity that already holds rows is not seeded again."""
    from ..bundle.documents import Document
    from ..seed import is_demo, load_seed

    new = {i.name for i in plan.items if i.kind == "entity" and i.change == "added"}
    if not new:
        return {}
    empty = {e for e in new if _rows(compiled, e, conn) == 0}
    docs = []
    for d in src.seeds:
        records = d.data.get("records") if isinstance(d.data, dict) else None
        if not isinstance(records, dict) or (is_demo(d) and not demo):
            continue
        mine = {e: rows for e, rows in records.items() if e in empty}
        if mine:  # the same document (its lines stay right), holding only these records
            docs.append(Document(d.name, d.kind, d.format, {"demo": is_demo(d), "records": mine}, d.lines,
                                 d.parsed, d.text))
    return load_seed(runtime, compiled, docs, conn, demo) if docs else {}


def _rows(compiled, entity: str, conn: sa.Connection) -> int:
    from ..storage.tables import entity_table

    t = entity_table(compiled.entities[entity], compiled, sa.MetaData())
    return int(conn.execute(sa.select(sa.func.count()).select_from(t)).scalar_one())


def _follow_renames(runtime, conn: sa.Connection, app: str, plan: Plan) -> dict[str, int]:
    """Platform rows keyed by an entity's or a field's name (grants, views, jobs...) follow the rename:
    engine/lifecycle/renames.py does it."""
    entities = {i.details["renamed_from"]: i.name for i in plan.items if i.kind == "entity" and i.change == "renamed"}
    fields: dict[str, dict[str, str]] = {}
    for i in plan.items:
        if i.kind == "field" and i.change == "renamed":
            entity, _, rest = i.name.partition(".")
            owner, _, new = rest.rpartition(".")
            old = i.details["renamed_from"]
            fields.setdefault(entity, {})[f"{owner}.{old}" if owner else old] = rest
    if not entities and not fields:
        return {}
    from .renames import follow_renames

    return follow_renames(runtime, conn, app, entities, fields)


class _Work:
    """The upgrade worked out from the plan's schema items, inside the transaction."""

    def __init__(self, runtime, conn, old_app, new_app, plan: Plan, opts: UpgradeOptions, before, after):
        self.rt, self.conn, self.old_app, self.new_app = runtime, conn, old_app, new_app
        self.plan, self.opts, self.before, self.after = plan, opts, before, after
        self.problems: list[dict[str, Any]] = []
        self.changes: list[TableChange] = []
        self.created: list[sa.Table] = []
        self.dropped: list[str] = []
        self.keep: list[dict[str, Any]] = []  # backups to make before anything changes
        # (label, column, {id: value}, field when options changed) written after the DDL
        self.by_id: list[tuple[str, str, dict[int, Any], str | None]] = []
        self.fills: list[tuple[str, str, Any, str]] = []  # (label, column, value for its blanks, field)
        self.used_fills: set[str] = set()

    # --- the checks and what to do -----------------------------------------------------------------
    def prepare(self) -> None:
        items = self.plan.schema
        tables = {i.name: i for i in items if i.kind == "table"}
        columns: dict[str, list[PlanItem]] = {}
        for i in items:
            if i.kind == "column":
                columns.setdefault(i.name.rsplit(".", 1)[0], []).append(i)
        renamed = {i.name: i.details["renamed_from"] for i in tables.values() if i.change == "renamed"}
        new_tables = {t.name for t, _ in self.after.values()}
        for label, (t, _cols) in self.after.items():
            item = tables.get(label)
            if item is not None and item.change == "added":
                continue
            was = renamed.get(label, label)
            old_t = self.before[was][0]
            ch = TableChange(t, old_t.name)
            for c in columns.get(label, ()):
                self._column(label, was, ch, c)
            old_ix = {ix.name: (tuple(c.name for c in ix.columns), ix.unique) for ix in old_t.indexes}
            new_ix = {ix.name: (tuple(c.name for c in ix.columns), ix.unique) for ix in t.indexes}
            if old_t.name != t.name or ch.renames or ch.adds or ch.drops or ch.retypes or old_ix != new_ix:
                self.changes.append(ch)
        # new tables parents first (the order their keys need); old ones children first
        md_order = [t for t in next(iter(self.after.values()))[0].metadata.sorted_tables if t.name in new_tables]
        added = {self.after[i.name][0].name for i in tables.values() if i.change == "added"}
        self.created = [t for t in md_order if t.name in added]
        for i in sorted((i for i in tables.values() if i.change == "removed"), key=lambda i: "." not in i.name):
            old_t = self.before[i.name][0]
            self.dropped.append(old_t.name)
            if i.details.get("rows"):
                self._loses(i.name, i.details["rows"], lambda old_t=old_t, i=i: dict(
                    entity=i.name, field=None, source=old_t, columns=None, where=None,
                    plan=self._why("table", i.name, i.details["rows"], self._def_of(i.name))))
        self._unknown_flags()
        if self.problems:
            n = len(self.problems)
            raise JimuError("install.E007", msg(
                f"{self.new_app.name} 的升级被拒绝 ({n} 个问题)，未做任何修改；见下方说明及 jimu plan",
                f"the upgrade of {self.new_app.name} is refused ({n} problem{'s' if n != 1 else ''}); nothing was "
                "changed — see below and jimu plan"), details=self.problems, status=409)

    def _column(self, label: str, was: str, ch: TableChange, c: PlanItem) -> None:
        d = c.details
        col = d["column"]
        where = c.name
        old_t, old_cols = self.before[was]
        new_t, new_cols = self.after[label]
        fdef = new_cols.get(col, {})
        ftype = self.rt.field_types.get(fdef.get("type") or "")
        if c.change == "added":
            ch.adds.append(col)
            if fdef.get("required") and d.get("rows"):
                self._required_value(label, col, where, fdef, ftype, d)
            return
        if c.change == "removed":
            ch.drops.append(col)
            if d.get("non_null"):
                self._loses(where, d["non_null"], lambda: dict(
                    entity=label, field=where.rsplit(".", 1)[1], source=old_t,
                    columns={"record_id": "id", "value": col}, where=old_t.c[col].is_not(None),
                    plan=self._why("column", where, d["non_null"], old_cols.get(col))))
            return
        old_col = d.get("from_column", col)
        if old_col != col:
            ch.renames[col] = old_col
        if d.get("conversion"):
            self._convert(label, old_t, old_col, old_cols.get(old_col, {}), col, fdef, ftype, where)
            ch.retypes.append(col)
        if d.get("needs_default"):
            self._required_value(label, col, where, fdef, ftype, d)
        elif d.get("gets_default"):
            self.fills.append((label, col, self._default(fdef, ftype, where), where))
        renamed = {old: new for old, (new, _n) in (d.get("renamed_options") or {}).items()}
        held = d.get("rows_with_removed_options") or {}
        if renamed or held:
            self._options(label, old_t, old_col, col, fdef, where, renamed, held, old_cols.get(old_col, {}))

    def _required_value(self, label, col, where, fdef, ftype, d) -> None:
        """Old rows of a field that is now required: its default, else ``--fill``, else refused."""
        value = None
        if where in self.opts.fills:
            self.used_fills.add(where)
            value, bad = parse_fill(ftype, fdef, where, self.opts.fills[where])
            if bad is not None:
                self.problems.append(bad)
                return
        elif fdef.get("default") is not None:
            value = self._default(fdef, ftype, where)
        elif fdef.get("default_expr"):
            return  # an expression default applies to records made from now on
        else:
            n = d.get("empty_rows", d.get("rows", 0))
            self.problems.append(problem(
                "migrate.E003", where, f"{where} 现为必填，但已有 {n} 行没有值，且字段没有默认值；"
                f"请用 --fill {where}=值 指定", f"{where} is now required but {n} existing rows have no value "
                f"and the field has no default; say what to put there with --fill {where}=VALUE", rows=n))
            return
        self.fills.append((label, col, value, where))

    def _default(self, fdef, ftype, where):
        try:
            return ftype.parse(fdef, fdef.get("default"))
        except Exception:  # noqa: BLE001 - the checker checks defaults; text then
            return ftype.from_text(fdef, str(fdef.get("default")))

    def _convert(self, label, old_t, old_col, odef, col, fdef, ftype, where) -> None:
        kinds = {odef.get("type"), fdef.get("type")}
        if "relation" in kinds and odef.get("type") != fdef.get("type") or ftype is None or not \
                self.rt.field_types.get(fdef["type"]).stored:
            self.problems.append(problem(
                "migrate.E005", where, f"{where} 不能从 {odef.get('type')} 转换为 {fdef.get('type')}；"
                "请新建字段并删除旧字段", f"{where} cannot be converted from {odef.get('type')} to "
                f"{fdef.get('type')}; add a new field and remove the old one instead"))
            return
        if ftype.computed:  # derived values: carried as they are (the column rounds them), else recomputed
            same = odef.get("type") == fdef.get("type")
            c = old_t.c[old_col]
            rows = self.conn.execute(sa.select(old_t.c.id, c).where(c.is_not(None))).all()
            self.by_id.append((label, col, {rid: (v if same else None) for rid, v in rows}, None))
            return
        ok, bad = read_conversions(self.conn, old_t, old_col, ftype, fdef)
        if bad and where in self.opts.fills:
            self.used_fills.add(where)
            value, wrong = parse_fill(ftype, fdef, where, self.opts.fills[where])
            if wrong is not None:
                self.problems.append(wrong)
                return
            ok.update({b["id"]: value for b in bad})
            # what the fill replaces was data too: kept as it was, like any value an upgrade drops
            self.keep.append(dict(entity=label, field=where.rsplit(".", 1)[1], source=old_t,
                                  columns={"record_id": "id", "value": old_col},
                                  where=old_t.c.id.in_([b["id"] for b in bad]),
                                  plan=self._why("conversion", where, len(bad), odef)))
        elif bad:
            self.problems.append(problem(
                "migrate.E002", where, f"{where} 有 {len(bad)} 个值不能转换为 {fdef.get('type')}；"
                f"请修改这些记录，或用 --fill {where}=值（或 =blank）指定",
                f"{len(bad)} values of {where} do not convert to {fdef.get('type')}; correct those records, or "
                f"say what to put there with --fill {where}=VALUE (or =blank)", rows=bad[:SHOWN], count=len(bad)))
            self.problems[-1]["message"] = {lang: text + "：" + _listed(bad, lang) if lang == "zh" else
                                            text + ": " + _listed(bad, lang)
                                            for lang, text in self.problems[-1]["message"].items()}
            return
        self.by_id.append((label, col, ok, None))

    def _options(self, label, old_t, old_col, col, fdef, where, renamed, held, odef) -> None:
        """Rows holding an old option: renamed (``renamed_from``), given another (``--map-option``: the
        old values are kept in a backup, as a merge of two options loses which was which) or, with
        ``--allow-data-loss``, dropped (kept in a backup first). A multi-select's list keeps its other
        values; an emptied one is blank."""
        values = {o.get("value") for o in fdef.get("options") or ()}
        maps = dict(renamed)
        left = {}
        merged: set = set()  # removed options --map-option gives another: the old value is kept in the backup
        for old, n in held.items():
            new = (self.opts.option_maps.get(where) or {}).get(old)
            if new is None:
                left[old] = n
            elif new not in values:
                self.problems.append(problem("migrate.E006", where, f"--map-option {where}:{old}={new}：{new} 不是选项",
                                             f"--map-option {where}:{old}={new}: {new} is not an option"))
            else:
                maps[old] = new
                merged.add(old)
        if left and not self.opts.allow_data_loss:
            total = sum(left.values())
            listed = ", ".join(f"{v} ({n})" for v, n in left.items())
            self.problems.append(problem(
                "migrate.E004", where, f"{where} 有 {total} 行仍是已删除的选项 {listed}；请用选项的 renamed_from、"
                f"--map-option {where}:旧=新，或 --allow-data-loss（备份后清空）",
                f"{total} rows of {where} hold removed options {listed}; map them with the option's renamed_from "
                f"or --map-option {where}:OLD=NEW, or blank them with --allow-data-loss (kept in a backup)",
                rows=total, options=left))
            return
        new_values: dict[int, Any] = {}
        dropped: list[int] = []
        for rid, v in self.conn.execute(sa.select(old_t.c.id, old_t.c[old_col]).where(old_t.c[old_col].is_not(None))):
            items = v if isinstance(v, list) else [v]
            if not any(x in maps or x in left for x in items):
                continue
            if any(x in left or x in merged for x in items):
                dropped.append(rid)
            kept = list(dict.fromkeys(maps.get(x, x) for x in items if x not in left))
            new_values[rid] = (kept or None) if isinstance(v, list) else (kept[0] if kept else None)
        if dropped:
            gone = [*left, *sorted(merged)]
            self.keep.append(dict(entity=label, field=where.rsplit(".", 1)[1], source=old_t,
                                  columns={"record_id": "id", "value": old_col}, where=old_t.c.id.in_(dropped),
                                  plan=self._why("options", where, len(dropped), odef, options=gone)))
        self.by_id.append((label, col, new_values, where))

    def _loses(self, where: str, n: int, backup) -> None:
        if not self.opts.allow_data_loss:
            self.problems.append(problem(
                "migrate.E001", where,
                f"删除 {where} 会丢失 {n} 行数据；确认请加 --allow-data-loss（数据先存入备份表）",
                f"removing {where} loses data in {n} rows; add --allow-data-loss to go ahead (the data is kept in "
                "a backup table first)", rows=n))
            return
        self.keep.append(backup())

    def _why(self, what: str, where: str, rows: int, definition, **extra) -> dict[str, Any]:
        p = self.plan
        reason = {"table": "entity removed / 实体已删除", "column": "field removed / 字段已删除",
                  "options": "options removed / 选项已删除",
                  "conversion": "values that did not convert, filled / 无法转换的值已被填充"}[what]
        return {"reason": reason, "what": what, "name": where, "rows": rows, "from_version": p.from_version,
                "to_version": p.to_version, "definition": definition, **extra}

    def _def_of(self, label: str):
        entity = label.split(".")[0]
        return (self.old_app.documents.get("entities") or {}).get(entity)

    def _unknown_flags(self) -> None:
        """A --fill or --map-option naming a field this upgrade has nothing to do for: a typo, said so."""
        for where in self.opts.fills:
            if where not in self.used_fills and not self._is_field(where):
                self.problems.append(problem("migrate.E006", where, f"--fill {where}：没有这个字段",
                                             f"--fill {where}: no such field"))
        for where in self.opts.option_maps:
            if not self._is_field(where):
                self.problems.append(problem("migrate.E006", where, f"--map-option {where}：没有这个字段",
                                             f"--map-option {where}: no such field"))

    def _is_field(self, where: str) -> bool:
        label, _, name = where.rpartition(".")
        return label in self.after and any(d.get("name") == name for d in self.after[label][1].values())

    # --- the writes ------------------------------------------------------------------------------
    def keep_backups(self, out: Migration) -> None:
        from .backups import keep_rows

        for k in self.keep:
            bid, name, rows = keep_rows(self.rt, self.conn, app=self.new_app.name, **k)
            out.backups.append({"id": bid, "table": name, "entity": k["entity"], "field": k["field"], "rows": rows})

    def write_values(self, out: Migration) -> None:
        for label, col, values, options_of in self.by_id:
            t = self.after[label][0]
            if values:
                stmt = t.update().where(t.c.id == sa.bindparam("_id")).values(
                    {col: sa.bindparam("_v", type_=t.c[col].type)})
                self.conn.execute(stmt, [{"_id": k, "_v": v} for k, v in values.items()])
            if options_of:  # rows given another option, or none
                out.options[options_of] = out.options.get(options_of, 0) + len(values)
            else:
                out.converted[f"{label}.{self.after[label][1][col]['name']}"] = len(values)
        for label, col, value, where in self.fills:  # after the conversions: the blanks left
            t = self.after[label][0]
            n = self.conn.execute(t.update().where(t.c[col].is_(None)).values({col: value})).rowcount
            out.filled[where] = out.filled.get(where, 0) + (n or 0)


def _listed(bad: list[dict[str, Any]], lang: str, n: int = 5) -> str:
    """``id 3 "abc" (must be a number)``, the first few rows that do not convert."""
    shown = "; ".join(f'id {b["id"]} "{b["value"]}" ({b["message"][lang]})' for b in bad[:n])
    return shown + (f"; … (+{len(bad) - n})" if len(bad) > n else "")
