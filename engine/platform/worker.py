"""The worker loop: each tick runs the runtime's background steps (the event dispatcher and the like)
in order, then the due jobs. ``jimu worker`` runs it as its own process (as many as wanted, over one
database); ``jimu serve`` runs one in a thread of the server unless told not to."""
from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import socket
import threading
import uuid
from typing import TYPE_CHECKING, Iterator

from .jobs import DEFAULT_LEASE, HEARTBEAT, STALE_BEATS, forget_worker, heartbeat, run_due_jobs, schedule_housekeeping

if TYPE_CHECKING:
    from ..runtime import Runtime

log = logging.getLogger("jimu.worker")


def default_worker_id() -> str:
    """Unique among running workers: host, process, and a suffix for several workers in one process."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


class Worker:
    def __init__(self, runtime: "Runtime", worker_id: str, poll_seconds: float = 1.0, *, limit: int = 50,
                 heartbeat_seconds: float = HEARTBEAT.total_seconds(), stale_after_seconds: float | None = None,
                 lease: dt.timedelta = DEFAULT_LEASE) -> None:
        self.runtime = runtime
        self.worker_id = worker_id
        self.poll_seconds = poll_seconds
        self.limit = limit
        self.heartbeat_seconds = heartbeat_seconds
        # how long a silence means death, for the other workers: a few missed beats
        self.stale_after = dt.timedelta(seconds=stale_after_seconds if stale_after_seconds is not None
                                        else heartbeat_seconds * STALE_BEATS)
        self.lease = lease
        self._beating = False

    def run_once(self) -> int:
        """One tick; returns how much work was done (events handled by the steps, jobs run)."""
        with self.alive():
            done = 0
            for step in list(self.runtime.background_steps):
                try:
                    done += int(step(self.runtime) or 0)
                except Exception:  # one broken step must not starve the others or the jobs
                    log.exception("background step %s failed", getattr(step, "__name__", step))
            return done + run_due_jobs(self.runtime, self.worker_id, self.limit, lease=self.lease)

    def run_forever(self, stop: threading.Event) -> None:
        """Tick until ``stop`` is set: at once again while there was work, after ``poll_seconds`` when idle."""
        try:
            schedule_housekeeping(self.runtime)
        except Exception:
            log.exception("could not schedule the job table's housekeeping")
        with self.alive():
            while not stop.is_set():
                try:
                    busy = self.run_once()
                except Exception:  # the database may be away for a while: keep polling
                    log.exception("worker %s: tick failed", self.worker_id)
                    busy = 0
                if not busy:
                    stop.wait(self.poll_seconds)

    @contextlib.contextmanager
    def alive(self) -> Iterator[None]:
        """Heartbeats for the life of the block, from a thread of their own: a job that takes long (or
        a tick stuck on the database) does not make this worker look dead. Its row goes on leaving."""
        if self._beating:
            yield
            return
        self._beat()  # before claiming anything: a claim by a worker with a heartbeat can be freed early
        stop = threading.Event()
        thread = threading.Thread(target=self._beat_until, args=(stop,), name="jimu-heartbeat", daemon=True)
        self._beating = True
        thread.start()
        try:
            yield
        finally:
            self._beating = False
            stop.set()
            thread.join(self.heartbeat_seconds + 30)
            try:
                forget_worker(self.runtime, self.worker_id)
            except Exception:  # it ages out; its jobs are marked already
                log.exception("worker %s: could not remove its heartbeat", self.worker_id)

    def _beat(self) -> None:
        heartbeat(self.runtime, self.worker_id, stale_after=self.stale_after, lease=self.lease)

    def _beat_until(self, stop: threading.Event) -> None:
        while not stop.wait(self.heartbeat_seconds):
            try:
                self._beat()
            except Exception:  # the database may be away: beat again next time
                log.exception("worker %s: heartbeat failed", self.worker_id)


@contextlib.contextmanager
def worker_thread(runtime: "Runtime", poll_seconds: float = 1.0, join_seconds: float = 30.0) -> Iterator[Worker]:
    """A worker in a daemon thread for the life of the block (``jimu serve``); stopped on leaving it."""
    stop = threading.Event()
    worker = Worker(runtime, default_worker_id(), poll_seconds)
    thread = threading.Thread(target=worker.run_forever, args=(stop,), name="jimu-worker", daemon=True)
    thread.start()
    try:
        yield worker
    finally:
        stop.set()
        thread.join(join_seconds)


def main(db: str | None, poll_seconds: float, once: bool, heartbeat_seconds: float = HEARTBEAT.total_seconds(),
         stale_after_seconds: float | None = None) -> int:
    """``jimu worker``: one tick with ``--once``, else until SIGTERM or Ctrl-C."""
    import signal

    from ..runtime import open_runtime

    rt = open_runtime(db)
    worker = Worker(rt, default_worker_id(), poll_seconds, heartbeat_seconds=heartbeat_seconds,
                    stale_after_seconds=stale_after_seconds)
    try:
        if once:
            print(f"{worker.run_once()} done / 已完成", flush=True)
            return 0
        stop = threading.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):  # finish the job in hand, then stop
            signal.signal(sig, lambda *_: stop.set())
        print(f"worker {worker.worker_id} polling every {poll_seconds}s / 后台任务已启动", flush=True)
        worker.run_forever(stop)
        return 0
    finally:
        rt.db.dispose()
