"""Actions from engines (issue 12 item 8): one registry (set_fields, create_record, notify, and what
engines add), each writing through the record pipeline as a stated actor."""
from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from engine.actions import ActionContext
from engine.errors import Forbidden, JimuError, ValidationFailed
from engine.identity.org import Org
from engine.install import install_bundle
from engine.platform.notifications import list_notifications
from engine.runtime import open_runtime

BUNDLE = Path(__file__).resolve().parent / "bundles" / "actions_app"
APP = "actions_app"


@pytest.fixture
def rt(db_url, monkeypatch):
    monkeypatch.setenv("JIMU_EXTRA_ENGINES", "tests.hooks.sample_engine")
    rt = open_runtime(db_url)
    install_bundle(rt, BUNDLE)
    org = Org(rt, rt.db.system_user_id)
    with rt.transaction() as c:
        rt.settings["users"] = users = {n: org.create_user(c, n, n) for n in ("tech", "biller", "boss")}
        org.assign_role(c, APP, "technician", user_id=users["tech"])
        org.assign_role(c, APP, "billing", user_id=users["biller"])
    yield rt
    rt.db.dispose()


def _order(rt, **extra) -> dict:
    return rt.records(APP, "work_order").create({
        "title": "修空调", "customer": "甲公司", "hours": 0,
        "lines": [{"item": "滤网", "qty": 2, "price": "35.50"}, {"item": "人工", "qty": 1, "price": "120"}],
        **extra})


def _ctx(rt, c, wo, user=None) -> ActionContext:
    return ActionContext.as_user(rt, c, APP, user, entity="work_order", record_id=wo["id"])


def test_set_fields_writes_through_the_pipeline_as_the_system(rt):
    wo = _order(rt)
    with rt.transaction() as c:
        out = rt.actions.run("set_fields", {"values": {"hours": "1.5 + 1", "status": '"done"'}}, _ctx(rt, c, wo))
    assert (out["status"], str(out["hours"])) == ("done", "2.5")
    (entry,) = [h for h in rt.records(APP, "work_order").history(wo["id"]) if h["version"] == 2]
    assert entry["actor"]["id"] == rt.db.system_user_id and set(entry["changes"]) == {"hours", "status"}


def test_set_fields_runs_validations_and_writes_nothing_when_refused(rt):
    wo = _order(rt)
    with pytest.raises(ValidationFailed) as e:
        with rt.transaction() as c:
            rt.actions.run("set_fields", {"values": {"status": '"done"', "customer": '"乙公司"'}}, _ctx(rt, c, wo))
    assert e.value.details[0]["path"] == "hours"
    assert "工时" in e.value.details[0]["message"]["zh"] and "hours" in e.value.details[0]["message"]["en"]
    now = rt.records(APP, "work_order").reader().get(wo["id"])
    assert (now["status"], now["customer"], now["version"]) == ("open", "甲公司", 1)


def test_create_record_copies_sub_table_rows_with_a_mapping(rt):
    wo = _order(rt, hours=3)
    config = {"entity": "invoice", "values": {"title": '"发票：" & title', "work_order": "id", "hours": "hours * 2"},
              "rows": {"from": "lines", "to": "lines",
                       "fields": {"description": "item", "quantity": "qty", "unit_price": "price"}}}
    with rt.transaction() as c:
        inv = rt.actions.run("create_record", config, _ctx(rt, c, wo, rt.settings["users"]["biller"]))
    got = rt.records(APP, "invoice").reader().get(inv["id"])
    assert got["title"] == "发票：修空调" and str(got["hours"]) == "6.0"
    assert got["created_by"] == rt.settings["users"]["biller"]
    assert [(r["description"], int(r["quantity"]), str(r["unit_price"])) for r in got["lines"]] == [
        ("滤网", 2, "35.50"), ("人工", 1, "120.00")]


def test_a_named_user_without_create_permission_is_refused(rt):
    wo = _order(rt)
    config = {"entity": "invoice", "values": {"title": "title"}}
    with pytest.raises(Forbidden) as e:
        with rt.transaction() as c:
            rt.actions.run("create_record", config, _ctx(rt, c, wo, rt.settings["users"]["tech"]))
    assert e.value.status == 403 and e.value.code == "perm.E403"
    inv = rt.table(APP, "invoice")
    with rt.connect() as c:
        assert c.execute(sa.select(sa.func.count()).select_from(inv)).scalar() == 0


def test_notify_reaches_users_by_id_field_and_role(rt):
    from engine.identity.actor import load_actor

    u = rt.settings["users"]
    wo = _order(rt, assignee=u["tech"])
    config = {"to": {"users": [u["boss"]], "field": "assignee", "role": "billing"},
              "title": {"zh": "工单已完成", "en": "Work order done"}}
    with rt.transaction() as c:
        ids = rt.actions.run("notify", config, _ctx(rt, c, wo))
    assert len(ids) == 3
    for name in ("tech", "biller", "boss"):
        (got,) = list_notifications(rt, load_actor(rt, u[name]))["items"]
        assert got["title"] == "工单已完成"
        # the link shows to those who may read the work order (not the boss: no role in the app)
        assert (got["link"] or {}).get("record_id") == (None if name == "boss" else wo["id"])


def test_configs_are_checked_with_every_problem(rt):
    app = rt.app(APP)
    config = {"entity": "invoice", "values": {"nope": "1", "title": "missing_field"},
              "rows": {"from": "lines", "to": "lines", "fields": {"x": "item"}}}
    problems = rt.actions.check("create_record", config, app, "work_order")
    assert {p["path"] for p in problems} == {"values/nope", "values/title", "rows/fields/x"}
    assert all(p["message"]["zh"] and p["message"]["en"] for p in problems)
    assert rt.actions.check("notify", {"to": {}, "title": "x"}, app, "work_order")[0]["code"] == "action.schema"
    assert rt.actions.check("explode", {}, app)[0]["code"] == "action.unknown"
    wo = _order(rt)
    with pytest.raises(JimuError) as e:
        with rt.transaction() as c:
            rt.actions.run("set_fields", {"values": {"hours": "assignee.name"}}, _ctx(rt, c, wo))
    assert e.value.status == 400 and e.value.details[0]["path"] == "values/hours"


def test_an_engine_adds_an_action_through_the_hook(rt):
    wo = _order(rt)
    assert "sample.hello" in rt.actions.names()
    with rt.transaction() as c:
        assert rt.actions.run("sample.hello", {"greeting": "你好"}, _ctx(rt, c, wo)) == "你好, 修空调"


def test_an_action_run_as_a_user_reads_the_record_as_that_user(rt):
    """create_record as a biller, who may not see the work order's customer: the copy is blank, so an
    action never moves a value out of sight of the user it runs as. The system reads everything."""
    wo = _order(rt, hours=1)
    config = {"entity": "invoice", "values": {"title": '"客户：" & customer', "work_order": "id"}}
    with rt.transaction() as c:
        as_biller = rt.actions.run("create_record", config, _ctx(rt, c, wo, rt.settings["users"]["biller"]))
        as_system = rt.actions.run("create_record", config, _ctx(rt, c, wo))
    invoices = rt.records(APP, "invoice").reader()
    assert invoices.get(as_biller["id"])["title"] == "客户："
    assert invoices.get(as_system["id"])["title"] == "客户：甲公司"
