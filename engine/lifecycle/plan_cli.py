"""``jimu plan PATH [--db URL] [--json]``: what installing or upgrading the bundle would change, before
anything is touched. Lines are grouped by kind: ``+`` added, ``-`` removed, ``~`` changed, ``>`` renamed;
``--json`` prints the plan as one stable JSON object. A bundle with errors prints them as ``jimu check``
does and exits 1; so does a database that cannot be opened (a clear message, no traceback)."""
from __future__ import annotations

import json
import sys
from typing import TextIO

from .plan import Plan, PlanItem

KEPT = "保留本地修改 / local change kept"  # the install keeps the local version (local_changes.py)
SIGN = {"added": "+", "removed": "-", "changed": "~", "renamed": ">"}
GROUPS = {"app": "应用 / app", "entity": "实体 / entities", "field": "字段 / fields",
          "print_template": "打印模板 / print templates", "role": "角色 / roles", "grant": "权限 / grants",
          "table": "数据表 / tables", "column": "数据列 / columns"}


def main(path: str, db: str | None, as_json: bool, *, out: TextIO | None = None, err: TextIO | None = None,
         overwrite_local: bool = False) -> int:
    from ..bundle.errors import BundleInvalid
    from ..runtime import open_runtime
    from .plan import plan_bundle

    out, err = out or sys.stdout, err or sys.stderr
    try:
        rt = open_runtime(_planning_url(db))
    except Exception as e:  # a wrong URL, no server, not a database: say so, in one line
        if getattr(e, "code", None) == "engine.E001":
            raise  # an engine that cannot be loaded is no database problem: the command says so
        reason = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        err.write(f"error: plan.E001: 无法打开数据库 / cannot open the database: {reason}\n")
        return 1
    try:
        plan = plan_bundle(rt, path, overwrite_local=overwrite_local)
    except BundleInvalid as e:
        for problem in e.errors:
            out.write(problem.format() + "\n")
        n = sum(1 for p in e.errors if p.is_error)
        err.write(f"{n} 个错误 / {n} error{'s' if n != 1 else ''}\n")
        return 1
    finally:
        rt.db.dispose()
    out.write((json.dumps(plan.to_dict(), ensure_ascii=False, indent=2, default=str) if as_json
               else render(plan)) + "\n")
    return 0


def _planning_url(db: str | None) -> str:
    """The database to plan against: a SQLite file that does not exist yet is planned as an empty
    database in memory, so a plan never creates the file (everything in the bundle is "added")."""
    import os
    from pathlib import Path

    import sqlalchemy as sa

    from ..storage.database import DEFAULT_URL, normalise_url

    url = normalise_url(db or os.environ.get("JIMU_DATABASE_URL") or DEFAULT_URL)
    if url.startswith("sqlite"):
        path = sa.engine.make_url(url).database
        if path and path != ":memory:" and not Path(path).exists():
            return "sqlite://"
    return url


def render(plan: Plan) -> str:
    """The plan as lines a person reads: a heading, then each kind's items, then the schema."""
    if plan.action == "unchanged" and not plan.kept_local:
        return f"{plan.app} {plan.to_version}: 无变化 / unchanged"
    if plan.action == "unchanged":
        head = f"{plan.app} {plan.to_version}: 无变化 / unchanged"
    elif plan.action == "install":
        head = f"安装 / install {plan.app} {plan.to_version}"
    else:
        head = f"升级 / upgrade {plan.app} {plan.from_version} → {plan.to_version}"
    lines = [head]
    for items in (plan.items, plan.schema):
        groups: dict[str, list[PlanItem]] = {}
        for i in items:
            groups.setdefault(i.kind, []).append(i)
        order = list(GROUPS)
        for kind, group in sorted(groups.items(), key=lambda kv: (order.index(kv[0]) if kv[0] in order
                                                                    else len(order), kv[0])):
            lines.append(f"{GROUPS.get(kind) or _kind_label(kind)}:")
            lines += ["  " + line(i) for i in group]
    if plan.loses_data:
        lines.append("注意：此计划会丢失数据；升级需加 --allow-data-loss，数据先存入备份表 (jimu backups) / "
                     "warning: this plan loses data; an upgrade needs --allow-data-loss and keeps the data in a "
                     "backup table first (jimu backups)")
    return "\n".join(lines)


