"""An upgrade renames entity ``deal`` to ``agreement`` and some of its fields (``amount`` -> ``total``,
the state field ``status`` -> ``stage``, the autonumber ``number`` -> ``ref_no``, the sub-table column
``lines.qty`` -> ``lines.quantity``) and ``customer.code`` -> ``ref``. follow_renames, in the
upgrade's transaction, must move every platform row keyed by those names — audit, events, comments,
to-dos, notifications, saved views (filters through relations, sort, columns), jobs, event log, and
the form engine's state entries, files and counters — and nothing else: ``amount_due`` beside
``amount``, ``customer.amount`` (same name, other entity) and the same app installed under another
name keep theirs. A failure later in the transaction takes it all back."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa
import yaml

from engine.identity.actor import system_actor
from engine.install import install_bundle
from engine.lifecycle.renames import follow_renames
from engine.platform import comments, events, saved_views, todos
from engine.platform.jobs import schedule_job
from engine.platform.notifications import notify
from engine.runtime import open_runtime

CUSTOMER = {"entity": "customer", "label": {"zh": "客户", "en": "Customer"}, "title": "{name}", "fields": [
    {"name": "name", "type": "text", "label": {"zh": "名称", "en": "Name"}, "required": True},
    {"name": "code", "type": "text", "label": {"zh": "编码", "en": "Code"}},
    {"name": "amount", "type": "number", "label": {"zh": "额度", "en": "Amount"}},
]}
DEAL = {"entity": "deal", "label": {"zh": "交易", "en": "Deal"}, "title": "{subject}", "fields": [
    {"name": "number", "type": "autonumber", "pattern": "D-{seq:3}", "label": {"zh": "编号", "en": "Number"}},
    {"name": "subject", "type": "text", "label": {"zh": "主题", "en": "Subject"}, "required": True},
    {"name": "customer", "type": "relation", "to": "customer", "label": {"zh": "客户", "en": "Customer"}},
    {"name": "amount", "type": "number", "label": {"zh": "金额", "en": "Amount"}},
    {"name": "amount_due", "type": "number", "label": {"zh": "应收", "en": "Due"}},
    {"name": "status", "type": "select", "label": {"zh": "状态", "en": "Status"}, "default": "open",
     "options": [{"value": "open", "label": {"zh": "开", "en": "Open"}},
                 {"value": "won", "label": {"zh": "成", "en": "Won"}}],
     "transitions": {"initial": ["open"], "open": ["won"]}},
    {"name": "lines", "type": "subtable", "label": {"zh": "明细", "en": "Lines"}, "fields": [
        {"name": "qty", "type": "number", "label": {"zh": "数量", "en": "Qty"}},
        {"name": "note", "type": "text", "label": {"zh": "备注", "en": "Note"}}]},
    {"name": "doc", "type": "attachment", "label": {"zh": "文档", "en": "Document"}},
]}

ENTITIES = {"deal": "agreement"}
FIELDS = {"agreement": {"amount": "total", "status": "stage", "number": "ref_no", "lines.qty": "lines.quantity"},
          "customer": {"code": "ref"}}


def _bundle(root: Path, app: str) -> Path:
    (root / "entities").mkdir(parents=True)
    (root / "app.yaml").write_text(yaml.safe_dump({"app": app, "version": "1.0.0",
                                                   "label": {"zh": "店", "en": "Shop"}}), encoding="utf-8")
    for doc in (CUSTOMER, DEAL):
        (root / "entities" / f"{doc['entity']}.yaml").write_text(yaml.safe_dump(doc, allow_unicode=True),
                                                                 encoding="utf-8")
    return root


def _populate(rt, app: str, tmp_path: Path) -> dict:
    """Records, updates, a state change, a comment, a to-do, a notification, a saved view, a file, an
    engine event, a job and an export's event-log entry: everything that keys rows by name."""
    from engine.identity.event_log import log_event
    from forms.attachments.storage import new_file_id

    actor = system_actor(rt)
    cust = rt.records(app, "customer").create({"name": "Acme", "code": "C1", "amount": 5})["id"]
    deals = rt.records(app, "deal")
    d1 = deals.create({"subject": "one", "customer": cust, "amount": 10, "amount_due": 3,
                       "lines": [{"qty": 2, "note": "a"}]})["id"]
    deals.update(d1, {"amount": 12, "amount_due": 4, "status": "won", "lines": [{"qty": 5, "note": "b"}]})
    deals.create({"subject": "two", "amount": 1})
    comments.post_comment(rt, actor, app, "deal", d1, {"body": "look at amount"})
    view = saved_views.create_view(rt, actor, {
        "app": app, "entity": "deal", "name": "big",
        "filters": {"amount": {"gte": "10.5"}, "amount_due": {"gte": 1}, "customer.code": "C1",
                    "customer.amount": {"gte": 1}},
        "sort": ["-amount", "customer.code", "amount_due"], "columns": ["number", "amount", "amount_due"]})
    cview = saved_views.create_view(rt, actor, {"app": app, "entity": "customer", "name": "codes",
                                                "filters": {"code": "C1"}, "sort": ["code"],
                                                "columns": ["code", "amount"]})
    fid = new_file_id()
    with rt.transaction() as c:
        todos.create_todo(rt, c, actor, {"title": "call", "assignee_id": actor.user_id,
                                         "link": {"app": app, "entity": "deal", "record_id": d1}})
        notify(rt, c, actor.user_id, "test", "hello", link=(app, "deal", d1))
        c.execute(rt.db.core["file"].insert().values(
            id=fid, name="a.pdf", size=1, content_type="application/pdf", sha256="0" * 64,
            uploaded_by=actor.user_id, uploaded_at=rt.clock(), app=app, entity="deal", field="doc", record_id=d1))
        events.emit(c, rt, app=app, type="test.noted", entity="deal", record_id=d1,
                    payload={"field": "amount", "changes": {"amount": [10, 12], "amount_due": [3, 4]}})
        events.emit(c, rt, app=app, type="test.about", payload={"entity": "deal", "field": "amount_due"})
        schedule_job(rt, c, "test.job", payload={"app": app, "entity": "deal", "fields": ["amount", "amount_due"]})
        log_event(rt, c, "export", actor=actor.user_id, target=f"entity:{app}.deal",
                  detail={"app": app, "entity": "deal", "filter": {"amount": {"gte": 1}}, "sort": ["-amount"]})
        log_event(rt, c, "print", actor=actor.user_id, target=f"record:{app}.deal.{d1}",
                  detail={"app": app, "entity": "deal", "record": d1})
    return {"deal": d1, "view": view["id"], "customer_view": cview["id"], "file": fid}


