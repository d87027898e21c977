"""Issue 13, the migrating upgrade: the demo sales ERP, installed once per database with its demo
data, upgraded step by step through every kind of change `jimu install` applies. After each step every
row of the app is compared with what it held before (exactly, but for what the change says), and the
app still works (a record written and read through the record service). A refused upgrade leaves the
whole database — tables, columns, indexes, every row of every table, definitions and versions —
exactly as it was. The tests of this module run in order on one database."""
from __future__ import annotations

import copy
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from engine.cli import main as jimu
from engine.errors import JimuError
from engine.install import install_bundle
from engine.lifecycle.backups import list_backups
from engine.lifecycle.migrate_values import UpgradeOptions
from engine.runtime import open_runtime
from tests.lifecycle.migrate.state import copy_bundle, edit, field, records, snapshot

SALES_ERP = Path(__file__).resolve().parents[3] / "apps" / "sales_erp"
APP = "sales_erp"


@pytest.fixture(scope="module")
def erp(module_db, tmp_path_factory):
    rt = open_runtime(module_db)
    install_bundle(rt, SALES_ERP, demo=True)
    bundle = copy_bundle(SALES_ERP, tmp_path_factory.mktemp("bundle") / "sales_erp")
    yield SimpleNamespace(rt=rt, bundle=bundle, url=module_db)
    rt.db.dispose()


def upgrade(erp, change=None, **options):
    if change is not None:
        edit(erp.bundle, change)
    return install_bundle(erp.rt, erp.bundle, options=UpgradeOptions(**options))


def refused(erp, change=None, **options) -> list[dict]:
    """The upgrade is refused (install.E007) and the database and the running app are as they were."""
    before, app = snapshot(erp.rt), erp.rt.apps[APP].compiled
    with pytest.raises(JimuError) as e:
        upgrade(erp, change, **options)
    assert (e.value.code, e.value.status) == ("install.E007", 409)
    assert snapshot(erp.rt) == before
    assert erp.rt.apps[APP].compiled is app
    return e.value.details


def by_id(rows: dict[int, dict], column: str) -> dict[int, object]:
    return {i: r[column] for i, r in rows.items()}


def drop_from_layout(entity_doc: dict, name: str) -> None:
    for s in (entity_doc.get("layout") or {}).get("sections") or ():
        s["fields"] = [f for f in s["fields"] if f != name]


def test_a_label_edit_stores_a_new_version_and_touches_no_table(erp):
    before = snapshot(erp.rt)[0], records(erp.rt, APP)

    def relabel(d):
        d["entities/customer.yaml"]["label"]["zh"] = "客户档案"
        field(d, "customer", "address")["label"]["en"] = "Street address"

    res = upgrade(erp, relabel)
    assert res.status == "upgraded" and res.versions == [("entity", "customer", 2)]
    assert (snapshot(erp.rt)[0], records(erp.rt, APP)) == before
    assert erp.rt.app(APP).entity("customer").label["zh"] == "客户档案"


def test_a_new_field_adds_an_empty_column_and_the_app_uses_it(erp):
    before = records(erp.rt, APP)
    upgrade(erp, lambda d: d["entities/customer.yaml"]["fields"].append(
        {"name": "website", "type": "url", "label": {"zh": "网站", "en": "Website"}}))
    expected = copy.deepcopy(before)
    for r in expected["customer"].values():
        r["website"] = None
    assert records(erp.rt, APP) == expected
    made = erp.rt.records(APP, "customer").create({"name": "新客户", "website": "https://example.com"})
    assert erp.rt.records(APP, "customer").reader().get(made["id"])["website"] == "https://example.com"


