"""Workers: the tick (background steps, then jobs), two worker processes over one database never running
a job twice, `jimu worker --once`, and the worker `jimu serve` runs in-process."""
from __future__ import annotations

import datetime as dt
import json
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections import Counter
from pathlib import Path

import pytest
import sqlalchemy as sa

from engine.platform.clock import FixedClock
from engine.platform.jobs import schedule_job
from engine.platform.worker import Worker, worker_thread
from engine.runtime import open_runtime

from .job_probe_worker import PROBE_HANDLER, create_probe, probe

ROOT = Path(__file__).resolve().parents[2]
T0 = dt.datetime(2026, 3, 2, 10, 0)


@pytest.fixture
def rt(db_url):
    rt = open_runtime(db_url)
    yield rt
    rt.db.dispose()


def _job(rt, job_id):
    job = rt.db.core["job"]
    with rt.connect() as c:
        return c.execute(sa.select(job).where(job.c.id == job_id)).mappings().first()


def test_a_tick_runs_the_background_steps_in_order_then_the_jobs(rt):
    rt.clock = FixedClock(T0)
    order: list[str] = []
    rt.background_steps.append(lambda r: order.append("dispatch") or 3)
    rt.background_steps.append(lambda r: order.append("second"))

    def broken(_r):
        order.append("broken")
        raise RuntimeError("a step that fails")

    rt.background_steps.append(broken)
    rt.job_handlers.register("test.note", lambda r, job: order.append(f"job {job['payload']['n']}"))
    schedule_job(rt, None, "test.note", payload={"n": 1})
    schedule_job(rt, None, "test.note", payload={"n": 2}, delay=dt.timedelta(seconds=1))
    w = Worker(rt, "w1", poll_seconds=0.01)
    assert w.run_once() == 3 + 1  # three events from the first step, one job
    assert order == ["dispatch", "second", "broken", "job 1"]  # a failing step does not stop the jobs
    rt.clock.advance(seconds=1)
    order.clear()
    assert w.run_once() == 4 and order[-1] == "job 2"


def test_the_worker_thread_runs_jobs_until_stopped(rt):
    ran = threading.Event()
    rt.job_handlers.register("test.flag", lambda r, job: ran.set())
    jid = schedule_job(rt, None, "test.flag")
    with worker_thread(rt, poll_seconds=0.05) as w:
        assert ran.wait(10)
        assert w.worker_id
    assert not any(t.name == "jimu-worker" and t.is_alive() for t in threading.enumerate())
    deadline = time.monotonic() + 5
    while _job(rt, jid)["status"] != "done" and time.monotonic() < deadline:
        time.sleep(0.02)
    assert _job(rt, jid)["status"] == "done"
    job = rt.db.core["job"]
    with rt.connect() as c:  # the platform's own housekeeping is scheduled once, by key
        assert c.execute(sa.select(job.c.cron).where(job.c.key == "platform:jobs.purge")).scalar() == "17 3 * * *"


def test_two_worker_processes_never_run_a_job_twice(rt, db_url, tmp_path):
    create_probe(rt.db.engine)
    n = 200
    with rt.transaction() as c:
        ids = [schedule_job(rt, c, PROBE_HANDLER, payload={"i": i}) for i in range(n)]
    procs, ready = [], []
    go = tmp_path / "go"
    for w in ("A", "B"):
        ready.append(tmp_path / f"ready-{w}")
        procs.append(subprocess.Popen([sys.executable, "-m", "tests.platform.job_probe_worker", db_url, f"worker-{w}",
                                       str(ready[-1]), str(go)], cwd=ROOT, stdout=subprocess.PIPE,
                                      stderr=subprocess.STDOUT, text=True))
    try:
        deadline = time.monotonic() + 60
        while not all(p.exists() for p in ready):
            assert time.monotonic() < deadline, "the workers did not start"
            assert all(p.poll() is None for p in procs), [p.communicate()[0] for p in procs]
            time.sleep(0.02)
        go.touch()  # both start claiming at the same moment
        outs = [p.communicate(timeout=120)[0] for p in procs]
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
    assert [p.returncode for p in procs] == [0, 0], outs
    with rt.connect() as c:
        runs = c.execute(sa.select(probe.c.job_id, probe.c.worker)).all()
        job = rt.db.core["job"]
        statuses = Counter(c.execute(sa.select(job.c.status).where(job.c.id.in_(ids))).scalars())
    per_job = Counter(j for j, _ in runs)
    assert sorted(per_job) == sorted(ids)  # every job ran ...
    assert set(per_job.values()) == {1}  # ... exactly once
    assert statuses == {"done": n}
    by_worker = Counter(w for _, w in runs)
    assert set(by_worker) == {"worker-A", "worker-B"}, by_worker  # both really took part


