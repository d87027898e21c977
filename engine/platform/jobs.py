"""Delayed and recurring jobs in one table (``jimu_job``), for every engine.

- ``schedule_job`` adds a job in the caller's transaction (so it exists exactly when the write that
  asked for it commits): at a time, after a delay ("N after this event"), or on a cron expression read
  in a time zone. A ``key`` makes scheduling idempotent: while a job with that key exists (done jobs
  included, until housekeeping purges them) scheduling it again returns the existing job's id.
- Workers claim due jobs with row locks (``FOR UPDATE SKIP LOCKED`` where the database has it; on
  SQLite the claim is one write transaction, which holds the database's write lock), mark them
  running with a lease, and run each handler outside the claim's transaction. A running job whose
  lease has passed is claimable again.
- Workers heartbeat (``jimu_worker``: a row per worker, refreshed every few seconds by a thread of
  its own, so also during a long job). A heartbeat renews the lease of the jobs its worker runs, so a
  live worker keeps a job however long it takes; a job whose worker has been silent longer than its
  ``alive_until`` (3 beats by default) is claimable at once, not after the rest of its lease (issue 11
  item 10). A worker that never beats (a bare ``run_due_jobs``) keeps the lease alone.
- A recurring job that came due while everything was down runs once, then its next run_at is computed
  from the time of that run: missed ticks are not replayed.
- A failure is kept (``last_error``) and retried with backoff; a one-off job that is out of attempts is
  ``dead`` and stays visible to admins; a recurring one gives up that occurrence and waits for its next
  tick, keeping the error.

Delivery is at least once: a handler whose worker dies (or stops beating) after the handler committed
but before the job was marked done, or that outlives its lease without heartbeats, may run again.
Handlers that write should be idempotent (the job's id is a natural key).
"""
from __future__ import annotations

import datetime as dt
import traceback
from typing import TYPE_CHECKING, Any, Callable, Iterable

import sqlalchemy as sa

from .cron import DEFAULT_TIME_ZONE, check_cron, next_fire, zone
from .jobs_schema import JOB_STATUSES

if TYPE_CHECKING:
    from ..runtime import Runtime

JobHandler = Callable[[Any, dict], None]  # (runtime, job) -> None; raise to fail the attempt

DEFAULT_LEASE = dt.timedelta(minutes=10)
HEARTBEAT = dt.timedelta(seconds=10)  # how often a worker says it is alive
STALE_BEATS = 3  # missed beats after which a worker is taken to be dead
FORGET_WORKERS = dt.timedelta(days=1)  # heartbeat rows of workers silent this long are purged
BACKOFF_BASE = dt.timedelta(seconds=30)
MAX_BACKOFF = dt.timedelta(hours=1)
ERROR_CHARS = 4000
PURGE_HANDLER = "jobs.purge"
PURGE_KEEP_DAYS = 30
_OPEN = ("pending", "failed", "running")  # what cancelling stops; done and dead are history


class JobHandlers:
    """The runtime's job handlers by name. The platform's own housekeeping is registered from the start."""

    def __init__(self) -> None:
        self._fns: dict[str, JobHandler] = {PURGE_HANDLER: purge_finished_jobs}

    def register(self, name: str, fn: JobHandler) -> None:
        if name in self._fns:
            raise ValueError(f"a job handler named {name!r} is already registered")
        self._fns[name] = fn

    def get(self, name: str) -> JobHandler | None:
        return self._fns.get(name)

    def __contains__(self, name: object) -> bool:
        return name in self._fns

    def names(self) -> list[str]:
        return sorted(self._fns)


