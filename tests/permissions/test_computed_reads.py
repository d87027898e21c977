"""Issue 11 item 3: computation reads only what the writer may read. A relation to a record the writer
may not read gives blank to every computed value, default and rule (and the relation stays "missing"),
on the form state, single saves (create and PATCH), bulk saves and imports; a default never copies a
field hidden from the writer. The system's recomputation still reads everything.

Sales app: rep_east1 reads their own customers (C0001 华为 level A, C0003 永辉 level B) and the
products on sale; P-3002 (年度运维服务, 12000.00) is not on sale, C0005 (西安智造, level C) is
manager_south's."""
from __future__ import annotations

import shutil

import sqlalchemy as sa

from .conftest import VAULT
from .test_derived_fields import BASE as VBASE
from .test_derived_fields import _ids
from .test_read_matrix import BASE, _ids_by_code


def _product(erp, code: str) -> int:
    t = erp.table("sales_erp", "product")
    with erp.connect() as c:
        return c.execute(sa.select(t.c.id).where(t.c.code == code)).scalar_one()


def _paths(r) -> set[tuple[str, str]]:
    return {(d["path"], d.get("code", "")) for d in r.json().get("details") or r.json().get("errors") or ()}


def test_item3_form_state_shows_nothing_of_a_customer_the_rep_may_not_read(erp, login):
    ids = _ids_by_code(erp)
    rep = login("rep_east1")
    url = f"{BASE}/opportunity/form-state"
    own = rep.post(url, json={"values": {"name": "探测", "customer": ids["C0003"]}}).json()
    assert own["values"]["customer_level"] == "B"
    other = rep.post(url, json={"values": {"name": "探测", "customer": ids["C0005"]}}).json()
    none = rep.post(url, json={"values": {"name": "探测", "customer": 999999}}).json()
    assert other["values"].get("customer_level") is None  # not "C"
    assert ("customer", "relation") in {(e["path"], e["code"]) for e in other["errors"]}
    # the same answer as for a record that does not exist
    assert {k: v for k, v in other["values"].items() if k != "customer"} == \
        {k: v for k, v in none["values"].items() if k != "customer"}


def _quote(erp, product: str, unit_price=None) -> dict:
    line = {"product": _product(erp, product), "qty": 1}
    if unit_price is not None:
        line["unit_price"] = unit_price
    return {"customer": _ids_by_code(erp)["C0001"], "lines": [line]}


def test_item3_form_state_reads_no_price_of_a_product_off_sale(erp, login):
    rep = login("rep_east1")
    url = f"{BASE}/quote/form-state"
    on_sale = rep.post(url, json={"values": _quote(erp, "P-1001")}).json()
    assert on_sale["values"]["lines"][0]["unit_price"] == 3999 and on_sale["values"]["lines"][0]["list_price"] == 3999
    off = rep.post(url, json={"values": _quote(erp, "P-3002")}).json()
    line = off["values"]["lines"][0]
    assert line["unit_price"] is None and line["list_price"] is None  # not 12000: no default, no lookup
    assert "12000" not in str(off)
    assert ("lines[0].product", "relation") in {(e["path"], e["code"]) for e in off["errors"]}
    # nor does a rule reading the price answer for it (unit price below 70% of the list price)
    probe = rep.post(url, json={"values": _quote(erp, "P-3002", 1)}).json()
    assert not [e for e in probe["errors"] if e["path"] == "lines[0].unit_price"], probe["errors"]
    mine = rep.post(url, json={"values": _quote(erp, "P-1001", 1)}).json()
    assert [e for e in mine["errors"] if e["path"] == "lines[0].unit_price"]  # the rule itself works


def test_item3_saves_judge_with_nothing_of_an_unreadable_product(erp, login):
    """Create, bulk create and PATCH: refused as "missing", and no rule answers with its price."""
    rep = login("rep_east1")
    for r in (rep.post(f"{BASE}/quote", json=_quote(erp, "P-3002", 1)),
              rep.post(f"{BASE}/quote/bulk", json=[_quote(erp, "P-1001"), _quote(erp, "P-3002", 1)])):
        assert r.status_code == 422
        paths = {(d["path"], d.get("code")) for d in r.json()["details"]}
        assert paths in ({("lines[0].product", "relation")}, {("[1].lines[0].product", "relation")}), paths
    made = rep.post(f"{BASE}/quote", json=_quote(erp, "P-1001"))
    assert made.status_code == 201, made.text
    q = made.json()
    lines = [{"id": q["lines"][0]["id"], "product": q["lines"][0]["product"]["id"], "qty": 1},
             {"product": _product(erp, "P-3002"), "qty": 1, "unit_price": 1}]
    r = rep.patch(f"{BASE}/quote/{q['id']}", json={"lines": lines})
    assert r.status_code == 422 and {(d["path"], d.get("code")) for d in r.json()["details"]} == {
        ("lines[1].product", "relation")}