def test_a_required_field_without_default_is_refused_until_filled(erp):
    brand = {"name": "brand", "type": "text", "label": {"zh": "品牌", "en": "Brand"}, "required": True}
    def add(d):
        d["entities/product.yaml"]["fields"].append(brand)
        for r in d["seed/demo.yaml"]["records"]["product"]:  # a fresh install's seeds need one too
            r["brand"] = "积木"

    details = refused(erp, add)
    assert [(p["code"], p["path"], p["rows"]) for p in details] == [("migrate.E003", "product.brand", 6)]
    before = records(erp.rt, APP)
    res = upgrade(erp, fills={"product.brand": "积木"})
    assert res.migration.filled == {"product.brand": 6}
    expected = copy.deepcopy(before)
    for r in expected["product"].values():
        r["brand"] = "积木"
    assert records(erp.rt, APP) == expected


def test_a_required_field_with_a_default_gives_old_rows_the_default(erp):
    before = records(erp.rt, APP)
    tier = {"name": "tier", "type": "select", "label": {"zh": "层级", "en": "Tier"}, "required": True,
            "default": "std", "options": [{"value": "std", "label": {"zh": "普通", "en": "Standard"}},
                                          {"value": "key", "label": {"zh": "关键", "en": "Key"}}]}
    upgrade(erp, lambda d: d["entities/contact.yaml"]["fields"].append(tier))
    after = records(erp.rt, APP)
    assert set(by_id(after["contact"], "tier").values()) == {"std"} and len(after["contact"]) == 6
    assert {i: {k: v for k, v in r.items() if k != "tier"} for i, r in after["contact"].items()} == before["contact"]


def test_a_field_made_required_is_refused_for_its_blank_rows_until_filled(erp):
    def require_email(d):
        field(d, "contact", "email")["required"] = True
        for r in d["seed/demo.yaml"]["records"]["contact"]:
            r.setdefault("email", "someone@example.com")

    [p] = refused(erp, require_email)
    assert (p["code"], p["path"], p["rows"]) == ("migrate.E003", "contact.email", 1)
    [p] = refused(erp, fills={"contact.email": "blank"})
    assert p["code"] == "migrate.E006" and "required" in p["message"]["en"]
    [p] = refused(erp, fills={"contact.email": "x" * 200})  # longer than the field takes
    assert p["code"] == "migrate.E006" and "128" in p["message"]["en"]
    [p] = refused(erp, fills={"contact.email": "a@b.cn", "nobody.nothing": "1"})  # a typo is no silent no-op
    assert (p["code"], p["message"]["en"]) == ("migrate.E006", "--fill nobody.nothing: no such field")
    before = records(erp.rt, APP)
    res = upgrade(erp, fills={"contact.email": "unknown@example.com"})
    assert res.migration.filled == {"contact.email": 1}
    expected = copy.deepcopy(before)
    for r in expected["contact"].values():
        r["email"] = r["email"] or "unknown@example.com"
    assert records(erp.rt, APP) == expected


def test_malformed_flags_are_refused_before_the_database_is_opened(erp, capsys):
    before = snapshot(erp.rt)
    assert jimu(["install", str(erp.bundle), "--db", erp.url, "--fill", "email"]) == 2
    assert jimu(["install", str(erp.bundle), "--db", erp.url, "--map-option", "customer.level=C"]) == 2
    err = capsys.readouterr().err
    assert "--fill takes ENTITY.FIELD=VALUE" in err and "--map-option takes ENTITY.FIELD:OLD=NEW" in err
    assert snapshot(erp.rt) == before


def test_an_empty_field_is_removed_without_asking(erp):
    before = records(erp.rt, APP)
    assert set(by_id(before["lead"], "notes").values()) == {None}

    def drop_notes(d):
        lead = d["entities/lead.yaml"]
        lead["fields"] = [f for f in lead["fields"] if f["name"] != "notes"]
        drop_from_layout(lead, "notes")

    upgrade(erp, drop_notes)
    expected = copy.deepcopy(before)
    for r in expected["lead"].values():
        del r["notes"]
    assert records(erp.rt, APP) == expected
    assert list_backups(erp.rt, APP) == []