def _kind_label(kind: str) -> str:
    """An engine's kind by the label it declares (``检查清单 / Checklists``), else by its name."""
    from ..kinds import declared_kinds

    spec = declared_kinds().get(kind)
    label = dict(spec.label) if spec is not None else {}
    return f"{label['zh']} / {label['en']}" if label.get("zh") and label.get("en") else kind


def line(i: PlanItem) -> str:
    d = i.details
    text = f"{SIGN[i.change]} {i.kind} {i.name}"
    if i.change == "renamed":
        text += f" ← {d.get('renamed_from') or d.get('from_column')}"
    if i.change == "added" and d.get("type"):
        text += f" ({d['type']})"
    if i.kind == "app" and d.get("version"):
        text += f": version {d['version'][0]} → {d['version'][1]}" if isinstance(d["version"], list) else \
            f" {d['version']}"
    notes = []
    if d.get("options"):
        o = d["options"]
        notes.append("options " + " ".join([*(f"+{v}" for v in o.get("added", ())),
                                             *(f"-{v}" for v in o.get("removed", ())),
                                             *(f">{v}" for v in o.get("renamed", ())),
                                             *(f"~{v}" for v in o.get("relabelled", ()) + o.get("changed", ())),
                                             *(["(order)"] if o.get("reordered") else [])]))
    keys = [k for k in d.get("changed", ()) if k != "options"]
    if keys and i.kind != "app":
        notes.append(", ".join(_change(k, d) for k in keys))
    elif i.kind == "app" and keys:
        notes.append(", ".join(k for k in keys if k != "version"))
    if d.get("paths"):
        notes.append(", ".join(d["paths"]))
    if d.get("rows_with_removed_options"):
        held = ", ".join(f"{v} {n}" for v, n in d["rows_with_removed_options"].items())
        notes.append(f"仍在使用的已删选项 / removed options still held: {held} rows"
                     " (--map-option, or --allow-data-loss: kept in backup, then blank / 备份后清空)")
    if d.get("renamed_options"):
        moved = ", ".join(f"{v}→{new} {n}" for v, (new, n) in d["renamed_options"].items())
        notes.append(f"改为新选项 / given the renamed option: {moved} rows")
    if d.get("conversion"):
        a, b = (d["from_type"], d["to_type"]) if d.get("from_type") != d.get("to_type") else \
            (d.get("from_sql"), d.get("to_sql"))
        bad = f", {d['not_converting']} 个不能转换 / do not convert (--fill)" if d.get("not_converting") else ""
        notes.append(f"转换 / conversion {a} → {b} ({d.get('non_null', 0)} values{bad})")
    if d.get("gets_default"):
        notes.append(f"空值填入默认值 / blanks get the default ({d['gets_default']} rows)")
    if d.get("needs_default"):
        notes.append(f"需要默认值 / needs a default ({d.get('empty_rows', d.get('rows', 0))} rows)")
    notes = [n for n in notes if n]
    if notes:
        text += ": " + "; ".join(notes)
    held = d.get("non_null") if i.kind == "column" else d.get("rows")
    if i.change == "removed" and held:
        text += (f" — holds data in {held} rows, kept in backup with --allow-data-loss"
                 f" / {held} 行有数据，--allow-data-loss 时存入备份表")
    if d.get("local_change_kept"):
        text += f" [{KEPT}]"
    return text


def _change(key: str, d: dict) -> str:
    if "from" not in d and "to" not in d:  # a renamed item lists the keys that changed, not their values
        return key
    a, b = (d.get("from") or {}).get(key), (d.get("to") or {}).get(key)
    if isinstance(a, (str, int, float, bool, type(None))) and isinstance(b, (str, int, float, bool, type(None))):
        return f"{key} {_v(a)} → {_v(b)}"
    return key


def _v(x) -> str:
    return "-" if x is None else json.dumps(x, ensure_ascii=False) if isinstance(x, str) else str(x).lower() \
        if isinstance(x, bool) else str(x)
