"""Events dispatched per second beside plain record writes, in the same run.

Writes N records through the bulk path (each write also puts its event in the outbox), then
dispatches them to a handler that does nothing, and to one that writes a row per event in the
dispatch transaction (what a rule or a notification does). Prints rates and ratios to the writes.

    python bench/bench_events.py [--rows N] [--db URL]
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.bench_db import bench_database  # noqa: E402
from engine.install import install_bundle  # noqa: E402
from engine.platform.events import _dispatch_one, dispatch_pending  # noqa: E402
from engine.runtime import open_runtime  # noqa: E402

SALES_ERP = Path(__file__).resolve().parent.parent / "apps" / "sales_erp"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=20_000)
    ap.add_argument("--db", default=None)
    args = ap.parse_args()
    with bench_database(args.db, "bench_events") as url:
        run(url, args.rows)


def run(url: str, n: int) -> None:
    rt = open_runtime(url)
    install_bundle(rt, SALES_ERP)
    md = sa.MetaData()
    probe = sa.Table("bench_probe", md, sa.Column("event_id", sa.BigInteger, primary_key=True))
    md.create_all(rt.db.engine)
    count = [0, 0]
    rt.event_handlers.subscribe("noop", lambda _rt, _c, e: count.__setitem__(0, count[0] + 1))
    rt.event_handlers.subscribe("writer", lambda _rt, c, e: c.execute(probe.insert().values(event_id=e["id"])))
    rt.event_handlers.subscribe("idempotent", lambda _rt, c, e: count.__setitem__(1, count[1] + 1), idempotent=True)
    dispatch_pending(rt)  # both handlers start from here

    batch = 1000
    svc = rt.records("sales_erp", "product")
    t0 = time.perf_counter()
    for i in range(0, n, batch):
        svc.create_many([{"code": f"B-{j}", "name": f"产品{j}", "price": j % 1000} for j in range(i, i + batch)])
    write_s = time.perf_counter() - t0

    timings = {}
    for sub in list(rt.event_handlers):
        t0 = time.perf_counter()
        while _dispatch_one(rt, sub, 1000):
            pass
        timings[sub.name] = time.perf_counter() - t0
    with rt.connect() as c:
        written = c.execute(sa.select(sa.func.count()).select_from(probe)).scalar()
    assert count[0] == n and count[1] == n and written == n, (count, written)
    print(f"database: {rt.db.engine.dialect.name}, records: {n}")
    print(f"record writes (bulk, with audit and outbox): {n / write_s:>10,.0f} /s")
    for name, s in timings.items():
        print(f"events dispatched to '{name}':{' ' * (12 - len(name))}{n / s:>10,.0f} /s  "
              f"(ratio to writes {write_s / s:.2f})")
    rt.db.dispose()


if __name__ == "__main__":
    main()
