"""Data an upgrade dropped, kept: before a removed field's column, a removed entity's table or the
values of removed select options go (``--allow-data-loss``), they are copied into a table of their
own, ``jimu_backup_<id>``, registered in ``jimu_backup`` (app, entity, field, table, rows, when, and
the plan's words for it) and kept until ``jimu backups --purge ID``.

A column is kept as ``(record_id, value)``, a table as all its columns; values are as the database
stores them (the same column types), and the registry row keeps the field's definition to read them."""
from __future__ import annotations

import sys
from typing import Any

import sqlalchemy as sa

from ..errors import JimuError, msg


def keep_rows(runtime, conn: sa.Connection, *, app: str, entity: str, field: str | None, source: sa.Table,
              columns: dict[str, str] | None, where=None, plan: dict[str, Any]) -> tuple[int, str, int]:
    """Copy ``source``'s rows (``columns``: {backup column: source column}, None: every column)
    matching ``where`` into a new backup table; returns (id, table name, rows)."""
    reg = runtime.db.core["backup"]
    bid = conn.execute(reg.insert().values(app=app, entity=entity, field=field, table_name="", rows=0,
                                           created_at=runtime.clock(), plan=plan)).inserted_primary_key[0]
    name = f"jimu_backup_{bid}"
    pairs = columns or {c.name: c.name for c in source.columns}
    md = sa.MetaData()
    # plain columns of the same types: no keys, no indexes, nothing that ties it to the app's tables
    kept = sa.Table(name, md, *(sa.Column(k, source.c[v].type) for k, v in pairs.items()))
    kept.create(conn)
    q = sa.select(*(source.c[v] for v in pairs.values()))
    if where is not None:
        q = q.where(where)
    conn.execute(kept.insert().from_select(list(pairs), q))
    rows = int(conn.execute(sa.select(sa.func.count()).select_from(kept)).scalar_one())
    conn.execute(reg.update().where(reg.c.id == bid).values(table_name=name, rows=rows))
    return int(bid), name, rows


def drop_backup_tables(runtime, conn: sa.Connection, app: str) -> int:
    """``jimu uninstall --drop-data``: the app's backup tables go with its data."""
    reg = runtime.db.core["backup"]
    prep = conn.dialect.identifier_preparer
    names = conn.execute(sa.select(reg.c.table_name).where(reg.c.app == app)).scalars().all()
    for name in names:
        conn.exec_driver_sql(f"DROP TABLE IF EXISTS {prep.quote(name)}")
    return len(names)


def list_backups(runtime, app: str | None = None) -> list[dict[str, Any]]:
    reg = runtime.db.core["backup"]
    q = sa.select(reg).order_by(reg.c.id)
    if app:
        q = q.where(reg.c.app == app)
    with runtime.connect() as c:
        return [dict(r) for r in c.execute(q).mappings()]


def backup_rows(runtime, bid: int) -> list[dict[str, Any]]:
    """What backup ``bid`` holds, by record id (404 when there is no such backup)."""
    reg = runtime.db.core["backup"]
    with runtime.connect() as c:
        name = c.execute(sa.select(reg.c.table_name).where(reg.c.id == bid)).scalar_one_or_none()
        if name is None:
            raise _no_backup(bid)
        t = sa.Table(name, sa.MetaData(), autoload_with=c)
        key = t.c.record_id if "record_id" in t.c else t.c.id
        return [dict(r) for r in c.execute(sa.select(t).order_by(key)).mappings()]


def purge_backup(runtime, bid: int) -> dict[str, Any]:
    """Drop backup ``bid``'s table and its registry row, in one transaction."""
    reg = runtime.db.core["backup"]
    with runtime.transaction() as conn:
        row = conn.execute(sa.select(reg).where(reg.c.id == bid)).mappings().first()
        if row is None:
            raise _no_backup(bid)
        prep = conn.dialect.identifier_preparer
        conn.exec_driver_sql(f"DROP TABLE IF EXISTS {prep.quote(row['table_name'])}")
        conn.execute(reg.delete().where(reg.c.id == bid))
    return dict(row)


def _no_backup(bid: int) -> JimuError:
    return JimuError("backup.E404", msg(f"没有编号为 {bid} 的备份", f"there is no backup {bid}"),
                     details=[{"id": bid}], status=404)


def main(app: str | None, purge: int | None, db: str | None) -> int:
    """``jimu backups [APP] [--purge ID]``."""
    from ..runtime import open_runtime

    rt = open_runtime(db)
    try:
        if purge is not None:
            try:
                row = purge_backup(rt, purge)
            except JimuError as e:
                print(f"error: {e.code}: {e.message['zh']} / {e.message['en']}", file=sys.stderr)
                return 1
            print(f"已删除备份 {purge} ({row['table_name']}, {row['rows']} 行) / purged backup {purge} "
                  f"({row['table_name']}, {row['rows']} rows)")
            return 0
        rows = list_backups(rt, app)
    finally:
        rt.db.dispose()
    if not rows:
        print("没有备份 / no backups")
        return 0
    for r in rows:
        what = f"{r['entity']}.{r['field']}" if r["field"] else r["entity"]
        why = (r["plan"] or {}).get("reason", "")
        print(f"{r['id']}\t{r['app']}\t{what}\t{r['table_name']}\t{r['rows']} rows\t{r['created_at']:%Y-%m-%d %H:%M}"
              f"\t{why}")
    return 0
