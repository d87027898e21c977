"""Events and their dispatch: the outbox pattern.

Every committed record write emits typed events (record.created, record.updated, record.deleted,
record.restored, with the changed fields' old and new values) into ``jimu_event`` in the write's own
transaction, so a crash after the commit loses nothing. The dispatcher hands them, after commit, to
the registered handlers (rules, flows, notifications, webhooks):

- each handler sees events in commit order for one record (writes to a record hold its row lock, or
  SQLite's write lock): in id order on SQLite, in batches of what each new snapshot made visible, in
  id order within a batch, on PostgreSQL (event_window.py);
- a handler runs inside a transaction that also moves its cursor, so what it writes to the database
  and the fact that it handled the event commit together: an event is not handled twice (each event
  runs under a savepoint; a handler declared ``idempotent`` takes a batch under one, faster);
- a handler that raises is retried with backoff from that event on; its error is kept on its cursor
  (visible to admins) and it does not hold up the other handlers;
- several workers may dispatch at once: a handler's cursor row is locked while it runs
  (``FOR UPDATE SKIP LOCKED`` where the database has it; SQLite's write lock serialises otherwise).

A cursor never passes an event that commits later, whatever the order of ids and commits (issue 11
item 1): see event_window.py. Engines put their own events in beside the record events with ``emit``
(in the caller's transaction, so a rollback takes them back); each event carries its causation
depth, and a chain deeper than the limit stops (causation.py).
"""
from __future__ import annotations

import datetime as dt
import traceback
from dataclasses import dataclass
from typing import Any, Callable

import sqlalchemy as sa

from ..errors import JimuError, msg
from .causation import caused, handling, max_depth, note_stopped
from .event_window import current_snapshot, moved, next_window, starting, waiting

RECORD_KINDS = {"create": "record.created", "update": "record.updated", "delete": "record.deleted",
                "restore": "record.restored"}
BATCH = 200
MAX_BACKOFF = dt.timedelta(hours=1)


@dataclass(frozen=True)
class Subscription:
    name: str
    handler: Callable[[Any, sa.Connection, dict], None]  # (runtime, conn, event)
    kinds: frozenset[str] | None = None
    app: str | None = None
    entity: str | None = None
    idempotent: bool = False  # True: calling it again for an event is harmless (its effects are all in
    #                           the database), so a batch may run without a savepoint per event

    def wants(self, e: dict) -> bool:
        return ((self.kinds is None or e["kind"] in self.kinds) and (self.app is None or e["app"] == self.app)
                and (self.entity is None or e["entity"] == self.entity))


class EventHandlers:
    """The runtime's subscriptions, by a stable name (the name keys the handler's cursor)."""

    def __init__(self) -> None:
        self._subs: dict[str, Subscription] = {}

    def subscribe(self, name: str, handler: Callable[[Any, sa.Connection, dict], None], *,
                  kinds: set[str] | None = None, app: str | None = None, entity: str | None = None,
                  idempotent: bool = False) -> None:
        if name in self._subs:
            raise ValueError(f"an event handler named {name!r} is already subscribed")
        self._subs[name] = Subscription(name, handler, frozenset(kinds) if kinds else None, app, entity,
                                        idempotent)

    def __iter__(self):
        return iter(list(self._subs.values()))


def record_events(batch) -> None:
    """A persist handler: the batch's events into the outbox, in the write's transaction. The changed
    values are in the audit entry written beside it; dispatch joins them in. A write made while a
    handler handles an event carries that event's depth + 1; past the limit its events are kept (the
    write stands) but no handler gets them."""
    depth, cause_id = caused(None)
    rows = [{"at": batch.now, "kind": RECORD_KINDS[w.op], "app": batch.app.name, "entity": batch.entity.name,
             "record_id": w.id, "version": w.version, "actor": batch.actor.user_id, "payload": None,
             "depth": depth, "cause": cause_id}
            for w in batch.writes]
    if rows:
        batch.conn.execute(batch.runtime.db.core["event"].insert(), rows)
        if depth and depth > max_depth(batch.runtime):
            w = batch.writes[0]
            note_stopped(batch.runtime, batch.conn, kind=RECORD_KINDS[w.op], app=batch.app.name,
                         entity=batch.entity.name, record_id=w.id, depth=depth, cause_id=cause_id,
                         actor=batch.actor.user_id)


KIND_MAX = 64  # jimu_event.kind's length


def emit(conn: sa.Connection, runtime, *, app: str | None, type: str, entity: str | None = None,
         record_id: int | None = None, payload: dict | None = None, actor: Any = None,
         cause: dict | None = None) -> int | None:
    """Put an engine's own event (``flow.submitted``, ``rule.fired``...) into the outbox in the caller's
    transaction ``conn``: it is dispatched like a record event once that commits, and never if it
    rolls back. ``cause``: the event being handled (by default the one whose handler is running), so
    the new event's depth is the cause's + 1; an event deeper than the limit is refused (None is
    returned, the event log says so) instead of feeding a chain that re-triggers itself. ``actor``:
    a user id or an Actor. Returns the new event's id."""
    if not isinstance(type, str) or not type or len(type) > KIND_MAX or type.startswith("record."):
        raise JimuError("event.E400", msg(f"事件类型 {type!r} 无效（非空，至多 {KIND_MAX} 个字符，"
                                          "record.* 保留给记录）",
                                          f"invalid event type {type!r} (non-empty, at most {KIND_MAX} "
                                          "characters, record.* is kept for records)"), status=400)
    if payload is not None and not isinstance(payload, dict):
        raise JimuError("event.E400", msg("事件内容应为对象", "an event's payload must be an object"), status=400)
    actor_id = getattr(actor, "user_id", actor)
    depth, cause_id = caused(cause)
    if depth > max_depth(runtime):
        note_stopped(runtime, conn, kind=type, app=app, entity=entity, record_id=record_id, depth=depth,
                     cause_id=cause_id, actor=actor_id)
        return None
    ev = runtime.db.core["event"]
    return conn.execute(ev.insert().values(
        at=runtime.clock(), kind=type, app=app, entity=entity, record_id=record_id, version=None,
        actor=actor_id, payload=payload or {}, depth=depth, cause=cause_id)).inserted_primary_key[0]