# --- scheduling ----------------------------------------------------------------------------------
def schedule_job(runtime: "Runtime", conn: sa.Connection | None, handler: str, run_at: dt.datetime | None = None,
                 *, payload: dict | None = None, key: str | None = None, cron: str | None = None,
                 delay: dt.timedelta | None = None, max_attempts: int = 5,
                 definition: tuple[str, str, str] | None = None, time_zone: str = DEFAULT_TIME_ZONE) -> int:
    """Add a job and return its id; with the ``key`` of an existing job, that job's id (nothing added).

    When it first runs: ``run_at`` (naive UTC; an aware time is converted), else ``clock() + delay``,
    else the cron's next fire time after ``clock()``, else now. ``definition`` is (app, kind, name):
    its stored version (number, app version) and hash are recorded with the job (None if the database holds
    no such row), so the job reads the definition it was scheduled on: ``runtime.definition_version``.
    """
    if run_at is not None and delay is not None:
        raise ValueError("give run_at or delay, not both")
    if max_attempts < 1:
        raise ValueError("max_attempts must be at least 1")
    if payload is not None and not isinstance(payload, dict):
        raise TypeError("a job's payload is a dict (a JSON object)")
    if cron is not None:
        check_cron(cron)
        zone(time_zone)
    now = runtime.clock()
    if run_at is not None:
        when = _naive_utc(run_at)
    elif delay is not None:
        when = now + delay
    elif cron is not None:
        when = next_fire(cron, time_zone, now)
    else:
        when = now
    job = runtime.db.core["job"]
    values = {"handler": handler, "payload": payload or {}, "run_at": when, "cron": cron, "time_zone": time_zone,
              "status": "pending", "attempts": 0, "max_attempts": max_attempts, "key": key, "created_at": now}
    with runtime.transaction(conn) as c:
        if definition is not None:
            values.update(_definition_values(runtime, c, definition))
        if key is None:
            return int(c.execute(job.insert().values(**values)).inserted_primary_key[0])
        existing = _id_for_key(c, job, key)
        if existing is not None:
            return existing
        try:  # a savepoint: a concurrent scheduler of the same key must not abort the caller's transaction
            with c.begin_nested():
                return int(c.execute(job.insert().values(**values)).inserted_primary_key[0])
        except sa.exc.IntegrityError:
            existing = _id_for_key(c, job, key)
            if existing is None:
                raise
            return existing


def cancel_jobs(runtime: "Runtime", conn: sa.Connection | None, *, key: str | None = None,
                key_prefix: str | None = None, handler: str | None = None) -> int:
    """Remove the jobs that have not finished and match every filter given; returns how many.
    A job being run right now is removed too: its worker's result is then dropped, and a recurring
    job does not come back. Done and dead jobs stay as history."""
    if key is None and key_prefix is None and handler is None:
        raise ValueError("cancel_jobs needs key, key_prefix or handler")
    job = runtime.db.core["job"]
    conds = [job.c.status.in_(_OPEN)]
    if key is not None:
        conds.append(job.c.key == key)
    if key_prefix is not None:
        conds.append(job.c.key.startswith(key_prefix, autoescape=True))
    if handler is not None:
        conds.append(job.c.handler == handler)
    with runtime.transaction(conn) as c:
        return c.execute(job.delete().where(*conds)).rowcount


# --- claiming and running ------------------------------------------------------------------------
def run_due_jobs(runtime: "Runtime", worker_id: str, limit: int = 50, *, lease: dt.timedelta = DEFAULT_LEASE) -> int:
    """Claim what is due at ``runtime.clock()`` (at most ``limit``) and run it; returns how many ran.
    ``worker_id`` must be unique among the workers running at once."""
    jobs = claim_due_jobs(runtime, worker_id, limit, lease=lease)
    ran = 0
    for j in jobs:
        ran += run_claimed_job(runtime, worker_id, j, lease=lease)
    return ran


def claim_due_jobs(runtime: "Runtime", worker_id: str, limit: int = 50, *,
                   lease: dt.timedelta = DEFAULT_LEASE) -> list[dict]:
    """Mark due jobs running for this worker until ``clock() + lease``, in one transaction; returns them."""
    job, worker = runtime.db.core["job"], runtime.db.core["worker"]
    now = runtime.clock()
    silent = sa.select(worker.c.worker_id).where(worker.c.alive_until < now)
    due = sa.or_(sa.and_(job.c.status.in_(("pending", "failed")), job.c.run_at <= now),
                 # its worker was lost: the lease passed, or its heartbeat stopped
                 sa.and_(job.c.status == "running", sa.or_(job.c.locked_until < now, job.c.locked_by.in_(silent))))
    with runtime.connect() as c:  # a plain read first: an idle poll takes no lock at all
        if c.execute(sa.select(job.c.id).where(due).limit(1)).first() is None:
            return []
    q = sa.select(job).where(due).order_by(job.c.run_at, job.c.id).limit(limit)
    caps = runtime.db.caps
    if caps.skip_locked:  # other workers' claims are skipped, not waited for
        q = q.with_for_update(skip_locked=True)
    elif caps.row_locks:
        q = q.with_for_update()
    # without row locks the database has a single writer: the write transaction alone serialises claims
    with runtime.transaction() as c:
        rows = [dict(r) for r in c.execute(q).mappings()]
        taken = []
        for r in rows:
            if r["status"] == "running" and r["attempts"] >= r["max_attempts"]:  # lost on its last attempt
                why = (f"its lease passed at {r['locked_until']:%Y-%m-%d %H:%M:%S} UTC" if r["locked_until"] < now
                       else "its heartbeat stopped")
                lost = f"worker {r['locked_by']} stopped while running it ({why})"
                c.execute(job.update().where(job.c.id == r["id"]).values(
                    **_give_up(r, now), locked_by=None, locked_until=None, last_error=lost))
            else:
                taken.append(r)
        if taken:
            until = now + lease
            c.execute(job.update().where(job.c.id.in_([r["id"] for r in taken])).values(
                status="running", locked_by=worker_id, locked_until=until, attempts=job.c.attempts + 1,
                last_run_at=now))
            for r in taken:
                r.update(status="running", locked_by=worker_id, locked_until=until, attempts=r["attempts"] + 1,
                         last_run_at=now)
    return taken