def test_a_field_holding_data_is_removed_only_with_allow_data_loss_and_kept_in_a_backup(erp, capsys):
    def drop_address(d):
        customer = d["entities/customer.yaml"]
        customer["fields"] = [f for f in customer["fields"] if f["name"] != "address"]
        drop_from_layout(customer, "address")
        for r in d["seed/demo.yaml"]["records"]["customer"]:
            r.pop("address", None)

    details = refused(erp, drop_address)
    assert [(p["code"], p["path"], p["rows"]) for p in details] == [("migrate.E001", "customer.address", 5)]
    from engine.lifecycle.plan import plan_bundle
    from engine.lifecycle.plan_cli import render

    assert "kept in backup with --allow-data-loss" in render(plan_bundle(erp.rt, erp.bundle))

    before = records(erp.rt, APP)
    res = upgrade(erp, allow_data_loss=True)
    [kept] = res.migration.backups
    assert (kept["entity"], kept["field"], kept["rows"]) == ("customer", "address", 5)
    with erp.rt.db.engine.connect() as c:
        held = dict(c.exec_driver_sql(f"SELECT record_id, value FROM {kept['table']}").all())
    assert held == {i: v for i, v in by_id(before["customer"], "address").items() if v is not None}
    expected = copy.deepcopy(before)
    for r in expected["customer"].values():
        del r["address"]
    assert records(erp.rt, APP) == expected

    [listed] = list_backups(erp.rt, APP)
    assert (listed["table_name"], listed["rows"], listed["field"]) == (kept["table"], 5, "address")
    assert listed["plan"]["definition"]["name"] == "address" and listed["plan"]["to_version"] == "0.1.0"
    assert jimu(["backups", APP, "--db", erp.url]) == 0
    assert kept["table"] in capsys.readouterr().out
    assert jimu(["backups", "--purge", str(kept["id"]), "--db", erp.url]) == 0
    assert list_backups(erp.rt, APP) == [] and kept["table"] not in sa.inspect(erp.rt.db.engine).get_table_names()
    assert jimu(["backups", "--purge", str(kept["id"]), "--db", erp.url]) == 1
    assert "backup.E404" in capsys.readouterr().err


def test_a_renamed_field_keeps_its_values(erp):
    before = records(erp.rt, APP)

    def rename(d):
        customer = d["entities/customer.yaml"]
        f = field(d, "customer", "phone")
        f["name"], f["renamed_from"] = "tel", "phone"
        customer["searchable"] = ["tel" if s == "phone" else s for s in customer["searchable"]]
        for s in customer["layout"]["sections"]:
            s["fields"] = ["tel" if x == "phone" else x for x in s["fields"]]
        for r in d["seed/demo.yaml"]["records"]["customer"]:
            r["tel"] = r.pop("phone")

    res = upgrade(erp, rename)
    expected = copy.deepcopy(before)
    for r in expected["customer"].values():
        r["tel"] = r.pop("phone")
    assert records(erp.rt, APP) == expected
    # what the platform keyed by the old name follows (engine/lifecycle/renames.py): the record history
    assert res.migration.followed["jimu_audit"] >= 6
    audit = erp.rt.db.core["audit"]
    with erp.rt.db.engine.connect() as c:
        changes = c.execute(sa.select(audit.c.changes).where(audit.c.entity == "customer")).scalars().all()
    assert any("tel" in ch for ch in changes) and not any("phone" in ch for ch in changes)
    hw = next(i for i, r in before["customer"].items() if r["code"] == "C0001")
    assert erp.rt.records(APP, "customer").reader().get(hw)["tel"] == "0755-28780808"


