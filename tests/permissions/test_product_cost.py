"""Issue 11 item 20: product cost is for the roles that work with it — finance (keeps costs), the
sales director (approves prices and margins) and the app's admin. Reps, managers and the warehouse
never see it, nor anything computed from it (a margin on a quote line, were the app to add one)."""
from __future__ import annotations

import json
import shutil

import sqlalchemy as sa

from .conftest import SALES_ERP
from .test_read_matrix import BASE, _ids_by_code

SEES_COST = {"finance1": True, "director": True, "erp_admin": True,
             "rep_east1": False, "manager_east": False, "warehouse1": False}
COST = "2100.00"  # P-1001's cost (the demo data); its price is 3999.00


def _g1(erp) -> int:
    t = erp.table("sales_erp", "product")
    with erp.connect() as c:
        return c.execute(sa.select(t.c.id).where(t.c.code == "P-1001")).scalar_one()


def test_item20_only_finance_the_director_and_admin_see_product_cost(erp, login):
    g1 = _g1(erp)
    for user, sees in SEES_COST.items():
        c = login(user)
        got = c.get(f"{BASE}/product/{g1}").json()
        assert ("cost" in got) is sees, (user, got)
        listed = c.get(f"{BASE}/product", params={"page_size": 100}).text
        assert ("2100" in listed) is sees, user
        assert (c.get(f"{BASE}/product", params={"sort": "-cost"}).status_code == 200) is sees, user
        f = c.get(f"{BASE}/product", params={"filter": json.dumps({"cost": {"gt": 2000}})})
        assert (f.status_code == 200) is sees, user
        access = {e["name"]: e for a in c.get("/api/v1/auth/me/access").json()["apps"] for e in a["entities"]}
        assert ("cost" in access["product"]["hidden"]) is (not sees), user
        if user in ("finance1", "director"):  # their exports carry it
            assert "2100" in c.get(f"{BASE}/product/export", params={"format": "csv"}).content.decode("utf-8-sig")
    # a rep's quote form shows the price, not the cost
    rep = login("rep_east1")
    state = rep.post(f"{BASE}/quote/form-state", json={"values": {
        "customer": _ids_by_code(erp)["C0001"], "lines": [{"product": g1, "qty": 1}]}}).json()
    assert state["values"]["lines"][0]["unit_price"] == 3999 and "2100" not in json.dumps(state)


def test_item20_a_margin_computed_from_cost_is_hidden_where_cost_is(tmp_path, db_url):
    """With a quote-line margin computed from the product's cost (a copy of the sales app), the margin
    is hidden from reps and managers — in the quote, its history and its export — and shown to the
    director; the quote's margin total (a rollup of it) likewise."""
    from fastapi.testclient import TestClient

    from engine.api.app import create_app
    from engine.install import install_bundle
    from engine.runtime import open_runtime

    bundle = tmp_path / "sales_erp"
    shutil.copytree(SALES_ERP, bundle)
    path = bundle / "entities" / "quote.yaml"
    text = path.read_text()
    line = ('{name: line_total, type: formula, expr: "qty * unit_price", result: money, currency: CNY, '
            'label: {zh: 金额, en: Line total}}')
    assert line in text
    margin_col = ('{name: margin, type: formula, expr: "qty * (unit_price - product.cost)", result: money, '
                  'currency: CNY, label: {zh: 毛利, en: Margin}}')
    text = text.replace(line, line + ",\n      " + margin_col)
    text = text.replace("  - {name: tax_rate,", "  - {name: margin_total, type: rollup, of: lines, agg: sum, "
                        "field: margin, label: {zh: 毛利合计, en: Margin total}}\n  - {name: tax_rate,")
    path.write_text(text)
    rt = open_runtime(db_url)
    try:
        install_bundle(rt, bundle, demo=True)
        t = rt.table("sales_erp", "quote")
        with rt.connect() as c:
            quote = c.execute(sa.select(t.c.id)).scalar_one()
        app = create_app(rt)
        # the demo quote: 50 x G1 at 3599 (cost 2100) and 40 h of service at 800 (cost 350)
        margin = 50 * (3599 - 2100) + 40 * (800 - 350)
        for user, sees in (("director", True), ("finance1", True), ("rep_east1", False), ("manager_east", False)):
            with TestClient(app) as c:
                r = c.post("/api/v1/auth/login", json={"login": user, "password": "jimu-demo-2026"})
                c.headers["X-CSRF-Token"] = r.json()["csrf_token"]
                got = c.get(f"{BASE}/quote/{quote}").json()
                assert ("margin_total" in got) is sees and ("margin" in got["lines"][0]) is sees, user
                if sees:
                    assert got["margin_total"] == margin
                bodies = [c.get(f"{BASE}/quote/{quote}/history").text]
                if user != "finance1":  # finance reads quotes, and may not edit them
                    bodies.append(c.post(f"{BASE}/quote/form-state", json={"id": quote, "values": {}}).text)
                if user != "rep_east1":
                    bodies.append(c.get(f"{BASE}/quote/export", params={"format": "csv"}).content.decode("utf-8-sig"))
                for body in bodies:
                    assert (str(margin) in body) is sees, (user, body[:500])
                hidden = {e["name"]: e for a in c.get("/api/v1/auth/me/access").json()["apps"]
                          for e in a["entities"]}["quote"]["hidden"]
                assert ({"margin_total", "lines.margin"} <= set(hidden)) is (not sees), (user, hidden)
    finally:
        rt.db.dispose()
