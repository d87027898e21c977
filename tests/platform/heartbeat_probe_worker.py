"""A worker process for the liveness tests:
``python -m tests.platform.heartbeat_probe_worker URL ID HEARTBEAT LEASE READY STOP``.

It runs a real ``Worker`` (heartbeat thread and all) with a heartbeat every HEARTBEAT seconds (taken to
be dead after 3 missed beats) and a lease of LEASE seconds, until the STOP file appears. Its handler
notes when a run starts and ends (each in a committed row) and sleeps between the two for the
payload's ``seconds`` (``slow_only``: only in the worker of that id; the others are quick)."""
from __future__ import annotations

import datetime as dt
import sys
import threading
import time
from pathlib import Path

import sqlalchemy as sa

from engine.platform.worker import Worker
from engine.runtime import open_runtime

SLOW_HANDLER = "test.slow"
_md = sa.MetaData()
runs = sa.Table("jimu_test_heartbeat_probe", _md,
                sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
                sa.Column("job_id", sa.Integer(), nullable=False),
                sa.Column("worker", sa.String(64), nullable=False),
                sa.Column("what", sa.String(8), nullable=False))  # start, end


def create_probe(engine: sa.Engine) -> None:
    _md.create_all(engine)


def slow(runtime, job: dict) -> None:
    def note(what: str) -> None:
        with runtime.transaction() as c:
            c.execute(runs.insert().values(job_id=job["id"], worker=job["locked_by"], what=what))

    note("start")
    p = job["payload"]
    if p.get("slow_only") in (None, job["locked_by"]):
        time.sleep(p["seconds"])
    note("end")


def main(url: str, worker_id: str, beat: str, lease: str, ready: str, stop_file: str) -> int:
    rt = open_runtime(url)
    rt.job_handlers.register(SLOW_HANDLER, slow)
    w = Worker(rt, worker_id, poll_seconds=0.05, heartbeat_seconds=float(beat),
               lease=dt.timedelta(seconds=float(lease)))
    stop = threading.Event()
    deadline = time.monotonic() + 90

    def watch() -> None:
        while not Path(stop_file).exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        stop.set()

    threading.Thread(target=watch, daemon=True).start()
    Path(ready).touch()
    try:
        w.run_forever(stop)
        return 0
    finally:
        rt.db.dispose()


if __name__ == "__main__":
    raise SystemExit(main(*sys.argv[1:7]))