def test_a_renamed_entity_keeps_its_rows_and_the_relations_to_it(erp):
    before = records(erp.rt, APP)

    def rename(d):
        doc = d.pop("entities/product.yaml")
        doc["entity"], doc["renamed_from"] = "item", "product"
        d["entities/item.yaml"] = doc
        for name in ("opportunity", "quote"):
            field(d, name, "lines")["fields"][0]["to"] = "item"
        for role in d["roles.yaml"]["roles"].values():
            if "product" in role.get("entities", {}):
                role["entities"]["item"] = role["entities"].pop("product")
        records_ = d["seed/demo.yaml"]["records"]
        records_["item"] = records_.pop("product")

    res = upgrade(erp, rename)
    after = records(erp.rt, APP)
    assert after["item"] == before["product"] and "product" not in after
    audit = erp.rt.db.core["audit"]
    with erp.rt.db.engine.connect() as c:
        entities = set(c.execute(sa.select(audit.c.entity).where(audit.c.app == APP)).scalars())
    assert "item" in entities and "product" not in entities and res.migration.followed["jimu_audit"] >= 6
    assert after["opportunity"] == before["opportunity"]
    lines = [t for t in after if t.startswith("sales_erp__opportunity__")]
    assert lines and after[lines[0]] == before[lines[0]]
    names = sa.inspect(erp.rt.db.engine).get_table_names()
    assert "sales_erp__item" in names and "sales_erp__product" not in names
    # the relation still works: a new opportunity's line points at an item, read back with its title
    g1 = next(i for i, r in after["item"].items() if r["code"] == "P-1001")
    customer = next(iter(after["customer"]))
    made = erp.rt.records(APP, "opportunity").create({"name": "新商机", "customer": customer, "stage": "contact",
                                                     "lines": [{"product": g1, "qty": 2, "price": "3999.00"}]})
    read = erp.rt.records(APP, "opportunity").reader().get(made["id"])
    assert read["lines"][0]["product"] == {"id": g1, "title": "P-1001 智能网关 G1"}


def test_a_type_change_that_converts_keeps_the_values(erp):
    before = records(erp.rt, APP)

    def to_number(d):
        f = field(d, "customer", "credit_limit")
        f["type"], f["precision"] = "number", 0
        f.pop("currency")

    res = upgrade(erp, to_number)
    assert res.migration.converted == {"customer.credit_limit": 6}
    after = records(erp.rt, APP)
    assert after == before  # Decimal("5000000.00") == Decimal("5000000"): the same numbers
    assert by_id(after["customer"], "credit_limit")[1] == Decimal("5000000")
    made = erp.rt.records(APP, "customer").create({"name": "整数额度", "credit_limit": "1200"})
    assert erp.rt.records(APP, "customer").reader().get(made["id"])["credit_limit"] == Decimal("1200")


def test_a_type_change_that_cannot_convert_is_refused_with_the_rows_until_filled(erp, capsys):
    customers = erp.rt.records(APP, "customer")
    numeric = customers.create({"name": "数字编号", "code": "12345"})["id"]

    def to_number(d):
        f = field(d, "customer", "code")
        f["type"], f["precision"] = "number", 0
        f.pop("max_length")
        for n, r in enumerate(d["seed/demo.yaml"]["records"]["customer"], 1):  # a fresh install's seeds
            r["code"] = n

    details = refused(erp, to_number)
    [p] = details
    assert (p["code"], p["path"], p["count"]) == ("migrate.E002", "customer.code", 6)
    from engine.lifecycle.plan import plan_bundle
    from engine.lifecycle.plan_cli import render

    assert "(7 values, 6 个不能转换 / do not convert (--fill))" in render(plan_bundle(erp.rt, erp.bundle))
    assert [r["value"] for r in p["rows"]] == ["C0001", "C0002", "C0003", "C0004", "C0005", "C0006"]
    assert all(r["message"]["en"] == "must be a number" for r in p["rows"])
    # the command line says the same, and changes nothing either
    before = snapshot(erp.rt)
    assert jimu(["install", str(erp.bundle), "--db", erp.url]) == 1
    err = capsys.readouterr().err
    assert "install.E007" in err and "customer.code" in err and 'id 1 "C0001"' in err
    assert jimu(["install", str(erp.bundle), "--db", erp.url, "--fill", "customer.code=x"]) == 1
    assert "--fill customer.code=x: must be a number" in capsys.readouterr().err
    assert snapshot(erp.rt) == before

    old = records(erp.rt, APP)
    res = upgrade(erp, fills={"customer.code": "blank"})
    assert res.migration.converted == {"customer.code": 7}
    after = records(erp.rt, APP)
    assert by_id(after["customer"], "code") == {i: (Decimal(12345) if i == numeric else None) for i in old["customer"]}
    # the values the fill replaced are not lost: kept in a backup, as they were
    [kept] = [b for b in res.migration.backups if b["field"] == "code"]
    from engine.lifecycle.backups import backup_rows

    assert backup_rows(erp.rt, kept["id"]) == [
        {"record_id": i, "value": old["customer"][i]["code"]} for i in sorted(old["customer"])
        if i != numeric and old["customer"][i]["code"] is not None]
    for r in (*old["customer"].values(), *after["customer"].values()):
        r.pop("code")
    assert after == old


