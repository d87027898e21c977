"""Helpers of the with-data round trip: attachments made the way an upload makes them, and the
figures compared across databases (rows per table, money sums, file hashes)."""
from __future__ import annotations

import hashlib
from decimal import Decimal

import sqlalchemy as sa


def attach(rt, app: str, entity: str, field: str, record_id: int, files: dict[str, bytes]) -> list[str]:
    """Store ``files`` (name -> bytes) as an upload does (a jimu_file row, the bytes in the store) and
    bind them to the record through an ordinary update."""
    from forms.attachments.storage import FileStore, new_file_id

    store = FileStore.of(rt)
    ids = []
    t = rt.db.core["file"]
    with rt.transaction() as c:
        for name, data in files.items():
            fid = new_file_id()
            p = store.path(fid)
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_bytes(data)
            c.execute(t.insert().values(id=fid, name=name, size=len(data), content_type="application/pdf",
                                        sha256=hashlib.sha256(data).hexdigest(), uploaded_by=rt.db.system_user_id,
                                        uploaded_at=rt.clock(), app=app, entity=entity, field=field))
            ids.append(fid)
    rt.records(app, entity).update(record_id, {field: ids})
    return ids


def figures(rt, app: str) -> dict:
    """What must survive the trip: rows per table of the app, the sum of every money column (money
    fields and money formulas/rollups, found by their column's scale), the counters, the files' hashes
    (as stored and as on disk), owners and states by record id."""
    from forms.attachments.storage import FileStore

    inst = rt.apps[app]
    out: dict = {"rows": {}, "money": {}}
    compiled = inst.compiled
    with rt.connect() as c:
        for t in inst.metadata.sorted_tables:
            out["rows"][t.name] = c.execute(sa.select(sa.func.count()).select_from(t)).scalar_one()
        for e in compiled.entities.values():
            t = inst.metadata.tables[e.table_name]
            for f in e.fields:
                if f.stored and (f.type_name == "money" or f.definition.get("result") == "money"
                                 or f.type_name == "rollup"):
                    total = c.execute(sa.select(sa.func.sum(t.c[f.column_name]))).scalar()
                    out["money"][f"{e.name}.{f.name}"] = Decimal(total or 0)
            out.setdefault("owners", {})[e.name] = sorted(
                (r.id, r.owner is not None, r.created_at, r.version) for r in c.execute(sa.select(t)))
        for t in inst.metadata.sorted_tables:
            for col in t.c:
                if col.name.startswith("unit_price") or col.name in ("amount", "line_total"):
                    total = c.execute(sa.select(sa.func.sum(col))).scalar()
                    out["money"][f"{t.name}.{col.name}"] = Decimal(total or 0)
        counter = rt.db.core_md.tables["jimu_counter"]
        out["counters"] = sorted(tuple(r) for r in c.execute(
            sa.select(counter.c.entity, counter.c.field, counter.c.period, counter.c.value)
            .where(counter.c.app == app)))
        ft = rt.db.core["file"]
        store = FileStore.of(rt)
        out["files"] = sorted((r.id, r.sha256, hashlib.sha256(store.path(r.id).read_bytes()).hexdigest(), r.record_id)
                              for r in c.execute(sa.select(ft).where(ft.c.app == app)))
        st = rt.db.core_md.tables["jimu_state_entry"]
        out["states"] = sorted((r.entity, r.record_id, r.state, r.entered_at) for r in c.execute(
            sa.select(st).where(st.c.app == app)))
    return out
