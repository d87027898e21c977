"""Bulk creation through the record service against raw SQLAlchemy Core executemany.

Both write the same 100,000 rows of a 20-field entity into identical tables in the same run; the
record service also parses every value, runs every pipeline stage and writes an audit entry per
record, as it always does. Prints rows per second and the ratio (goal: >= 0.2 of raw).

    python bench/bench_records.py [--rows N] [--db URL]
"""
from __future__ import annotations

import argparse
import datetime as dt
import random
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

import sqlalchemy as sa
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.bench_db import bench_database  # noqa: E402
from engine.install import install_bundle  # noqa: E402
from engine.runtime import open_runtime  # noqa: E402
from engine.storage.tables import entity_table  # noqa: E402

FIELDS = (
    [{"name": f"t{i}", "type": "text", "label": {"zh": f"文本{i}", "en": f"Text {i}"}} for i in range(8)]
    + [{"name": f"m{i}", "type": "money", "label": {"zh": f"金额{i}", "en": f"Money {i}"}} for i in range(4)]
    + [{"name": f"n{i}", "type": "number", "label": {"zh": f"数字{i}", "en": f"Number {i}"}} for i in range(3)]
    + [{"name": f"d{i}", "type": "date", "label": {"zh": f"日期{i}", "en": f"Date {i}"}} for i in range(2)]
    + [{"name": "flag", "type": "boolean", "label": {"zh": "标志", "en": "Flag"}},
       {"name": "stage", "type": "select", "label": {"zh": "阶段", "en": "Stage"},
        "options": [{"value": v, "label": {"zh": v, "en": v}} for v in ("a", "b", "c")]},
       {"name": "at", "type": "datetime", "label": {"zh": "时间", "en": "At"}}]
)


def make_bundle(folder: Path) -> Path:
    (folder / "entities").mkdir(parents=True)
    (folder / "app.yaml").write_text(yaml.safe_dump({"app": "bench", "version": "1.0.0",
                                                      "label": {"zh": "基准", "en": "Bench"}}), "utf-8")
    (folder / "entities" / "wide.yaml").write_text(yaml.safe_dump(
        {"entity": "wide", "label": {"zh": "宽表", "en": "Wide"}, "title": "{t0}", "fields": FIELDS},
        allow_unicode=True), "utf-8")
    return folder


def rows(n: int) -> list[dict]:
    rnd = random.Random(7)
    out = []
    for i in range(n):
        r = {f"t{k}": f"文本{i}-{k}" for k in range(8)}
        r.update({f"m{k}": Decimal(rnd.randrange(0, 10**8)) / 100 for k in range(4)})
        r.update({f"n{k}": Decimal(rnd.randrange(0, 10**6)) / 1000 for k in range(3)})
        r.update({"d0": "2026-01-15", "d1": "2026-11-22", "flag": i % 2 == 0, "stage": "abc"[i % 3],
                  "at": "2026-11-22T08:00:00Z"})
        out.append(r)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--db", default=None)
    args = ap.parse_args()
    with bench_database(args.db, "bench_records") as url:
        run(url, args.rows, Path(tempfile.mkdtemp()))


def run(url: str, n_rows: int, tmp: Path) -> None:
    rt = open_runtime(url)
    install_bundle(rt, make_bundle(tmp / "bundle"))
    app = rt.app("bench")
    ent = app.entity("wide")
    md = sa.MetaData()
    raw = entity_table(ent, app, md).to_metadata(sa.MetaData(), name="bench_raw_wide")
    raw.create(rt.db.engine, checkfirst=True)
    data = rows(n_rows)
    batch = 5000

    # raw: the same values already typed, straight into executemany (no parsing, no audit)
    now = dt.datetime(2026, 11, 22, 8, 0)
    typed = []
    for r in data:
        t = {f.column_name: f.parse(r[f.name]) for f in ent.fields}
        t.update(created_at=now, updated_at=now, version=1)
        typed.append(t)
    t0 = time.perf_counter()
    with rt.db.engine.begin() as c:
        for i in range(0, len(typed), batch):
            c.execute(raw.insert(), typed[i: i + batch])
    raw_s = time.perf_counter() - t0

    svc = rt.records("bench", "wide")
    t0 = time.perf_counter()
    for i in range(0, len(data), batch):
        svc.create_many(data[i: i + batch])
    svc_s = time.perf_counter() - t0

    with rt.connect() as c:
        audits = c.execute(sa.select(sa.func.count()).select_from(rt.db.core["audit"])).scalar()
    assert audits == n_rows, audits
    n = n_rows
    print(f"database: {rt.db.engine.dialect.name}, rows: {n}, 20 fields, batches of {batch}")
    print(f"raw Core executemany : {n / raw_s:>10,.0f} rows/s ({raw_s:.2f} s)")
    print(f"record service bulk  : {n / svc_s:>10,.0f} rows/s ({svc_s:.2f} s), audit entries: {audits}")
    print(f"ratio service/raw    : {raw_s / svc_s:.2f}  (goal >= 0.20)")
    rt.db.dispose()


if __name__ == "__main__":
    main()
