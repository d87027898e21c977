"""Engine events (issue 12 item 7): an engine's own event goes into the outbox in the caller's
transaction, a handler receives it once, and causation depth stops chains that re-trigger themselves."""
from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from engine.install import install_bundle
from engine.platform.events import dispatch_pending
from engine.runtime import open_runtime

BUNDLE = Path(__file__).resolve().parent / "bundles" / "actions_app"


@pytest.fixture
def rt(db_url, monkeypatch):
    monkeypatch.setenv("JIMU_EXTRA_ENGINES", "tests.hooks.sample_engine")
    rt = open_runtime(db_url)
    install_bundle(rt, BUNDLE)
    dispatch_pending(rt)  # every handler's cursor starts here
    yield rt
    rt.db.dispose()


def _drain(rt) -> None:
    for _ in range(50):
        if not dispatch_pending(rt):
            return
    raise AssertionError("the outbox never ran dry")


def _chain_stops(rt) -> list[dict]:
    t = rt.db.core["event_log"]
    with rt.connect() as c:
        return [dict(r) for r in c.execute(sa.select(t).where(t.c.kind == "event_chain_stopped")).mappings()]


def test_an_emitted_event_reaches_its_handler_exactly_once(rt):
    from tests.hooks.sample_engine.evt_ping import ping

    with rt.transaction() as c:
        eid = ping(rt, c, app="actions_app", actor=rt.db.system_user_id)
    assert dispatch_pending(rt) == 1
    assert dispatch_pending(rt) == 0  # not twice
    (got,) = rt.settings["sample.pings"]
    assert (got["id"], got["kind"], got["app"], got["depth"], got["payload"]) == (
        eid, "sample.pinged", "actions_app", 0, {"echo": False})


def test_a_rolled_back_transaction_emits_nothing(rt):
    from tests.hooks.sample_engine.evt_ping import ping

    with pytest.raises(RuntimeError):
        with rt.transaction() as c:
            ping(rt, c)
            raise RuntimeError("the caller's write failed")
    assert dispatch_pending(rt) == 0
    assert rt.settings.get("sample.pings", []) == []


def test_a_self_triggering_chain_stops_at_the_limit_with_a_clear_entry(rt):
    from tests.hooks.sample_engine.evt_ping import ping

    rt.settings["event_max_depth"] = 3
    with rt.transaction() as c:
        ping(rt, c, echo=True)
    _drain(rt)
    assert [e["depth"] for e in rt.settings["sample.pings"]] == [0, 1, 2, 3]
    assert [e["cause"] for e in rt.settings["sample.pings"][1:]] == [e["id"] for e in rt.settings["sample.pings"][:-1]]
    (stop,) = _chain_stops(rt)
    assert stop["target"] == "sample.pinged" and stop["detail"]["depth"] == 4 and stop["detail"]["limit"] == 3
    assert "3" in stop["detail"]["message"]["en"]


def test_depth_goes_through_handler_write_and_record_event(rt):
    """A handler that updates the record whose update it handles re-triggers itself: each write's
    event is one deeper; past the limit the write stands but no handler hears of it."""
    rt.settings["event_max_depth"] = 4
    seen: list[dict] = []
    svc = rt.records("actions_app", "work_order")

    def touch(runtime, conn, e):
        seen.append(e)
        n = runtime.records("actions_app", "work_order").reader().get(e["record_id"], conn=conn)["touches"]
        runtime.records("actions_app", "work_order").update(e["record_id"], {"touches": int(n or 0) + 1}, conn=conn)

    rt.event_handlers.subscribe("test.toucher", touch, kinds={"record.created", "record.updated"},
                                app="actions_app", entity="work_order")
    dispatch_pending(rt)
    wo = svc.create({"title": "修空调"})
    _drain(rt)
    assert [e["depth"] for e in seen] == [0, 1, 2, 3, 4]
    assert all(b["cause"] == a["id"] for a, b in zip(seen, seen[1:]))
    # the fifth touch (caused by depth 4) was written, its event (depth 5) kept and handed to no one
    assert svc.reader().get(wo["id"])["touches"] in ("5", 5)
    ev = rt.db.core["event"]
    with rt.connect() as c:
        depths = [d for (d,) in c.execute(sa.select(ev.c.depth).where(ev.c.record_id == wo["id"],
                                                                        ev.c.app == "actions_app")
                                          .order_by(ev.c.id))]
    assert depths == [0, 1, 2, 3, 4, 5]
    (stop,) = _chain_stops(rt)
    assert stop["target"] == "record.updated" and stop["detail"]["record_id"] == wo["id"]


def test_invalid_event_type_is_a_clear_error(rt):
    from engine.errors import JimuError
    from engine.platform.events import emit

    with rt.transaction() as c:
        with pytest.raises(JimuError) as e:
            emit(c, rt, app=None, type="record.created")
    assert e.value.code == "event.E400"