@pytest.fixture
def rt(db_url, tmp_path, monkeypatch):
    monkeypatch.setenv("JIMU_EXTRA_ENGINES", "tests.hooks.sample_engine")  # the hook reaches every engine
    rt = open_runtime(db_url)
    rt.settings["files_dir"] = str(tmp_path / "files")
    for app in ("shop", "shop2"):
        install_bundle(rt, _bundle(tmp_path / app, app))
    rt.ids = {app: _populate(rt, app, tmp_path) for app in ("shop", "shop2")}
    yield rt
    rt.db.dispose()


def _snapshot(rt) -> dict:
    """Every platform row the renames may touch, as JSON-comparable data."""
    core = rt.db.core
    out = {}
    with rt.connect() as c:
        for key in ("audit", "event", "comment", "todo", "notification", "saved_view", "job", "event_log",
                    "state_entry", "file", "counter"):
            t = core[key]
            cols = [col for col in t.c if col.name not in ("xact",)]
            rows = c.execute(sa.select(*cols).order_by(*t.primary_key.columns)).mappings().all()
            out[key] = [json.loads(json.dumps(dict(r), sort_keys=True, default=str)) for r in rows]
    return out


def _rows(snap, key, **where):
    return [r for r in snap[key] if all(r.get(k) == v for k, v in where.items())]


