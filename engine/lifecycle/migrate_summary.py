"""The lines an upgrade prints under its summary: schema changes, values converted or filled,
backups kept, platform rows that followed a rename, seeds loaded."""
from __future__ import annotations


def summary_lines(m) -> list[str]:
    out = []
    schema = [i for i in m.plan.schema if i.kind in ("table", "column")]
    if schema:
        counts: dict[str, int] = {}
        for i in schema:
            counts[i.change] = counts.get(i.change, 0) + 1
        said = ", ".join(f"{n} {c}" for c, n in sorted(counts.items()))
        out.append(f"数据表变更 / schema changes: {said}")
    for where, n in m.converted.items():
        out.append(f"已转换 / converted {where}: {n} values")
    for where, n in m.filled.items():
        if n:
            out.append(f"已填写 / filled {where}: {n} rows")
    for where, n in m.options.items():
        if n:
            out.append(f"已改选项 / options changed {where}: {n} rows")
    for b in m.backups:
        what = f"{b['entity']}.{b['field']}" if b["field"] else b["entity"]
        out.append(f"已备份 / kept in backup {b['id']} ({b['table']}): {what}, {b['rows']} rows"
                   " — jimu backups --purge 可删除 / purge with jimu backups --purge")
    for what, n in (m.followed or {}).items():
        if n:
            out.append(f"随重命名更新 / followed the rename: {what} {n}")
    for entity, n in m.seeded.items():
        out.append(f"已载入 / seeded {entity}: {n}")
    return out
