"""Seed and demo data shipped in a bundle's ``seed/`` folder, loaded through the bulk write path.

```yaml
demo: true            # only loaded when demo data is asked for
records:
  customer:
    - {_key: huawei, name: 华为技术有限公司}
  contact:
    - {customer: "@huawei", name: 张伟}    # "@key" refers to a record loaded earlier
```
Entities load in relation order (networkx topological sort), so a file may list them in any order.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import networkx as nx
import sqlalchemy as sa
import yaml

from .compiled import CompiledApp
from .errors import JimuError, ValidationFailed, msg


def seed_files_in_folder(bundle: Path) -> dict[str, bytes]:
    folder = bundle / "seed"
    if not folder.is_dir():
        return {}
    return {f"seed/{p.name}": p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


def parse_seed_files(files: dict[str, bytes], demo: bool) -> list[tuple[str, dict[str, Any]]]:
    """Seed documents in name order; demo files only when ``demo``. JSON is YAML here too."""
    out = []
    for name in sorted(files):
        if not name.endswith((".yaml", ".yml", ".json")):
            continue
        try:
            doc = yaml.safe_load(files[name].decode("utf-8")) or {}
        except (yaml.YAMLError, UnicodeDecodeError) as e:
            raise JimuError("seed.E004", msg(f"{name}: 无法解析: {e}", f"{name}: cannot be parsed: {e}")) from None
        if not isinstance(doc, dict) or not isinstance(doc.get("records") or {}, dict):
            raise JimuError("seed.E004", msg(f"{name}: 应有 records 映射", f"{name}: must hold a records mapping"))
        if doc.get("demo") and not demo:
            continue
        out.append((name, doc))
    return out


def load_seed(runtime, app: CompiledApp, files: list[tuple[str, dict[str, Any]]],
              conn: sa.Connection) -> dict[str, int]:
    """Insert the organisation, then every seed record, inside the caller's transaction; returns
    counts per entity. A record's ``owner`` is a user's login."""
    from .identity.org_seed import load_org, user_id_by_login

    counts = {k: v for k, v in load_org(runtime, app.name, files, conn).items() if v}
    merged: dict[str, list[tuple[str, dict]]] = {}
    for fname, doc in files:
        for entity, rows in (doc.get("records") or {}).items():
            if entity not in app.entities:
                raise JimuError("seed.E001", msg(f"{fname}: 没有实体 '{entity}'", f"{fname}: no entity '{entity}'"))
            merged.setdefault(entity, []).extend((fname, r) for r in rows or ())
    keys: dict[str, tuple[str, int]] = {}
    for entity in _order(app, merged):
        rows, key_of = [], []
        for fname, r in merged[entity]:
            r = dict(r)
            key_of.append(r.pop("_key", None))
            if isinstance(r.get("owner"), str):
                r["owner"] = user_id_by_login(conn, runtime, r["owner"], fname)
            rows.append({k: _resolve(v, keys, fname, entity) for k, v in r.items()})
        try:
            ids = runtime.records(app.name, entity).create_many(rows, conn=conn)
        except ValidationFailed as e:
            raise ValidationFailed("seed.E002", msg(f"种子数据 {entity} 有误", f"seed data for {entity} is invalid"),
                                   e.details) from None
        for k, i in zip(key_of, ids):
            if k:
                keys[k] = (entity, i)
        counts[entity] = len(ids)
    return counts


def _order(app: CompiledApp, merged: dict) -> list[str]:
    g = nx.DiGraph()
    g.add_nodes_from(merged)
    for name in merged:
        for target in _relations(app.entities[name].definition.get("fields") or ()):
            if target in merged and target != name:
                g.add_edge(target, name)
    return list(nx.lexicographical_topological_sort(g))


def _relations(field_defs) -> set[str]:
    """Entities the fields point at, nested field lists (a sub-table's rows) included."""
    out = set()
    for fd in field_defs:
        if fd.get("type") == "relation" and fd.get("to"):
            out.add(fd["to"])
        out |= _relations(fd.get("fields") or ())
    return out


def _resolve(v: Any, keys: dict, fname: str, entity: str) -> Any:
    if isinstance(v, list):
        return [_resolve(x, keys, fname, entity) for x in v]
    if isinstance(v, dict):
        return {k: _resolve(x, keys, fname, entity) for k, x in v.items()}
    if isinstance(v, str) and v.startswith("@"):
        if v[1:] not in keys:
            raise JimuError("seed.E003", msg(f"{fname}: {entity} 引用了未知的键 {v}",
                                             f"{fname}: {entity} refers to an unknown key {v}"))
        return keys[v[1:]][1]
    return v
