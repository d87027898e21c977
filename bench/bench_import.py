"""The bulk import path against raw SQLAlchemy Core executemany of the same rows.

Import: read a 10,000-row spreadsheet (xlsx, then csv), map its headers, parse every cell by field
type (dates, money, option labels, related records by title), and create the records through the
record service in one transaction (every pipeline stage, an audit entry per record). Raw: the same
values already typed, inserted with executemany into an identical table. Same run, same database;
prints rows per second and the ratios.

    python bench/bench_import.py [--rows N] [--db URL]   (JIMU_TEST_POSTGRES_URL: PostgreSQL too)
"""
from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import os
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

import sqlalchemy as sa
import yaml
from openpyxl import Workbook

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.bench_db import bench_database  # noqa: E402
from engine.identity.actor import system_actor  # noqa: E402
from engine.install import install_bundle  # noqa: E402
from engine.runtime import open_runtime  # noqa: E402
from forms.imports import import_file  # noqa: E402

STAGES = [("lead", "线索"), ("won", "赢单"), ("lost", "丢单")]
FIELDS = [
    {"name": "number", "type": "text", "label": {"zh": "编号", "en": "Number"}, "required": True},
    {"name": "customer", "type": "relation", "to": "customer", "label": {"zh": "客户", "en": "Customer"}},
    {"name": "amount", "type": "money", "label": {"zh": "金额", "en": "Amount"}, "required": True},
    {"name": "qty", "type": "number", "label": {"zh": "数量", "en": "Qty"}, "precision": 2},
    {"name": "signed_on", "type": "date", "label": {"zh": "签约日期", "en": "Signed on"}},
    {"name": "won", "type": "boolean", "label": {"zh": "赢单", "en": "Won"}},
    {"name": "stage", "type": "select", "label": {"zh": "阶段", "en": "Stage"},
     "options": [{"value": v, "label": {"zh": zh, "en": v}} for v, zh in STAGES]},
    {"name": "note", "type": "text", "label": {"zh": "备注", "en": "Note"}},
]
HEADERS = [f["label"]["zh"] for f in FIELDS]
N_CUSTOMERS = 50


def make_bundle(folder: Path) -> Path:
    (folder / "entities").mkdir(parents=True)
    (folder / "app.yaml").write_text(yaml.safe_dump({"app": "bench", "version": "1.0.0",
                                                      "label": {"zh": "基准", "en": "Bench"}}), "utf-8")
    customer = {"entity": "customer", "label": {"zh": "客户", "en": "Customer"}, "title": "{name}",
                "fields": [{"name": "name", "type": "text", "label": {"zh": "名称", "en": "Name"}, "unique": True}]}
    deal = {"entity": "deal", "label": {"zh": "商机", "en": "Deal"}, "title": "{number}", "fields": FIELDS}
    for doc in (customer, deal):
        (folder / "entities" / f"{doc['entity']}.yaml").write_text(yaml.safe_dump(doc, allow_unicode=True), "utf-8")
    return folder


def cells(n: int, prefix: str) -> list[list]:
    """What a person's spreadsheet holds: typed numbers and dates, option labels, customer names."""
    return [[f"{prefix}{k:06d}", f"客户{k % N_CUSTOMERS}", Decimal(k % 100000) / 100, Decimal(k % 7),
             dt.date(2026, 1, 1) + dt.timedelta(days=k % 365), "是" if k % 2 else "否", STAGES[k % 3][1],
             f"备注 {k}"] for k in range(n)]


def xlsx(rows: list[list]) -> bytes:
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("商机")
    ws.append(HEADERS)
    for r in rows:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def csv_file(rows: list[list]) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(HEADERS)
    for r in rows:
        w.writerow([v.isoformat() if isinstance(v, dt.date) else v for v in r])
    return buf.getvalue().encode("utf-8-sig")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=10_000)
    ap.add_argument("--db", default=None)
    args = ap.parse_args()
    urls = [args.db] if args.db else [None] + ([os.environ["JIMU_TEST_POSTGRES_URL"]]
                                                if os.environ.get("JIMU_TEST_POSTGRES_URL") else [])
    for url in urls:
        with bench_database(url, "bench_import") as db:
            run(db, args.rows, Path(tempfile.mkdtemp()))


def run(url: str, n: int, tmp: Path) -> None:
    rt = open_runtime(url)
    rt.settings["import_max_rows"] = max(n, 20_000)
    rt.settings["import_max_bytes"] = 200 * 1024 * 1024
    install_bundle(rt, make_bundle(tmp / "bundle"))
    actor = system_actor(rt)
    customer_ids = rt.records("bench", "customer").create_many([{"name": f"客户{k}"} for k in range(N_CUSTOMERS)])
    # an identical table (its foreign key to the customers too), in the app's metadata
    raw = rt.table("bench", "deal").to_metadata(rt.apps["bench"].metadata, name="bench_raw_deal")
    raw.create(rt.db.engine, checkfirst=True)

    # raw: the values already typed (related ids known), one executemany in one transaction
    now = dt.datetime(2026, 11, 22, 8, 0)
    by_label = {zh: v for v, zh in STAGES}
    typed = [{"number": r[0], "customer": customer_ids[k % N_CUSTOMERS], "amount": r[2], "qty": r[3],
              "signed_on": r[4], "won": r[5] == "是", "stage": by_label[r[6]], "note": r[7],
              "created_at": now, "updated_at": now, "version": 1} for k, r in enumerate(cells(n, "R"))]
    t0 = time.perf_counter()
    with rt.db.engine.begin() as c:
        c.execute(raw.insert(), typed)
    raw_s = time.perf_counter() - t0

    timings = {}
    for fmt, build in (("xlsx", xlsx), ("csv", csv_file)):
        content = build(cells(n, fmt.upper()))
        t0 = time.perf_counter()
        report = import_file(rt, actor, "bench", "deal", content, f"deals.{fmt}", dry_run=False)
        timings[fmt] = time.perf_counter() - t0
        assert report["counts"]["imported"] == n, report["problems"][:5]
    with rt.connect() as c:
        stored = c.execute(sa.select(sa.func.count()).select_from(rt.table("bench", "deal"))).scalar()
    assert stored == 2 * n, stored

    print(f"database: {rt.db.engine.dialect.name}, rows: {n}, {len(FIELDS)} fields (a relation by title, "
          f"option labels, dates, money)")
    print(f"raw Core executemany   : {n / raw_s:>10,.0f} rows/s ({raw_s:.2f} s)")
    for fmt, s in timings.items():
        print(f"import {fmt:<4} (parse+save): {n / s:>10,.0f} rows/s ({s:.2f} s), ratio import/raw: {raw_s / s:.3f}")
    rt.db.dispose()


if __name__ == "__main__":
    main()
