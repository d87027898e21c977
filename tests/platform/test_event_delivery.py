"""Issue 11 item 1: exact delivery of the outbox under concurrency, on SQLite and PostgreSQL.

Many writers (threads with their own transactions, some rolled back, some committing late) and several
dispatcher workers (each with its own runtime, as `jimu worker` processes and `jimu serve` would have) at
the same time; a subscribed handler writes a row per event it handles, in the dispatcher's transaction.
Every committed event must be handled exactly once, none of the rolled-back ones, none twice."""
from __future__ import annotations

import random
import threading
import time
from collections import Counter
from pathlib import Path

import sqlalchemy as sa

from engine.install import install_bundle
from engine.platform.events import dispatch_pending, handler_status
from engine.runtime import open_runtime

SALES_ERP = Path(__file__).resolve().parents[2] / "apps" / "sales_erp"
WRITERS, WORKERS, WRITE_SECONDS = 8, 3, 2.0

_md = sa.MetaData()
handled = sa.Table("jimu_test_event_probe", _md,
                   sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
                   sa.Column("event_id", sa.Integer(), nullable=False),  # no unique constraint: a second run shows
                   sa.Column("code", sa.String(64), nullable=False),
                   sa.Column("worker", sa.Integer(), nullable=False))


class Rollback(Exception):
    pass


def _handler(worker: int):
    def count(_rt, conn, e):  # its effect commits with the cursor, in the dispatcher's transaction
        conn.execute(handled.insert().values(event_id=e["id"], code=e["payload"]["changes"]["code"][1],
                                             worker=worker))
    return count


def test_item1_concurrent_writers_and_workers_handle_every_committed_event_exactly_once(db_url):
    rt = open_runtime(db_url)
    install_bundle(rt, SALES_ERP)
    _md.create_all(rt.db.engine)
    workers = [open_runtime(db_url) for _ in range(WORKERS)]
    for i, w in enumerate(workers):
        w.event_handlers.subscribe("counter", _handler(i), kinds={"record.created"}, entity="product")
    dispatch_pending(workers[0])  # the handler starts from here
    committed: list[str] = []
    rolled_back: list[str] = []
    errors: list[BaseException] = []
    writing = threading.Event()
    writing.set()

    def write(n: int) -> None:
        svc = rt.records("sales_erp", "product")
        rnd = random.Random(n)
        i = 0
        try:
            while writing.is_set():
                codes = [f"W{n}-{i}-{k}" for k in range(rnd.choice((1, 1, 2, 3)))]
                i += 1
                fail = rnd.random() < 0.2
                try:
                    with rt.transaction() as c:
                        for code in codes:
                            svc.create({"code": code, "name": "x", "price": 1}, conn=c)
                        # the event's id is taken; the commit comes later, after others' commits
                        time.sleep(rnd.random() * 0.02)
                        if fail:
                            raise Rollback()
                except Rollback:
                    rolled_back.extend(codes)
                else:
                    committed.extend(codes)
        except BaseException as e:  # pragma: no cover - reported below
            errors.append(e)

    def deliver(w) -> None:
        try:
            while writing.is_set():
                if not dispatch_pending(w, limit=50):
                    time.sleep(0.002)
        except BaseException as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = ([threading.Thread(target=write, args=(n,)) for n in range(WRITERS)]
               + [threading.Thread(target=deliver, args=(w,)) for w in workers])
    try:
        for t in threads:
            t.start()
        time.sleep(WRITE_SECONDS)
        writing.clear()
        for t in threads:
            t.join(60)
        assert not errors, errors
        # every writer has finished: every event in the table is final. On PostgreSQL one may still wait
        # for a transaction elsewhere in the cluster that began before it (the horizon), not for long
        deadline = time.monotonic() + 60
        while {s["handler"]: s for s in handler_status(rt)}["counter"]["behind"]:
            assert time.monotonic() < deadline, "delivery did not finish"
            if not any([dispatch_pending(w) for w in workers]):
                time.sleep(0.05)
        with rt.connect() as c:
            rows = c.execute(sa.select(handled.c.code, handled.c.worker)).all()
    finally:
        for w in workers:
            w.db.dispose()
        rt.db.dispose()
    per_code = Counter(code for code, _ in rows)
    assert len(committed) > 30 and rolled_back  # the test really ran (how many depends on the machine)
    twice = sorted(c for c, n in per_code.items() if n > 1)
    missing = sorted(set(committed) - set(per_code))
    assert not twice, f"handled more than once: {twice[:10]}"
    assert not missing, f"{len(missing)} of {len(committed)} committed events never handled: {missing[:10]}"
    assert not set(rolled_back) & set(per_code), "an event of a rolled-back transaction was handled"