def jimu(*args: str, timeout: int = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "engine.cli", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout)


def test_jimu_worker_once_runs_what_is_due(tmp_path):
    db = f"sqlite:///{tmp_path / 'jimu.db'}"
    rt = open_runtime(db)
    try:
        now = rt.clock()
        job = rt.db.core["job"]
        with rt.transaction() as c:
            old = c.execute(job.insert().values(handler="x", payload={}, run_at=now - dt.timedelta(days=40),
                                                status="done", created_at=now - dt.timedelta(days=40),
                                                finished_at=now - dt.timedelta(days=40))).inserted_primary_key[0]
        purge = schedule_job(rt, None, "jobs.purge")
        unknown = schedule_job(rt, None, "reports.alert_not_loaded")
        later = schedule_job(rt, None, "jobs.purge", delay=dt.timedelta(hours=1))
        r = jimu("worker", "--once", "--db", db)
        assert r.returncode == 0, r.stderr
        assert r.stdout.split()[0] == "2"  # the purge and the failing one; the later one waits
        assert _job(rt, old) is None and _job(rt, purge)["status"] == "done"
        failed = _job(rt, unknown)
        assert failed["status"] == "failed" and "reports.alert_not_loaded" in failed["last_error"]
        assert _job(rt, later)["status"] == "pending"
        assert jimu("worker", "--help").returncode == 0
    finally:
        rt.db.dispose()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve_and_wait(db: str, *extra: str, wait_job: int, rt) -> str:
    """Start `jimu serve`, wait until it answers, give its worker time; returns the job's status."""
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "engine.cli", "serve", "--db", db, "--port", str(port), *extra],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        for _ in range(150):
            try:
                health = json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/health", timeout=2))
                break
            except OSError:
                time.sleep(0.1)
        else:
            pytest.fail("the server did not start: " + (proc.kill() or proc.communicate()[0]))
        assert health["status"] == "ok"
        deadline = time.monotonic() + 2
        while _job(rt, wait_job)["status"] != "done" and time.monotonic() < deadline:
            time.sleep(0.05)
        return _job(rt, wait_job)["status"]
    finally:
        proc.terminate()
        out = proc.communicate(timeout=30)[0]
        # uvicorn shuts down, then re-raises SIGTERM: what matters is that it got through its shutdown
        assert proc.returncode in (0, -15) and "Finished server process" in out, out


def test_jimu_serve_runs_jobs_in_process_unless_told_not_to(tmp_path):
    db = f"sqlite:///{tmp_path / 'jimu.db'}"
    rt = open_runtime(db)
    try:
        jid = schedule_job(rt, None, "jobs.purge")
        assert _serve_and_wait(db, "--no-worker", wait_job=jid, rt=rt) == "pending"
        assert _serve_and_wait(db, wait_job=jid, rt=rt) == "done"
    finally:
        rt.db.dispose()


# --- issue 11 item 10: worker liveness ------------------------------------------------------------
def _probe_workers(db_url: str, tmp_path: Path, beat: float, lease: float, *wids: str) -> list:
    """Worker processes (started together), each once it is ready to claim (starting one takes seconds
    on a busy machine: the tests start as few as they need)."""
    from .heartbeat_probe_worker import __name__ as module

    procs = []
    for wid in wids:
        ready, stop = tmp_path / f"ready-{wid}", tmp_path / f"stop-{wid}"
        procs.append((subprocess.Popen([sys.executable, "-m", module, db_url, wid, str(beat), str(lease), str(ready),
                                        str(stop)], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                       text=True), stop, ready))
    deadline = time.monotonic() + 60
    for proc, _stop_file, ready in procs:
        while not ready.exists():
            assert time.monotonic() < deadline and proc.poll() is None, proc.communicate()[0]
            time.sleep(0.02)
    return [(proc, stop) for proc, stop, _ready in procs]