def dispatch_pending(runtime, limit: int = BATCH) -> int:
    """Hand each handler the events it has not handled yet (at most ``limit`` per handler); returns
    how many events were handled. Safe to call from several processes at once."""
    done = 0
    for sub in runtime.event_handlers:
        done += _dispatch_one(runtime, sub, limit)
    return done


def _dispatch_one(runtime, sub: Subscription, limit: int) -> int:
    cur = runtime.db.core["event_cursor"]
    now = runtime.clock()
    failed: tuple[int, str] | None = None
    with runtime.transaction() as conn:
        snapshot = current_snapshot(runtime, conn)  # first: see current_snapshot
        row = _lock_cursor(runtime, conn, sub.name, snapshot)
        if row is None:  # another worker holds this handler right now
            return 0
        if row.retry_at is not None and row.retry_at > now:
            return 0
        window = next_window(runtime.db.core["event"], row, snapshot)
        if window is None:
            return 0
        events = _events_in(runtime, conn, window, limit)
        start = row.last_id
        if sub.idempotent:
            # the whole batch under one savepoint; only when the handler fails is it redone event by
            # event (calling it again for the events before the failing one, which it allows)
            whole = conn.begin_nested()
            try:
                handled, last, _ = _run(runtime, conn, sub, events, start, per_event=False)
                whole.commit()
            except Exception:
                whole.rollback()
                handled, last, failed = _run(runtime, conn, sub, events, start, per_event=True)
        else:  # a savepoint per event: a handler is called once for each event it handles
            handled, last, failed = _run(runtime, conn, sub, events, start, per_event=True)
        values: dict[str, Any] = {**moved(window, last, failed is None and len(events) < limit), "updated_at": now}
        if failed is None:
            values.update(failures=0, last_error=None, retry_at=None)
        else:
            failures = (row.failures or 0) + 1
            backoff = min(dt.timedelta(seconds=5 * 2 ** (failures - 1)), MAX_BACKOFF)
            values.update(failures=failures, last_error=f"event {failed[0]}: {failed[1]}", retry_at=now + backoff)
        conn.execute(cur.update().where(cur.c.handler == sub.name).values(**values))
    return handled


def _events_in(runtime, conn, window, limit: int) -> list[dict]:
    ev, au = runtime.db.core["event"], runtime.db.core["audit"]
    same = sa.and_(au.c.app == ev.c.app, au.c.entity == ev.c.entity, au.c.record_id == ev.c.record_id,
                   au.c.version == ev.c.version)
    q = (sa.select(ev, au.c.changes).select_from(ev.outerjoin(au, same)).where(*window.where)
         .order_by(*window.order).limit(limit))
    out = []
    for r in conn.execute(q).mappings():
        e = dict(r)
        changes = e.pop("changes")
        if e["payload"] is None:
            e["payload"] = {"changes": changes or {}}
        out.append(e)
    return out


def _run(runtime, conn, sub: Subscription, events: list[dict], last_id: int, per_event: bool):
    handled, failed = 0, None
    limit = max_depth(runtime)
    for e in events:
        if sub.wants(e) and (e.get("depth") or 0) <= limit:  # deeper: a chain stopped (causation.py)
            if not per_event:
                with handling(e):
                    sub.handler(runtime, conn, e)
            else:
                savepoint = conn.begin_nested()
                try:
                    with handling(e):
                        sub.handler(runtime, conn, e)
                except Exception:  # kept on the cursor and retried; the other handlers go on
                    savepoint.rollback()
                    failed = (e["id"], traceback.format_exc(limit=5)[-4000:])
                    break
                savepoint.commit()
            handled += 1
        last_id = e["id"]
    return handled, last_id, failed


def _lock_cursor(runtime, conn: sa.Connection, name: str, snapshot: str | None):
    cur, ev = runtime.db.core["event_cursor"], runtime.db.core["event"]
    q = sa.select(cur).where(cur.c.handler == name)
    if runtime.db.caps.skip_locked:
        q = q.with_for_update(skip_locked=True)
    row = conn.execute(q).first()
    if row is not None:
        return row
    try:
        with conn.begin_nested():
            conn.execute(cur.insert().values(handler=name, failures=0, updated_at=runtime.clock(),
                                             **starting(conn, ev, snapshot)))
    except sa.exc.IntegrityError:  # another worker created it at the same moment
        return None
    return conn.execute(q).first()


def handler_status(runtime) -> list[dict]:
    """Each handler's position, how many events wait for it, and its last failure, for admins."""
    cur, ev = runtime.db.core["event_cursor"], runtime.db.core["event"]
    out = []
    with runtime.connect() as c:
        for r in c.execute(sa.select(cur).order_by(cur.c.handler)).mappings().all():
            behind = c.execute(sa.select(sa.func.count()).select_from(ev).where(waiting(ev, r))).scalar()
            out.append({**dict(r), "behind": int(behind)})
    return out