def test_item1_a_database_made_before_the_transaction_column_keeps_delivering(db_url):
    """The outbox's new columns are added when an older database is opened; its handlers go on from
    where they were, the events written before first, nothing lost or repeated."""
    rt = open_runtime(db_url)
    install_bundle(rt, SALES_ERP)
    seen: list[str] = []
    rt.event_handlers.subscribe("mailer", lambda _rt, _c, e: seen.append(e["payload"]["changes"]["code"][1]))
    dispatch_pending(rt)
    svc = rt.records("sales_erp", "product")
    svc.create({"code": "OLD-1", "name": "x", "price": 1})
    assert dispatch_pending(rt) == 1
    with rt.transaction() as c:  # the database as an earlier version made it
        c.exec_driver_sql("ALTER TABLE jimu_event DROP COLUMN xact")
        c.exec_driver_sql("ALTER TABLE jimu_event_cursor DROP COLUMN snapshot")
        c.exec_driver_sql("ALTER TABLE jimu_event_cursor DROP COLUMN batch_snapshot")
    rt.db.dispose()
    old = sa.create_engine(rt.db.engine.url)
    with old.begin() as c:  # written by the earlier version, not yet delivered
        old_rt_events = sa.Table("jimu_event", sa.MetaData(), autoload_with=c)
        assert "xact" not in old_rt_events.c
        c.execute(old_rt_events.insert().values(at=rt.clock(), kind="record.created", app="sales_erp",
                                                 entity="product", record_id=999, version=1,
                                                 payload={"changes": {"code": [None, "OLD-2"]}}))
    old.dispose()

    again = open_runtime(db_url)
    try:
        again.event_handlers.subscribe("mailer", lambda _rt, _c, e: seen.append(e["payload"]["changes"]["code"][1]))
        again.records("sales_erp", "product").create({"code": "NEW-1", "name": "x", "price": 1})
        while dispatch_pending(again):
            pass
        assert seen == ["OLD-1", "OLD-2", "NEW-1"]
        open_runtime(db_url).db.dispose()  # opening it again changes nothing
        ev = again.db.core["event"]
        with again.connect() as c:
            xacts = c.execute(sa.select(ev.c.xact).order_by(ev.c.id)).scalars().all()
        assert xacts[:2] == [0, 0]  # rows from before keep 0 and come first
        assert (xacts[2] > 0) == (again.db.caps.xact_id_sql is not None)  # a new one has its transaction's
    finally:
        again.db.dispose()


def test_item1_an_event_that_commits_after_a_later_one_is_delivered_and_does_not_wait_for_it(db_url):
    """The gap itself, step by step: a transaction takes an event id and stays open; a later write
    commits. The later event is delivered at once (it does not wait for the open transaction), the
    earlier one when its transaction commits (it is not passed over)."""
    rt = open_runtime(db_url)
    install_bundle(rt, SALES_ERP)
    seen: list[str] = []
    rt.event_handlers.subscribe("probe", lambda _rt, _c, e: seen.append(e["payload"]["changes"]["code"][1]),
                                entity="product")
    dispatch_pending(rt)
    svc = rt.records("sales_erp", "product")
    try:
        with rt.transaction() as c:
            svc.create({"code": "LATE", "name": "x", "price": 1}, conn=c)  # its event's id is the lower one
            other = threading.Thread(target=svc.create, args=({"code": "EARLY", "name": "x", "price": 1},))
            other.start()
            other.join(1)  # where one writer holds the database, it waits for this transaction instead
            if not other.is_alive():
                dispatch_pending(rt)
                assert seen == ["EARLY"]  # delivered while an older transaction is still open
        other.join(30)
        dispatch_pending(rt)
        assert sorted(seen) == ["EARLY", "LATE"] and len(seen) == 2
        assert dispatch_pending(rt) == 0
    finally:
        rt.db.dispose()
