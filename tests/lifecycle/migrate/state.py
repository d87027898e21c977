"""What the upgrade tests compare: the whole database (every table's columns, indexes and rows,
platform tables included) and an app's records as the running app reads them."""
from __future__ import annotations

import shutil
from pathlib import Path

import sqlalchemy as sa
import yaml


def layout(rt, *, skip_backups: bool = False) -> dict[str, dict]:
    """{table: {"columns": {name: SQL type}, "indexes": {name: (columns, unique)}, "foreign_keys": [...]}}
    as the database has it."""
    insp = sa.inspect(rt.db.engine)
    out = {}
    for t in insp.get_table_names():
        if skip_backups and t.startswith("jimu_backup_"):
            continue
        out[t] = {"columns": {c["name"]: str(c["type"]) for c in insp.get_columns(t)},
                  "indexes": {i["name"]: (tuple(i["column_names"]), bool(i.get("unique")))
                              for i in insp.get_indexes(t)},
                  "foreign_keys": sorted((tuple(k["constrained_columns"]), k["referred_table"],
                                          tuple(k["referred_columns"])) for k in insp.get_foreign_keys(t))}
    return out


def all_rows(rt) -> dict[str, list[tuple]]:
    """Every row of every table, as stored."""
    out = {}
    with rt.db.engine.connect() as c:
        prep = c.dialect.identifier_preparer
        for t in sa.inspect(c).get_table_names():
            out[t] = sorted((tuple(r) for r in c.exec_driver_sql(f"SELECT * FROM {prep.quote(t)}")), key=repr)
    return out


def snapshot(rt) -> tuple[dict, dict]:
    return layout(rt), all_rows(rt)


def records(rt, app: str) -> dict[str, dict[int, dict]]:
    """{entity or "entity.subtable": {id: {column: value}}}: every row of the app's tables, typed as the
    running app reads them (decimals as Decimal on both databases)."""
    inst = rt.apps[app]
    names = {t.name: label for label, t in inst.tables.items()}
    out = {}
    with rt.db.engine.connect() as c:
        for t in inst.metadata.sorted_tables:
            label = names.get(t.name, t.name)
            out[label] = {r["id"]: dict(r) for r in c.execute(sa.select(t)).mappings()}
    return out


def copy_bundle(src: Path, dest: Path) -> Path:
    shutil.copytree(src, dest)
    return dest


def edit(root: Path, change) -> Path:
    """Edit the bundle's YAML documents as data: ``change({relative path: parsed document})``; a path
    mapped to None is deleted, a new one written."""
    docs = {str(p.relative_to(root)): yaml.safe_load(p.read_text(encoding="utf-8")) for p in root.rglob("*.yaml")}
    change(docs)
    for p in root.rglob("*.yaml"):
        p.unlink()
    for name, doc in docs.items():
        if doc is None:
            continue
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return root


def field(docs: dict, entity: str, name: str) -> dict:
    return next(f for f in docs[f"entities/{entity}.yaml"]["fields"] if f["name"] == name)


def bump(docs: dict, version: str) -> None:
    docs["app.yaml"]["version"] = version