def test_rows_holding_a_removed_option_are_refused_until_mapped(erp):
    def drop_c(d):
        f = field(d, "customer", "level")
        f["options"] = [o for o in f["options"] if o["value"] != "C"]
        for r in d["seed/demo.yaml"]["records"]["customer"]:
            if r.get("level") == "C":
                r["level"] = "B"

    [p] = refused(erp, drop_c)
    assert (p["code"], p["path"], p["options"]) == ("migrate.E004", "customer.level", {"C": 1})
    [p] = refused(erp, option_maps={"customer.level": {"C": "Z"}})
    assert p["code"] == "migrate.E006"
    before = records(erp.rt, APP)
    res = upgrade(erp, option_maps={"customer.level": {"C": "B"}})
    assert res.migration.options == {"customer.level": 1} and "options changed customer.level: 1 rows" in res.summary()
    after = records(erp.rt, APP)
    assert [by_id(before["customer"], "level")[i] for i, v in by_id(after["customer"], "level").items()
            if v != by_id(before["customer"], "level")[i]] == ["C"]
    assert "C" not in by_id(after["customer"], "level").values()


def test_an_option_renamed_from_gives_its_rows_the_new_value(erp):
    before = records(erp.rt, APP)

    def rename(d):
        f = field(d, "customer", "industry")
        it = next(o for o in f["options"] if o["value"] == "it")
        it["value"], it["renamed_from"] = "tech", "it"
        for r in d["seed/demo.yaml"]["records"]["customer"]:
            if r.get("industry") == "it":
                r["industry"] = "tech"

    from engine.lifecycle.plan import plan_bundle
    from engine.lifecycle.plan_cli import render

    edit(erp.bundle, rename)
    assert "options >it→tech" in render(plan_bundle(erp.rt, erp.bundle))
    upgrade(erp)
    expected = copy.deepcopy(before)
    for r in expected["customer"].values():
        if r["industry"] == "it":
            r["industry"] = "tech"
    assert records(erp.rt, APP) == expected and "tech" in by_id(expected["customer"], "industry").values()


def test_a_removed_option_is_blanked_with_allow_data_loss_and_kept_in_a_backup(erp):
    before = records(erp.rt, APP)

    def drop_west(d):
        f = field(d, "customer", "region")
        f["options"] = [o for o in f["options"] if o["value"] != "west"]
        for r in d["seed/demo.yaml"]["records"]["customer"]:
            if r.get("region") == "west":
                r["region"] = "north"

    refused(erp, drop_west)
    res = upgrade(erp, allow_data_loss=True)
    [kept] = res.migration.backups
    west = {i for i, v in by_id(before["customer"], "region").items() if v == "west"}
    with erp.rt.db.engine.connect() as c:
        assert dict(c.exec_driver_sql(f"SELECT record_id, value FROM {kept['table']}").all()) == dict.fromkeys(west,
                                                                                                              "west")
    expected = copy.deepcopy(before)
    for i in west:
        expected["customer"][i]["region"] = None
    assert records(erp.rt, APP) == expected