def _wait_for(what, seconds: float, message):
    deadline = time.monotonic() + seconds
    while not what():
        assert time.monotonic() < deadline, message()
        time.sleep(0.05)


def _stop(procs) -> list[str]:
    outs = []
    for _proc, stop in procs:
        stop.touch()
    for proc, _stop_file in procs:
        try:
            outs.append(proc.communicate(timeout=20)[0])
        except subprocess.TimeoutExpired:  # still in a slow job: the test has failed already
            proc.kill()
            outs.append(proc.communicate()[0])
    return outs


def _runs(rt) -> list[tuple[str, str]]:
    from .heartbeat_probe_worker import runs

    with rt.connect() as c:
        return [tuple(r) for r in c.execute(sa.select(runs.c.worker, runs.c.what).order_by(runs.c.id))]


def test_item10_a_killed_workers_job_is_taken_over_within_seconds_not_after_its_lease(rt, db_url, tmp_path):
    from engine.platform.jobs import list_workers

    from .heartbeat_probe_worker import SLOW_HANDLER, create_probe, slow

    create_probe(rt.db.engine)
    jid = schedule_job(rt, None, SLOW_HANDLER, payload={"seconds": 120, "slow_only": "worker-A"})
    [a] = _probe_workers(db_url, tmp_path, 0.2, 600, "worker-A")  # heartbeats every 0.2 s, a 10-minute lease
    stop_b = threading.Event()
    try:
        _wait_for(lambda: _runs(rt) == [("worker-A", "start")], 30, lambda: f"A did not start the job: {_runs(rt)}")
        assert {w["worker_id"]: w["alive"] for w in list_workers(rt)}["worker-A"] is True
        a[0].kill()  # SIGKILL, in the middle of the job: no chance to say goodbye
        a[0].wait(10)
        killed = time.monotonic()
        rt.job_handlers.register(SLOW_HANDLER, slow)  # another worker, here in a thread
        b = Worker(rt, "worker-B", poll_seconds=0.05, heartbeat_seconds=0.2)
        threading.Thread(target=b.run_forever, args=(stop_b,), daemon=True).start()
        _wait_for(lambda: _job(rt, jid)["status"] == "done", 30, lambda: f"not taken over: {_job(rt, jid)}")
        took = time.monotonic() - killed
    finally:
        stop_b.set()
        _stop([a])
    assert took < 10  # seconds (A is taken to be dead 0.6 s after its last beat), not the lease's 10 minutes
    assert _runs(rt) == [("worker-A", "start"), ("worker-B", "start"), ("worker-B", "end")]
    assert _job(rt, jid)["attempts"] == 2
    assert "worker-A" not in {w["worker_id"] for w in list_workers(rt) if w["alive"]}


def test_item10_a_live_worker_keeps_a_job_longer_than_its_lease(rt):
    from .heartbeat_probe_worker import SLOW_HANDLER, create_probe, slow

    create_probe(rt.db.engine)
    rt.job_handlers.register(SLOW_HANDLER, slow)
    # two workers poll all along; the job takes 3 s, more than the lease (1 s) and than the silence after
    # which a worker is taken to be dead (0.6 s): its worker's heartbeats keep it
    stop = threading.Event()
    workers = [Worker(rt, f"worker-{w}", poll_seconds=0.05, heartbeat_seconds=0.2, lease=dt.timedelta(seconds=1))
               for w in "AB"]
    threads = [threading.Thread(target=w.run_forever, args=(stop,), daemon=True) for w in workers]
    for t in threads:
        t.start()
    try:
        jid = schedule_job(rt, None, SLOW_HANDLER, payload={"seconds": 3})
        _wait_for(lambda: _job(rt, jid)["status"] == "done", 40, lambda: f"the job did not finish: {_job(rt, jid)}")
        time.sleep(1)  # a while longer: nobody takes it up again
    finally:
        stop.set()
        for t in threads:
            t.join(30)
    seen = _runs(rt)
    assert [what for _, what in seen] == ["start", "end"] and seen[0][0] == seen[1][0], seen  # once, by one worker
    assert _job(rt, jid)["attempts"] == 1