def test_every_row_keyed_by_a_renamed_name_follows_and_nothing_else(rt):
    from tests.hooks.sample_engine.renames_seen import SEEN

    before = _snapshot(rt)
    SEEN.clear()
    with rt.transaction() as conn:
        counts = follow_renames(rt, conn, "shop", ENTITIES, FIELDS)
    after = _snapshot(rt)
    d1 = rt.ids["shop"]["deal"]

    # the other app, with the same entity and field names, is untouched, row for row
    for key in ("audit", "event", "comment", "todo", "notification", "saved_view", "state_entry", "file", "counter"):
        assert _rows(after, key, app="shop2") == _rows(before, key, app="shop2"), key
    assert not _rows(after, "audit", app="shop", entity="deal")
    assert not _rows(after, "event", app="shop", entity="deal")

    # audit: the entity, the renamed keys of changes, sub-table rows by column; amount_due unchanged
    updated = [r for r in _rows(after, "audit", app="shop", entity="agreement") if r["action"] == "update"
               and r["record_id"] == d1][0]
    ch = updated["changes"]
    assert "amount" not in ch and {"total", "amount_due", "stage", "lines"} <= set(ch)
    row = ch["lines"][1][0]  # the new rows of the sub-table
    assert float(row["quantity"]) == 5 and "qty" not in row and row["note"] == "b"
    created = [r for r in _rows(after, "audit", app="shop", entity="agreement") if r["action"] == "create"
               and r["record_id"] == d1][0]
    assert created["changes"]["ref_no"][1] == "D-001" and "number" not in created["changes"]
    cust_audit = _rows(after, "audit", app="shop", entity="customer")[0]["changes"]
    assert "ref" in cust_audit and "code" not in cust_audit and "amount" in cust_audit  # customer.amount stays

    # the outbox: record events follow their audit entry; the engine event's payload is renamed
    noted = _rows(after, "event", app="shop", kind="test.noted")[0]
    assert noted["entity"] == "agreement"
    assert noted["payload"] == {"field": "total", "changes": {"total": [10, 12], "amount_due": [3, 4]}}
    about = _rows(after, "event", app="shop", kind="test.about")[0]
    assert (about["entity"], about["payload"]) == (None, {"entity": "agreement", "field": "amount_due"})
    assert {e["entity"] for e in _rows(after, "event", app="shop")} == {"customer", "agreement", None}

    # record links: comment, to-do, notification
    for key in ("comment", "todo", "notification"):
        assert [r["entity"] for r in _rows(after, key, app="shop")] == ["agreement"], key

    # saved views: filters (with their exact decimal), sort and columns, through the relation too
    view = [v for v in after["saved_view"] if v["id"] == rt.ids["shop"]["view"]][0]
    assert view["entity"] == "agreement"
    assert json.loads(view["filters"]) == {"total": {"gte": "10.5"}, "amount_due": {"gte": 1}, "customer.ref": "C1",
                                           "customer.amount": {"gte": 1}}
    assert view["sort"] == ["-total", "customer.ref", "amount_due"]
    assert view["columns"] == ["ref_no", "total", "amount_due"]
    cview = [v for v in after["saved_view"] if v["id"] == rt.ids["shop"]["customer_view"]][0]
    assert (json.loads(cview["filters"]), cview["sort"], cview["columns"]) == (
        {"ref": "C1"}, ["ref"], ["ref", "amount"])

    # the form engine's tables: state entries, files, the autonumber's counter
    assert [(r["entity"], r["field"]) for r in _rows(after, "state_entry", app="shop")] == [("agreement", "stage")] * 3
    assert [(r["entity"], r["field"]) for r in _rows(after, "file", app="shop")] == [("agreement", "doc")]
    assert [(r["entity"], r["field"], r["value"]) for r in _rows(after, "counter", app="shop")] == [
        ("agreement", "ref_no", 2)]

    # jobs and the event log
    job = [j for j in after["job"] if j["handler"] == "test.job" and j["payload"]["app"] == "shop"][0]
    assert job["payload"] == {"app": "shop", "entity": "agreement", "fields": ["total", "amount_due"]}
    other_job = [j for j in after["job"] if j["handler"] == "test.job" and j["payload"]["app"] == "shop2"][0]
    assert other_job["payload"]["fields"] == ["amount", "amount_due"]
    log = {r["kind"]: r for r in after["event_log"] if (r["detail"] or {}).get("app") == "shop"}
    assert log["export"]["target"] == "entity:shop.agreement"
    assert log["export"]["detail"]["filter"] == {"total": {"gte": 1}} and log["export"]["detail"]["sort"] == ["-total"]
    assert log["print"]["target"] == f"record:shop.agreement.{d1}"
    assert [r["target"] for r in after["event_log"] if (r["detail"] or {}).get("app") == "shop2"] == [
        "entity:shop2.deal", f"record:shop2.deal.{rt.ids['shop2']['deal']}"]

    # the report counts what changed, and the engines were handed the renames
    assert counts == {"jimu_audit": 4, "jimu_event": 5, "jimu_saved_view": 2, "jimu_job": 1, "jimu_event_log": 2,
                      "jimu_todo": 1, "jimu_notification": 1, "jimu_comment": 1, "jimu_state_entry": 3,
                      "jimu_file": 1, "jimu_counter": 1}
    assert SEEN == [("shop", ENTITIES, FIELDS)]
    # rows that name nothing renamed are as they were: every changed row is one the counts speak of
    changed = sum(1 for key in before for a, b in zip(before[key], after[key]) if a != b)
    assert changed == sum(counts.values())


