"""Which events a handler's cursor takes next: each committed event exactly once, however writers
interleave (issue 11 item 1).

An event's id is taken at insert, not at commit. On PostgreSQL an event with id 10 can commit after
id 11, and a reader that had moved past 11 would skip 10 for ever. So where the database has
transaction snapshots, each event records its writing transaction's id (the column's default), and a
cursor is a snapshot instead of an id: a batch is the events whose transaction is visible in a new
snapshot and was not in the cursor's (every transaction becomes visible in exactly one such step, a
rolled-back one never), then the new snapshot is the cursor. This is how PgQ (Skytools) batches its
queues; unlike waiting for the oldest running transaction to end (a visibility horizon), a long
transaction elsewhere delays only its own events; unlike tracking gaps, no timeout has to guess
whether a missing id will still commit. Within a batch events go in id order (for one record that is
commit order: a write holds the record's row lock until it commits, so the next one inserts later);
a batch bigger than the dispatcher's limit keeps its snapshot on the cursor until it is done.

Where a write transaction holds the database's write lock (SQLite), ids are taken in commit order:
the id is the cursor, ``xact`` stays 0, and none of this is needed.
"""
from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa


@dataclass(frozen=True)
class Snapshot:
    xmin: int  # every transaction below it had finished
    xmax: int  # none from it on had
    xip: frozenset[int]  # those in between still running

    @classmethod
    def parse(cls, text: str) -> "Snapshot":
        xmin, xmax, xip = text.split(":")
        return cls(int(xmin), int(xmax), frozenset(int(x) for x in xip.split(",") if x))

    def visible(self, x) -> sa.ColumnElement:
        return sa.or_(x < self.xmin, sa.and_(x < self.xmax, x.not_in(self.xip) if self.xip else sa.true()))

    def invisible(self, x) -> sa.ColumnElement:
        return sa.or_(x >= self.xmax, x.in_(self.xip) if self.xip else sa.false())

    def covers(self, earlier: "Snapshot") -> bool:
        """Everything visible in ``earlier`` is visible in this one (it was taken after)."""
        return earlier.xmax <= self.xmax and all(x in earlier.xip for x in self.xip if x < earlier.xmax)


@dataclass(frozen=True)
class Window:
    where: list  # conditions on jimu_event
    order: list
    snapshot: str | None  # the batch's snapshot, None where ids alone are the cursor


def current_snapshot(runtime, conn: sa.Connection) -> str | None:
    """Taken first in the dispatcher's transaction, before it has a transaction id of its own: what its
    handlers write is then not in it, and comes in the next batch."""
    sql = runtime.db.caps.xact_snapshot_sql
    return None if sql is None else conn.exec_driver_sql(f"SELECT {sql}").scalar()


def next_window(ev: sa.Table, row, now: str | None) -> Window | None:
    """The events the cursor ``row`` takes next, given the snapshot ``now``; None when ``now`` is older
    than the cursor's (another worker moved it meanwhile: try again next round)."""
    if now is None:
        return Window([ev.c.id > row.last_id], [ev.c.id], None)
    batch = row.batch_snapshot or now
    if row.snapshot is not None and row.batch_snapshot is None:
        if not Snapshot.parse(now).covers(Snapshot.parse(row.snapshot)):
            return None
        after = 0
    else:  # the rest of a batch, or a cursor from before snapshots (the rows it has not had keep xact 0,
        after = row.last_id  # and the ids of those written since are higher)
    upto = Snapshot.parse(batch)
    where = [ev.c.id > after, ev.c.xact < upto.xmax, upto.visible(ev.c.xact)]
    if row.snapshot is not None:  # the range of (xact, id) makes the index find the batch
        done = Snapshot.parse(row.snapshot)
        where += [ev.c.xact >= done.xmin, done.invisible(ev.c.xact)]
    return Window(where, [ev.c.id], batch)


def moved(window: Window, last_id: int, finished: bool) -> dict:
    """The cursor's new values after handling up to ``last_id``; ``finished``: the batch is done."""
    if window.snapshot is None:
        return {"last_id": last_id}
    if finished:
        return {"snapshot": window.snapshot, "batch_snapshot": None, "last_id": last_id}
    return {"batch_snapshot": window.snapshot, "last_id": last_id}


def starting(conn: sa.Connection, ev: sa.Table, now: str | None) -> dict:
    """A new handler's cursor: what happens from now on, not the whole history."""
    if now is not None:
        return {"snapshot": now, "last_id": 0}
    return {"last_id": conn.execute(sa.select(sa.func.coalesce(sa.func.max(ev.c.id), 0))).scalar()}


def waiting(ev: sa.Table, row) -> sa.ColumnElement:
    """The events the cursor has not handled yet (committed or not: for counting)."""
    if row["snapshot"] is None:
        return ev.c.id > row["last_id"]
    done = Snapshot.parse(row["snapshot"])
    cond = sa.and_(ev.c.xact >= done.xmin, done.invisible(ev.c.xact))
    if row["batch_snapshot"] is not None:
        handled = sa.and_(Snapshot.parse(row["batch_snapshot"]).visible(ev.c.xact), ev.c.id <= row["last_id"])
        cond = sa.and_(cond, sa.not_(handled))
    return cond