def test_a_new_entity_loads_its_seed_and_demo_records_once(erp):
    before = records(erp.rt, APP)
    competitor = {"entity": "competitor", "label": {"zh": "竞争对手", "en": "Competitor"}, "title": "{name}",
                  "fields": [{"name": "name", "type": "text", "label": {"zh": "名称", "en": "Name"},
                              "required": True}]}

    def add(d):
        d["entities/competitor.yaml"] = competitor
        d["seed/competitors.yaml"] = {"records": {"competitor": [{"name": "纷享销客"}]}}
        d["seed/demo.yaml"]["records"]["competitor"] = [{"name": "Salesforce"}]

    res = upgrade(erp, add)
    assert res.seeded == {"competitor": 2}
    after = records(erp.rt, APP)
    assert sorted(r["name"] for r in after.pop("competitor").values()) == ["Salesforce", "纷享销客"]
    assert after == before  # the other entities' seeds are not loaded again
    assert install_bundle(erp.rt, erp.bundle).status == "unchanged"


def test_fewer_decimal_places_refuse_the_values_that_would_round(erp):
    cheap = erp.rt.records(APP, "item").create({"code": "P-9", "name": "贴纸", "price": "19.99", "brand": "积木"})["id"]

    def whole(d):
        f = field(d, "item", "price")
        f["type"], f["precision"] = "number", 0
        f.pop("currency")

    [p] = refused(erp, whole)
    assert (p["code"], [(r["id"], r["value"]) for r in p["rows"]]) == ("migrate.E002", [(cheap, "19.99")])
    assert p["rows"][0]["message"]["en"] == "at most 0 decimal places"
    before = records(erp.rt, APP)
    upgrade(erp, fills={"item.price": "20"})
    expected = copy.deepcopy(before)
    expected["item"][cheap]["price"] = Decimal(20)
    assert records(erp.rt, APP) == expected


def test_a_field_made_required_with_a_default_gives_its_blank_rows_the_default(erp):
    before = records(erp.rt, APP)
    assert None in by_id(before["item"], "category").values()

    def require(d):
        f = field(d, "item", "category")
        f["required"], f["default"] = True, "service"
        for r in d["seed/demo.yaml"]["records"]["item"]:
            r.setdefault("category", "service")

    from engine.lifecycle.plan import plan_bundle
    from engine.lifecycle.plan_cli import render

    edit(erp.bundle, require)
    assert "blanks get the default (1 rows)" in render(plan_bundle(erp.rt, erp.bundle))
    upgrade(erp)
    expected = copy.deepcopy(before)
    for r in expected["item"].values():
        r["category"] = r["category"] or "service"
    assert records(erp.rt, APP) == expected


def test_an_entity_holding_rows_is_removed_only_with_allow_data_loss_and_kept_whole(erp):
    def drop_lead(d):
        d["entities/lead.yaml"] = None
        for role in d["roles.yaml"]["roles"].values():
            role.get("entities", {}).pop("lead", None)
        d["seed/demo.yaml"]["records"].pop("lead")

    [p] = refused(erp, drop_lead)
    assert (p["code"], p["path"], p["rows"]) == ("migrate.E001", "lead", 4)
    before = records(erp.rt, APP)
    with erp.rt.db.engine.connect() as c:
        rows = sorted(tuple(r) for r in c.exec_driver_sql("SELECT * FROM sales_erp__lead"))
    res = upgrade(erp, allow_data_loss=True)
    [kept] = res.migration.backups
    assert (kept["entity"], kept["field"], kept["rows"]) == ("lead", None, 4)
    with erp.rt.db.engine.connect() as c:  # every column of every row, as stored
        assert sorted(tuple(r) for r in c.exec_driver_sql(f"SELECT * FROM {kept['table']}")) == rows
    assert "sales_erp__lead" not in sa.inspect(erp.rt.db.engine).get_table_names()
    after = records(erp.rt, APP)
    before.pop("lead")
    assert after == before