def test_a_failure_after_follow_renames_takes_everything_back(rt):
    before = _snapshot(rt)
    with pytest.raises(RuntimeError, match="later step"):
        with rt.transaction() as conn:
            assert follow_renames(rt, conn, "shop", ENTITIES, FIELDS)["jimu_audit"] == 4
            raise RuntimeError("a later step of the upgrade failed")
    assert _snapshot(rt) == before


def test_two_entities_swapping_names_each_take_the_others(rt):
    """Rows are rewritten from what they said before, never one rename after another: the former deal
    (now "customer") renames its ``amount``; the former customer (now "deal") keeps its own."""
    swap = {"deal": "customer", "customer": "deal"}
    with rt.transaction() as conn:
        counts = follow_renames(rt, conn, "shop", swap, {"customer": {"amount": "total", "status": "stage"}})
    after = _snapshot(rt)
    assert counts["jimu_counter"] == 1 and counts["jimu_saved_view"] == 2
    assert [r["entity"] for r in _rows(after, "comment", app="shop")] == ["customer"]
    assert [(r["entity"], r["field"]) for r in _rows(after, "counter", app="shop")] == [("customer", "number")]
    views = {v["name"]: v["entity"] for v in _rows(after, "saved_view", app="shop")}
    assert views == {"big": "customer", "codes": "deal"}
    audit = _rows(after, "audit", app="shop")
    assert sorted((r["entity"], r["action"]) for r in audit) == [
        ("customer", "create"), ("customer", "create"), ("customer", "update"), ("deal", "create")]
    assert all("total" in r["changes"] and "amount" not in r["changes"] for r in audit if r["entity"] == "customer")
    assert [sorted(r["changes"]) for r in audit if r["entity"] == "deal"] == [["amount", "code", "name"]]
    assert {(r["entity"], r["field"]) for r in _rows(after, "state_entry", app="shop")} == {("customer", "stage")}
    noted = _rows(after, "event", app="shop", kind="test.noted")[0]
    assert (noted["entity"], noted["payload"]["field"]) == ("customer", "total")
