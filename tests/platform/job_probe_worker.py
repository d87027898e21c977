"""A worker process for the concurrency test: ``python -m tests.platform.job_probe_worker URL ID READY GO``.

It registers the probe handler (each run of a job adds a row naming the job and this worker), says it
is ready, waits for the go signal so that every worker starts at once, then claims and runs due jobs
until none is left."""
from __future__ import annotations

import sys
import time
from pathlib import Path

import sqlalchemy as sa

from engine.platform.jobs import run_due_jobs
from engine.runtime import open_runtime

PROBE_HANDLER = "test.probe"
_md = sa.MetaData()
probe = sa.Table("jimu_test_job_probe", _md,
                 sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
                 sa.Column("job_id", sa.Integer(), nullable=False),  # no unique constraint: a second run shows
                 sa.Column("worker", sa.String(64), nullable=False))


def create_probe(engine: sa.Engine) -> None:
    _md.create_all(engine)


def record_run(runtime, job: dict) -> None:
    with runtime.transaction() as c:
        c.execute(probe.insert().values(job_id=job["id"], worker=job["locked_by"]))
    time.sleep(0.002)  # a little work, so that the workers' claims interleave


def main(url: str, worker_id: str, ready: str, go: str) -> int:
    rt = open_runtime(url)
    rt.job_handlers.register(PROBE_HANDLER, record_run)
    Path(ready).touch()
    deadline = time.monotonic() + 60
    while not Path(go).exists():
        if time.monotonic() > deadline:
            return 3
        time.sleep(0.01)
    job = rt.db.core["job"]
    try:
        while time.monotonic() < deadline:
            if run_due_jobs(rt, worker_id, limit=5):
                continue
            with rt.connect() as c:  # nothing claimable: stop once nothing is left for anyone
                left = c.execute(sa.select(sa.func.count()).select_from(job)
                                 .where(job.c.status.in_(("pending", "running", "failed")))).scalar()
            if not left:
                return 0
            time.sleep(0.01)
        return 4
    finally:
        rt.db.dispose()


if __name__ == "__main__":
    raise SystemExit(main(*sys.argv[1:5]))