def run_claimed_job(runtime: "Runtime", worker_id: str, j: dict, *, lease: dt.timedelta = DEFAULT_LEASE) -> int:
    """Run one job this worker claimed and record the outcome; 0 if it was no longer ours to run."""
    job = runtime.db.core["job"]
    ours = sa.and_(job.c.id == j["id"], job.c.locked_by == worker_id, job.c.status == "running")
    if runtime.clock() >= j["locked_until"] - lease / 2:  # it waited behind others of the batch: renew
        until = runtime.clock() + lease
        with runtime.transaction() as c:
            if c.execute(job.update().where(ours).values(locked_until=until)).rowcount == 0:
                return 0  # taken over by another worker, or cancelled
        j["locked_until"] = until
    fn = runtime.job_handlers.get(j["handler"])
    error = None
    if fn is None:
        error = (f"未注册的任务处理器 '{j['handler']}' / no job handler named '{j['handler']}' is registered "
                 f"(worker {worker_id})")
    else:
        try:
            fn(runtime, j)
        except Exception as e:  # kept on the job and retried; the worker goes on with the others
            error = f"{type(e).__name__}: {e}\n{traceback.format_exc(limit=8)}"
    now = runtime.clock()
    if error is None:
        values = {"last_error": None, **(_next_tick(j, now) if j["cron"] else {"status": "done", "finished_at": now})}
    elif j["attempts"] >= j["max_attempts"]:
        values = {"last_error": _truncate(error), **_give_up(j, now)}
    else:
        values = {"last_error": _truncate(error), "status": "failed", "run_at": now + backoff(j["attempts"])}
    with runtime.transaction() as c:
        c.execute(job.update().where(ours).values(locked_by=None, locked_until=None, **values))
    return 1


def backoff(attempts: int) -> dt.timedelta:
    """The wait before the next attempt after ``attempts`` failed ones: 30 s, 1 min, 2 min ... at most 1 h."""
    return min(BACKOFF_BASE * 2 ** max(attempts - 1, 0), MAX_BACKOFF)


def _give_up(j: dict, now: dt.datetime) -> dict:
    """Out of attempts: a one-off job is dead; a recurring one waits for its next tick."""
    if j["cron"]:
        return _next_tick(j, now)
    return {"status": "dead", "finished_at": now}


def _next_tick(j: dict, now: dt.datetime) -> dict:
    return {"status": "pending", "run_at": next_fire(j["cron"], j["time_zone"], now), "attempts": 0}


# --- worker liveness -----------------------------------------------------------------------------
def heartbeat(runtime: "Runtime", worker_id: str, *, stale_after: dt.timedelta = HEARTBEAT * STALE_BEATS,
              lease: dt.timedelta = DEFAULT_LEASE) -> None:
    """This worker is alive: its row says so until ``clock() + stale_after``, and the jobs it runs keep
    their lease (renewed to ``clock() + lease``)."""
    worker, job = runtime.db.core["worker"], runtime.db.core["job"]
    now = runtime.clock()
    # the runtime's clock counts whole seconds: a second more, so that a beat late in one second is
    # not judged a second early by a worker already in the next
    values = {"last_seen": now, "alive_until": now + stale_after + dt.timedelta(seconds=1)}
    with runtime.transaction() as c:
        if c.execute(worker.update().where(worker.c.worker_id == worker_id).values(**values)).rowcount == 0:
            c.execute(worker.insert().values(worker_id=worker_id, started_at=now, **values))  # ids are unique
        c.execute(job.update().where(job.c.status == "running", job.c.locked_by == worker_id,
                                     job.c.locked_until < now + lease).values(locked_until=now + lease))


def forget_worker(runtime: "Runtime", worker_id: str) -> None:
    """A worker stopping cleanly removes its heartbeat (the jobs it finished are marked already)."""
    worker = runtime.db.core["worker"]
    with runtime.transaction() as c:
        c.execute(worker.delete().where(worker.c.worker_id == worker_id))


def list_workers(runtime: "Runtime") -> list[dict]:
    """The workers that beat, newest first, and whether each is alive, for admins."""
    worker = runtime.db.core["worker"]
    now = runtime.clock()
    with runtime.connect() as c:
        rows = c.execute(sa.select(worker).order_by(worker.c.started_at.desc())).mappings().all()
    return [{**dict(r), "alive": r["alive_until"] >= now} for r in rows]