def test_a_runtime_that_missed_another_upgrade_plans_against_the_database(erp):
    """Another process (a second server, the command line) upgraded the app meanwhile: this runtime's
    loaded app is stale, so the upgrade reloads it and plans against what the database holds."""
    other = open_runtime(erp.url)
    try:
        upgrade(SimpleNamespace(rt=other, bundle=erp.bundle), lambda d: d["entities/customer.yaml"]["fields"].append(
            {"name": "fax", "type": "text", "label": {"zh": "传真", "en": "Fax"}}))
    finally:
        other.db.dispose()

    def swap(d):
        customer = d["entities/customer.yaml"]
        customer["fields"] = [f for f in customer["fields"] if f["name"] != "fax"]
        customer["fields"].append({"name": "wechat", "type": "text", "label": {"zh": "微信", "en": "WeChat"}})

    upgrade(erp, swap)
    columns = {c["name"] for c in sa.inspect(erp.rt.db.engine).get_columns("sales_erp__customer")}
    assert "wechat" in columns and "fax" not in columns
    assert erp.rt.records(APP, "customer").create({"name": "微信客户", "wechat": "wx1"})["wechat"] == "wx1"


def test_a_failure_at_the_last_step_leaves_everything_as_it_was(erp, monkeypatch):
    """Rename, type change, removal with data and a new entity, then a failure after all the DDL and
    writes: schema, rows, definitions, versions, backups and the running app are as before."""
    import engine.lifecycle.migrate as migrate

    def many(d):
        f = field(d, "customer", "tel")
        f["name"], f["renamed_from"] = "telephone", "tel"
        customer = d["entities/customer.yaml"]
        customer["searchable"] = ["telephone" if s == "tel" else s for s in customer["searchable"]]
        for s in customer["layout"]["sections"]:
            s["fields"] = ["telephone" if x == "tel" else x for x in s["fields"]]
        for r in d["seed/demo.yaml"]["records"]["customer"]:
            r["telephone"] = r.pop("tel")
        cost = field(d, "item", "cost")
        cost["type"], cost["precision"] = "number", 1
        cost.pop("currency")
        contact = d["entities/contact.yaml"]
        contact["fields"] = [f for f in contact["fields"] if f["name"] != "job_title"]
        drop_from_layout(contact, "job_title")
        for r in d["seed/demo.yaml"]["records"]["contact"]:
            r.pop("job_title", None)
        d["entities/rival.yaml"] = {"entity": "rival", "label": {"zh": "对手", "en": "Rival"}, "title": "{name}",
                                    "fields": [{"name": "name", "type": "text", "label": {"zh": "名称", "en": "Name"}}]}
        d["seed/rivals.yaml"] = {"records": {"rival": [{"name": "X"}]}}

    def fail(*a, **k):
        raise RuntimeError("injected after the DDL")

    before, app = snapshot(erp.rt), erp.rt.apps[APP].compiled
    monkeypatch.setattr(migrate, "load_new_seeds", fail)
    with pytest.raises(RuntimeError):
        upgrade(erp, many, allow_data_loss=True)
    assert snapshot(erp.rt) == before
    assert erp.rt.apps[APP].compiled is app
    assert erp.rt.records(APP, "customer").create({"name": "失败之后", "tel": "1"})["tel"] == "1"

    monkeypatch.undo()
    old = records(erp.rt, APP)
    res = upgrade(erp, allow_data_loss=True)
    assert res.seeded == {"rival": 1} and [b["field"] for b in res.migration.backups] == ["job_title"]
    after = records(erp.rt, APP)
    assert by_id(after["customer"], "telephone") == by_id(old["customer"], "tel")
    assert by_id(after["item"], "cost") == by_id(old["item"], "cost")
    assert erp.rt.records(APP, "customer").create({"name": "之后", "telephone": "2"})["telephone"] == "2"


def test_uninstall_with_drop_data_drops_the_backups_too(erp, capsys):
    kept = [b["table_name"] for b in list_backups(erp.rt, APP)]
    # region options, the lead table, contact.job_title, the values --fill replaced (customer.code, item.price),
    # the level C that --map-option merged into B
    assert len(kept) == 6
    erp.rt.db.dispose()
    assert jimu(["uninstall", APP, "--drop-data", "--db", erp.url]) == 0
    names = set(sa.inspect(erp.rt.db.engine).get_table_names())
    assert not names & set(kept) and list_backups(erp.rt, APP) == []