def test_item3_a_stored_lookup_never_copies_a_record_the_writer_may_not_read(vault, vlogin):
    """peon1 owns the deal 小单 of account 丙 (note c-note). 丙 is given to auditor1: peon1 may no
    longer read it, so their save of the deal computes its lookup of the account's note as blank;
    the system's recomputation (the account's note changes) reads everything again."""
    auditor, peon = vlogin("auditor1"), vlogin("peon1")
    acc, deal = _ids(vault, "account", "name")["丙账户"], _ids(vault, "deal", "name")["小单"]
    assert peon.get(f"{VBASE}/deal/{deal}").json()["account_note"] == "c-note"
    auditor1 = _user(vault, "auditor1")
    assert auditor.patch(f"{VBASE}/account/{acc}", json={"owner": auditor1}).status_code == 200
    r = peon.patch(f"{VBASE}/deal/{deal}", json={"name": "小单改"})
    assert r.status_code == 200, r.text
    assert r.json()["account_note"] is None and _stored(vault, deal, "account_note") is None
    assert auditor.patch(f"{VBASE}/account/{acc}", json={"note": "new-note"}).status_code == 200
    assert _stored(vault, deal, "account_note") == "new-note"


def test_item3_rules_of_a_new_record_read_nothing_unreadable_on_any_path(vault, vlogin):
    """The deal rule fires when its account's note is "oracle": peon1 may not read account 甲, so
    setting 甲's note to "oracle" must not change any answer peon1 gets about a deal of 甲."""
    from tests.forms.io_helpers import csv_bytes, upload

    auditor, peon = vlogin("auditor1"), vlogin("peon1")
    a = _ids(vault, "account", "name")["甲账户"]
    assert auditor.patch(f"{VBASE}/account/{a}", json={"note": "oracle"}).status_code == 200
    mine = auditor.post(f"{VBASE}/deal/form-state", json={"values": {"name": "x", "account": a}}).json()
    assert [e for e in mine["errors"] if e["path"] == "name"]  # the rule fires for who may read 甲
    state = peon.post(f"{VBASE}/deal/form-state", json={"values": {"name": "x", "account": a}}).json()
    assert [(e["path"], e["code"]) for e in state["errors"]] == [("account", "relation")]
    assert state["values"].get("account_note") is None
    for r in (peon.post(f"{VBASE}/deal", json={"name": "x", "account": a}),
              peon.post(f"{VBASE}/deal/bulk", json=[{"name": "x", "account": a}])):
        assert r.status_code == 422
        assert [d["path"] for d in r.json()["details"]] in (["account"], ["[0].account"]), r.json()
    report = upload(peon, f"{VBASE}/deal/import", csv_bytes(["名称", "账户"], [["x", f"#{a}"]]), "d.csv",
                    dry_run=True).json()
    assert "oracle" not in str(report) and report["problems"], report


def test_item3_a_default_never_copies_a_field_hidden_from_the_writer(tmp_path, db_url):
    """A default is an input the writer sees: it reads a field hidden from them as blank. A computed
    field may read it (the value is right for everyone else) and is hidden from them (item 2)."""
    from engine.install import install_bundle
    from engine.runtime import open_runtime

    bundle = tmp_path / "vault"
    shutil.copytree(VAULT, bundle)
    path = bundle / "entities" / "deal.yaml"
    path.write_text(path.read_text().replace(
        "  - {name: account_note,",
        '  - {name: copied, type: money, default_expr: "account.secret", label: {zh: 复制, en: Copied}}\n'
        "  - {name: account_note,"))
    rt = open_runtime(db_url)
    try:
        install_bundle(rt, bundle, demo=True)
        from engine.identity.actor import load_actor

        a = _ids(rt, "account", "name")["甲账户"]
        for login, copied in (("clerk1", None), ("auditor1", "7654321.98")):
            svc = rt.records("vault", "deal", load_actor(rt, _user(rt, login)))
            made = svc.create({"name": login, "account": a})
            assert (None if made.get("copied") is None else str(made["copied"])) == copied, (login, made)
            assert str(_stored(rt, made["id"], "account_secret")) == "7654321.98"  # computed in full
            assert "account_secret" not in made or login == "auditor1"  # and hidden from the clerk
    finally:
        rt.db.dispose()


def _user(rt, login: str) -> int:
    u = rt.db.core["user"]
    with rt.connect() as c:
        return c.execute(sa.select(u.c.id).where(u.c.login == login)).scalar_one()


def _stored(rt, deal_id: int, field: str):
    t = rt.table("vault", "deal")
    with rt.connect() as c:
        return c.execute(sa.select(t.c[field]).where(t.c.id == deal_id)).scalar_one()