# --- reading -------------------------------------------------------------------------------------
def list_jobs(runtime: "Runtime", *, statuses: Iterable[str] | None = None, handler: str | None = None,
              ids: Iterable[int] | None = None, limit: int = 100, offset: int = 0) -> tuple[list[dict], int]:
    """Jobs for admins, newest first, and how many match."""
    job = runtime.db.core["job"]
    conds = []
    if statuses:
        bad = sorted(set(statuses) - set(JOB_STATUSES))
        if bad:
            raise ValueError(f"unknown job status: {', '.join(bad)}")
        conds.append(job.c.status.in_(list(statuses)))
    if handler:
        conds.append(job.c.handler == handler)
    if ids is not None:
        conds.append(job.c.id.in_(list(ids)))
    with runtime.connect() as c:
        total = c.execute(sa.select(sa.func.count()).select_from(job).where(*conds)).scalar()
        rows = c.execute(sa.select(job).where(*conds).order_by(job.c.id.desc()).limit(limit).offset(offset)
                         ).mappings().all()
    return [job_view(r) for r in rows], int(total)


def job_view(r) -> dict:
    out = {k: r[k] for k in ("id", "handler", "status", "run_at", "cron", "time_zone", "attempts", "max_attempts",
                             "last_error", "locked_by", "locked_until", "key", "payload", "created_at",
                             "last_run_at", "finished_at")}
    # version: the definition's number in its history; app_version: the app's version then
    out["definition"] = ({"app": r["definition_app"], "kind": r["definition_kind"], "name": r["definition_name"],
                          "version": r["definition_number"], "app_version": r["definition_version"],
                          "hash": r["definition_hash"]} if r["definition_app"] is not None else None)
    return out


def job_definition(runtime: "Runtime", j: dict, *, compiled: bool = True):
    """The exact definition version a job was scheduled on (``definition=`` of schedule_job), even after
    an install stored a newer one; None for a job without one (or scheduled before versions existed)."""
    if j.get("definition_app") is None or j.get("definition_number") is None:
        return None
    return runtime.definition_version(j["definition_app"], j["definition_kind"], j["definition_name"],
                                      j["definition_number"], compiled=compiled)


# --- housekeeping --------------------------------------------------------------------------------
def purge_finished_jobs(runtime: "Runtime", j: dict) -> None:
    """Delete done jobs finished more than ``keep_days`` (payload, default 30) ago; dead ones stay for
    admins to see. Their keys become free again."""
    keep = dt.timedelta(days=int((j.get("payload") or {}).get("keep_days", PURGE_KEEP_DAYS)))
    job, worker = runtime.db.core["job"], runtime.db.core["worker"]
    with runtime.transaction() as c:
        c.execute(job.delete().where(job.c.status == "done", job.c.finished_at < runtime.clock() - keep))
        # workers that died long ago (their jobs have been taken over since)
        c.execute(worker.delete().where(worker.c.alive_until < runtime.clock() - FORGET_WORKERS))


def schedule_housekeeping(runtime: "Runtime") -> int:
    """The platform's own recurring job (idempotent: one per database)."""
    return schedule_job(runtime, None, PURGE_HANDLER, cron="17 3 * * *", key="platform:" + PURGE_HANDLER)


# --- helpers -------------------------------------------------------------------------------------
def _naive_utc(t: dt.datetime) -> dt.datetime:
    return t if t.tzinfo is None else t.astimezone(dt.timezone.utc).replace(tzinfo=None)


def _id_for_key(c: sa.Connection, job: sa.Table, key: str) -> int | None:
    found = c.execute(sa.select(job.c.id).where(job.c.key == key)).scalar()
    return None if found is None else int(found)


def _definition_values(runtime: "Runtime", c: sa.Connection, definition: tuple[str, str, str]) -> dict:
    app, kind, name = definition
    d = runtime.db.core["definition"]
    row = c.execute(sa.select(d.c.version, d.c.hash, d.c.current_version)
                    .where(d.c.app == app, d.c.kind == kind, d.c.name == name)).first()
    return {"definition_app": app, "definition_kind": kind, "definition_name": name,
            "definition_version": row.version if row else None, "definition_hash": row.hash if row else None,
            "definition_number": row.current_version if row else None}


def _truncate(text: str) -> str:
    """Keep the first line (what failed) and the end of the traceback (where)."""
    if len(text) <= ERROR_CHARS:
        return text
    head = text.split("\n", 1)[0][: ERROR_CHARS // 2]
    return head + "\n…\n" + text[-(ERROR_CHARS - len(head) - 3):]
