"""Issue 13, `jimu plan`: an installed help desk with records, planned against edited copies of its
bundle. Each kind of change shows as one item compared by identity (fields by name, options by value,
grants per role and entity, a checklist by its paths), with the schema change it implies and what the
database holds; an unchanged bundle plans "unchanged"; planning writes nothing."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa
import yaml

from engine.cli import main as jimu
from engine.install import install_bundle
from engine.lifecycle import plan_bundle
from engine.runtime import open_runtime

BUNDLE = Path(__file__).parent / "bundles" / "helpdesk"
SALES_ERP = Path(__file__).resolve().parents[2] / "apps" / "sales_erp"


@pytest.fixture(autouse=True)
def sample_engine(monkeypatch):
    monkeypatch.setenv("JIMU_EXTRA_ENGINES", "tests.hooks.sample_engine")  # the checklist kind


@pytest.fixture
def rt(db_url):
    rt = open_runtime(db_url)
    install_bundle(rt, BUNDLE)
    clients = rt.records("helpdesk", "client")
    acme = clients.create({"name": "Acme", "fax": "010-1"})["id"]
    clients.create({"name": "Globex"})
    tickets = rt.records("helpdesk", "ticket")
    for i, prio in enumerate(["low", "high", "high"]):
        tickets.create({"subject": f"t{i}", "client": acme, "priority": prio, "hours": str(i + 1)})
    rt.records("helpdesk", "memo").create({"text": "hello"})
    yield rt
    rt.db.dispose()


def variant(tmp_path: Path, edit) -> Path:
    """A copy of the bundle, its documents edited as data (file -> parsed YAML)."""
    root = tmp_path / "helpdesk"
    shutil.copytree(BUNDLE, root)
    docs = {str(p.relative_to(root)): yaml.safe_load(p.read_text(encoding="utf-8")) for p in root.rglob("*.yaml")}
    edit(docs)
    for p in root.rglob("*.yaml"):
        p.unlink()
    for name, doc in docs.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return root


def fields(docs, entity):
    return docs[f"entities/{entity}.yaml"]["fields"]


def field(docs, entity, name):
    return next(f for f in fields(docs, entity) if f["name"] == name)


def item(items, kind, name):
    found = [i for i in items if i.kind == kind and i.name == name]
    assert len(found) == 1, (kind, name, items)
    return found[0]


def test_the_same_bundle_plans_unchanged(rt):
    plan = plan_bundle(rt, BUNDLE)
    assert (plan.action, plan.items, plan.schema) == ("unchanged", [], [])


def test_an_app_not_installed_plans_an_install_of_everything(db_url):
    rt = open_runtime(db_url)
    try:
        plan = plan_bundle(rt, BUNDLE)
    finally:
        rt.db.dispose()
    assert plan.action == "install" and plan.from_version is None
    assert {i.name for i in plan.items if i.kind == "entity"} == {"client", "ticket", "memo"}
    assert all(i.change == "added" for i in plan.items)
    assert item(plan.items, "checklist", "closing").change == "added"
    assert {i.name for i in plan.schema if i.kind == "table"} == {"client", "ticket", "memo"}


def test_field_added_removed_with_data_and_without(rt, tmp_path):
    def edit(d):
        fields(d, "client").append({"name": "vip", "type": "boolean", "label": {"zh": "VIP", "en": "VIP"}})
        d["entities/client.yaml"]["fields"] = [f for f in fields(d, "client") if f["name"] not in ("fax", "city")]
    plan = plan_bundle(rt, variant(tmp_path, edit))
    assert plan.action == "upgrade"
    vip = item(plan.items, "field", "client.vip")
    assert (vip.change, vip.details["type"], vip.loses_data) == ("added", "boolean", False)
    fax = item(plan.items, "field", "client.fax")
    assert (fax.change, fax.loses_data, fax.details["rows"]) == ("removed", True, 1)  # one client has a fax
    city = item(plan.items, "field", "client.city")
    assert (city.change, city.loses_data) == ("removed", False)  # no value anywhere: nothing is lost
    col = item(plan.schema, "column", "client.fax")
    assert (col.change, col.loses_data, col.details["rows"], col.details["non_null"]) == ("removed", True, 2, 1)
    assert item(plan.schema, "column", "client.vip").change == "added"
    assert plan.loses_data


def test_a_field_renamed_with_renamed_from_is_a_rename_not_a_drop(rt, tmp_path):
    def edit(d):
        f = field(d, "client", "fax")
        f.update({"name": "fax_number", "renamed_from": "fax"})
    plan = plan_bundle(rt, variant(tmp_path, edit))
    renamed = item(plan.items, "field", "client.fax_number")
    assert (renamed.change, renamed.details["renamed_from"], renamed.loses_data) == ("renamed", "fax", False)
    assert not [i for i in plan.items if i.change == "removed"]
    col = item(plan.schema, "column", "client.fax_number")
    assert (col.change, col.details["from_column"]) == ("renamed", "fax")
    assert not plan.loses_data


def test_renamed_from_a_name_not_installed_is_an_addition(rt, tmp_path):
    def edit(d):
        fields(d, "client").append({"name": "mobile", "renamed_from": "phone", "type": "text",
                                    "label": {"zh": "手机", "en": "Mobile"}})
    plan = plan_bundle(rt, variant(tmp_path, edit))
    assert item(plan.items, "field", "client.mobile").change == "added"


def test_type_change_is_a_conversion_and_options_compare_by_value(rt, tmp_path):
    def edit(d):
        field(d, "ticket", "hours").update({"type": "number", "precision": 1})
        prio = field(d, "ticket", "priority")
        prio["options"] = [o for o in prio["options"] if o["value"] != "high"] + [
            {"value": "urgent", "label": {"zh": "紧急", "en": "Urgent"}}]
        prio["options"][0]["label"] = {"zh": "较低", "en": "Lower"}
    plan = plan_bundle(rt, variant(tmp_path, edit))
    hours = item(plan.items, "field", "ticket.hours")
    assert hours.change == "changed" and hours.details["from"]["type"] == "text"
    assert hours.details["to"]["type"] == "number"
    conv = item(plan.schema, "column", "ticket.hours")
    assert conv.details["conversion"] is True and conv.details["non_null"] == 3
    assert (conv.details["from_type"], conv.details["to_type"]) == ("text", "number")
    prio = item(plan.items, "field", "ticket.priority")
    assert prio.details["options"] == {"added": ["urgent"], "removed": ["high"], "relabelled": ["low"]}
    assert prio.details["rows_with_removed_options"] == {"high": 2}


def test_a_required_field_on_a_table_with_rows_needs_a_default(rt, tmp_path):
    def edit(d):
        fields(d, "ticket").append({"name": "channel", "type": "text", "label": {"zh": "渠道", "en": "Channel"},
                                    "required": True})
        fields(d, "ticket").append({"name": "source", "type": "text", "label": {"zh": "来源", "en": "Source"},
                                    "required": True, "default": "web"})
        field(d, "client", "city")["required"] = True
    plan = plan_bundle(rt, variant(tmp_path, edit))
    assert item(plan.schema, "column", "ticket.channel").details["needs_default"] is True
    assert "needs_default" not in item(plan.schema, "column", "ticket.source").details
    city = item(plan.schema, "column", "client.city")
    assert (city.details["needs_default"], city.details["empty_rows"]) == (True, 2)
    assert item(plan.items, "field", "client.city").details["changed"] == ["required"]


def test_entity_added_and_removed_with_its_rows(rt, tmp_path):
    def edit(d):
        del d["entities/memo.yaml"]
        del d["roles.yaml"]["roles"]["supervisor"]["entities"]["memo"]
        d["entities/site.yaml"] = {"entity": "site", "label": {"zh": "站点", "en": "Site"},
                                   "fields": [{"name": "name", "type": "text", "label": {"zh": "名称", "en": "Name"}}]}
    plan = plan_bundle(rt, variant(tmp_path, edit))
    assert item(plan.items, "entity", "site").change == "added"
    memo = item(plan.items, "entity", "memo")
    assert (memo.change, memo.loses_data, memo.details["rows"]) == ("removed", True, 1)
    assert item(plan.schema, "table", "site").change == "added"
    assert item(plan.schema, "table", "memo").loses_data
    assert item(plan.items, "grant", "supervisor.memo").change == "removed"


def test_role_grant_changed_names_the_keys(rt, tmp_path):
    def edit(d):
        d["roles.yaml"]["roles"]["agent"]["entities"]["ticket"] = {"create": True, "read": "all", "update": "own",
                                                                    "export": True}
    plan = plan_bundle(rt, variant(tmp_path, edit))
    g = item(plan.items, "grant", "agent.ticket")
    assert g.change == "changed" and g.details["changed"] == ["export", "read"]
    assert g.details["from"] == {"export": None, "read": "own"} and g.details["to"] == {"export": True, "read": "all"}
    assert plan.schema == []


def test_a_checklist_changed_names_the_paths(rt, tmp_path):
    def edit(d):
        d["checklists/closing.yaml"]["items"][1]["label"] = {"zh": "备注", "en": "Notes"}
    plan = plan_bundle(rt, variant(tmp_path, edit))
    c = item(plan.items, "checklist", "closing")
    assert c.change == "changed" and c.details["paths"] == ["items[1].label"]
    from engine.lifecycle.plan_cli import render

    assert "检查清单 / Checklists:\n  ~ checklist closing: items[1].label" in render(plan)


def test_plan_touches_nothing(rt, tmp_path):
    def edit(d):
        del d["entities/memo.yaml"]
        del d["roles.yaml"]["roles"]["supervisor"]["entities"]["memo"]
        field(d, "ticket", "hours")["type"] = "number"
    snapshot = lambda: _snapshot(rt)  # noqa: E731
    before = snapshot()
    plan_bundle(rt, variant(tmp_path, edit))
    assert snapshot() == before


def _snapshot(rt):
    with rt.connect() as c:
        names = sorted(sa.inspect(c).get_table_names())
        counts = {n: c.execute(sa.text(f'SELECT count(*) FROM "{n}"')).scalar_one() for n in names}
        d = rt.db.core["definition"]
        defs = sorted((r.app, r.kind, r.name, r.hash, r.current_version) for r in c.execute(sa.select(d)))
        cols = {n: sorted(col["name"] for col in sa.inspect(c).get_columns(n)) for n in names}
    return names, counts, defs, cols


def test_the_sales_erp_with_demo_data_plans_unchanged_against_itself(db_url):
    rt = open_runtime(db_url)
    try:
        install_bundle(rt, SALES_ERP, demo=True)
        before = _snapshot(rt)
        plan = plan_bundle(rt, SALES_ERP)
        assert (plan.action, plan.items, plan.schema) == ("unchanged", [], [])
        assert _snapshot(rt) == before
    finally:
        rt.db.dispose()


def test_cli_json_and_text(rt, tmp_path, db_url, capsys):
    def edit(d):
        fields(d, "client").append({"name": "vip", "type": "boolean", "label": {"zh": "VIP", "en": "VIP"}})
        d["entities/client.yaml"]["fields"] = [f for f in fields(d, "client") if f["name"] != "fax"]
        d["app.yaml"]["version"] = "1.1.0"
    path = variant(tmp_path, edit)
    assert jimu(["plan", str(path), "--db", db_url, "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert (out["app"], out["action"], out["from_version"], out["to_version"]) == ("helpdesk", "upgrade", "1.0.0",
                                                                                   "1.1.0")
    assert {"kind": "field", "name": "client.vip", "path": "entities/client/fields/vip", "change": "added",
            "details": {"type": "boolean", "required": False}, "loses_data": False} in out["items"]
    assert set(out["items"][0]) == {"kind", "name", "path", "change", "details", "loses_data"}
    assert out["loses_data"] is True
    assert jimu(["plan", str(path), "--db", db_url]) == 0
    text = capsys.readouterr().out
    assert "+ field client.vip (boolean)" in text
    assert "- field client.fax — holds data in 1 rows" in text
    assert "~ app helpdesk: version 1.0.0 → 1.1.0" in text
    assert jimu(["plan", str(BUNDLE), "--db", db_url]) == 0
    assert "unchanged" in capsys.readouterr().out


def test_cli_bundle_errors_and_bad_database(rt, tmp_path, db_url, capsys):
    def edit(d):
        field(d, "ticket", "priority")["default"] = "nope"
    assert jimu(["plan", str(variant(tmp_path, edit)), "--db", db_url]) == 1
    res = capsys.readouterr()
    assert "entities/ticket.yaml" in res.out and "1 error" in res.err
    assert jimu(["plan", str(BUNDLE), "--db", "postgresql://nobody@127.0.0.1:1/none"]) == 1
    res = capsys.readouterr()
    assert "plan.E001" in res.err and "cannot open the database" in res.err and "Traceback" not in res.err


def test_options_line_in_text(rt, tmp_path):
    from engine.lifecycle.plan_cli import render

    def edit(d):
        field(d, "ticket", "priority")["options"].append({"value": "D", "label": {"zh": "D", "en": "D"}})
    text = render(plan_bundle(rt, variant(tmp_path, edit)))
    assert "~ field ticket.priority: options +D" in text


def test_an_entity_renamed_with_renamed_from_keeps_its_rows(rt, tmp_path):
    def edit(d):
        memo = d.pop("entities/memo.yaml")
        memo.update({"entity": "note", "renamed_from": "memo"})
        d["entities/note.yaml"] = memo
        grants = d["roles.yaml"]["roles"]["supervisor"]["entities"]
        grants["note"] = grants.pop("memo")
    plan = plan_bundle(rt, variant(tmp_path, edit))
    note = item(plan.items, "entity", "note")
    assert (note.change, note.details["renamed_from"], note.loses_data) == ("renamed", "memo", False)
    table = item(plan.schema, "table", "note")
    assert (table.change, table.details["renamed_from"], table.details["rows"]) == ("renamed", "memo", 1)
    assert not plan.loses_data and not [i for i in plan.schema if i.kind == "column"]


def test_sales_erp_print_template_and_sub_table_fields(db_url, tmp_path):
    rt = open_runtime(db_url)
    try:
        install_bundle(rt, SALES_ERP, demo=True)
        root = tmp_path / "sales_erp"
        shutil.copytree(SALES_ERP, root)
        quote = root / "entities" / "quote.yaml"
        doc = yaml.safe_load(quote.read_text(encoding="utf-8"))
        doc["print_templates"][0]["label"] = {"zh": "报价单（新）", "en": "Quotation (new)"}
        lines = next(f for f in doc["fields"] if f["name"] == "lines")
        lines["fields"] = [f for f in lines["fields"] if f["name"] != "description"]
        quote.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
        demo = root / "seed" / "demo.yaml"  # its quote lines no longer have a description
        seeds = yaml.safe_load(demo.read_text(encoding="utf-8"))
        for q in seeds["records"].get("quote") or ():
            for line in q.get("lines") or ():
                line.pop("description", None)
        demo.write_text(yaml.safe_dump(seeds, allow_unicode=True, sort_keys=False), encoding="utf-8")
        plan = plan_bundle(rt, root)
    finally:
        rt.db.dispose()
    t = item(plan.items, "print_template", "quote.quotation")
    assert t.change == "changed" and t.details["changed"] == ["label"]
    gone = item(plan.items, "field", "quote.lines.description")
    assert (gone.change, gone.loses_data, gone.details["rows"]) == ("removed", True, 2)
    col = item(plan.schema, "column", "quote.lines.description")
    assert (col.change, col.details["non_null"]) == ("removed", 2)


def test_cli_plan_for_a_database_file_not_made_yet_creates_no_file(tmp_path, capsys):
    db = tmp_path / "none" / "jimu.db"
    assert jimu(["plan", str(BUNDLE), "--db", f"sqlite:///{db}", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["action"] == "install" and out["from_version"] is None
    assert not db.exists() and not db.parent.exists()
