"""The outbox: events written with the record, delivered after commit, in order, once per handler,
nothing lost to a crash between commit and dispatch."""
from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from engine.errors import ValidationFailed
from engine.install import install_bundle
from engine.platform.events import dispatch_pending, handler_status
from engine.runtime import open_runtime

SALES_ERP = Path(__file__).resolve().parents[2] / "apps" / "sales_erp"


@pytest.fixture
def rt(db_url):
    rt = open_runtime(db_url)
    install_bundle(rt, SALES_ERP)
    yield rt
    rt.db.dispose()


def _collector(rt, name="probe", **filters):
    seen: list[dict] = []
    rt.event_handlers.subscribe(name, lambda _rt, _conn, e: seen.append(e), **filters)
    dispatch_pending(rt)  # the handler starts from now
    return seen


def test_every_committed_write_becomes_an_event_in_order(rt):
    seen = _collector(rt, kinds={"record.created", "record.updated", "record.deleted", "record.restored"})
    svc = rt.records("sales_erp", "customer")
    c = svc.create({"name": "事件客户", "credit_limit": "10.50"})
    svc.update(c["id"], {"credit_limit": 20})
    svc.delete(c["id"])
    svc.restore(c["id"])
    with pytest.raises(ValidationFailed):
        svc.create({"name": "事件客户"})  # a duplicate: rolled back, so no event
    assert dispatch_pending(rt) == 4
    assert [e["kind"] for e in seen] == ["record.created", "record.updated", "record.deleted", "record.restored"]
    assert [e["version"] for e in seen] == [1, 2, 3, 4]
    assert seen[1]["payload"]["changes"]["credit_limit"] == ["10.50", "20.00"]
    assert {e["record_id"] for e in seen} == {c["id"]}
    assert dispatch_pending(rt) == 0  # nothing twice


def test_bulk_writes_emit_events_too(rt):
    seen = _collector(rt, entity="product")
    rt.records("sales_erp", "product").create_many([{"code": f"E-{i}", "name": "x", "price": 1} for i in range(300)])
    while dispatch_pending(rt):
        pass
    assert len(seen) == 300 and [e["record_id"] for e in seen] == sorted(e["record_id"] for e in seen)


def test_a_crash_between_commit_and_dispatch_loses_nothing(db_url, rt):
    rt.records("sales_erp", "product").create({"code": "CR-1", "name": "before", "price": 1})
    seen_before = _collector(rt, "mailer")
    rt.records("sales_erp", "product").create({"code": "CR-2", "name": "committed", "price": 1})
    rt.db.dispose()  # the process dies here: committed, never dispatched

    again = open_runtime(db_url)
    try:
        seen: list[dict] = []
        again.event_handlers.subscribe("mailer", lambda _rt, _c, e: seen.append(e))
        assert dispatch_pending(again) == 1
        assert seen[0]["payload"]["changes"]["code"] == [None, "CR-2"] and seen_before == []
    finally:
        again.db.dispose()


def test_a_failing_handler_is_retried_from_where_it_failed_and_others_go_on(rt):
    from engine.platform.clock import FixedClock

    clock = FixedClock(rt.clock())
    rt.clock = clock
    calls: list[str] = []
    probe = rt.db.core["event"]

    def flaky(_rt, conn, e):
        # what a handler writes commits with its cursor: a failed event leaves nothing behind
        conn.execute(sa.select(probe.c.id).where(probe.c.id == e["id"]))
        calls.append(e["payload"]["changes"]["code"][1])
        if e["payload"]["changes"]["code"][1] == "F-2" and calls.count("F-2") < 2:
            raise RuntimeError("the mail server is down")

    rt.event_handlers.subscribe("flaky", flaky, kinds={"record.created"})
    steady = _collector(rt, "steady", kinds={"record.created"})
    dispatch_pending(rt)
    for code in ("F-1", "F-2", "F-3"):
        rt.records("sales_erp", "product").create({"code": code, "name": "x", "price": 1})
    dispatch_pending(rt)
    assert calls == ["F-1", "F-2"] and len(steady) == 3
    status = {s["handler"]: s for s in handler_status(rt)}
    assert status["flaky"]["failures"] == 1 and "mail server is down" in status["flaky"]["last_error"]
    assert status["flaky"]["behind"] == 2
    dispatch_pending(rt)  # still backing off
    assert calls == ["F-1", "F-2"]
    clock.advance(seconds=6)
    dispatch_pending(rt)
    assert calls == ["F-1", "F-2", "F-2", "F-3"]
    assert {s["handler"]: s for s in handler_status(rt)}["flaky"]["behind"] == 0


def test_an_idempotent_handler_takes_batches_and_still_fails_at_the_right_event(rt):
    calls: list[str] = []

    def flaky(_rt, _conn, e):
        calls.append(e["payload"]["changes"]["code"][1])
        if calls[-1] == "I-3":
            raise RuntimeError("no")

    rt.event_handlers.subscribe("batchy", flaky, kinds={"record.created"}, idempotent=True)
    dispatch_pending(rt)
    for code in ("I-1", "I-2", "I-3", "I-4"):
        rt.records("sales_erp", "product").create({"code": code, "name": "x", "price": 1})
    dispatch_pending(rt)
    # the batch ran to the failure, then again event by event: I-1 and I-2 are kept, I-3 waits
    assert calls == ["I-1", "I-2", "I-3", "I-1", "I-2", "I-3"]
    assert {s["handler"]: s for s in handler_status(rt)}["batchy"]["behind"] == 2
