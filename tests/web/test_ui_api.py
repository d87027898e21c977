"""What the web app is served and reads besides the records API: the page and its static files, what
the user may do per entity (/auth/me/access), and an entity as pages need it (/ui/entities/...)."""
from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from engine.api.app import create_app
from engine.identity.org import Org
from engine.identity.passwords import hash_password
from engine.install import install_bundle
from engine.runtime import open_runtime

SALES_ERP = Path(__file__).resolve().parents[2] / "apps" / "sales_erp"
DEMO_PASSWORD = "jimu-demo-2026"


@pytest.fixture
def app(db_url):
    rt = open_runtime(db_url)
    install_bundle(rt, SALES_ERP, demo=True)
    with rt.transaction() as c:
        Org(rt, rt.db.system_user_id).create_user(c, "admin_user", "平台管理员", is_admin=True,
                                              password_hash=hash_password(DEMO_PASSWORD))
    yield create_app(rt)
    rt.db.dispose()


@pytest.fixture
def login(app):
    clients = []

    def make(user: str) -> TestClient:
        c = TestClient(app)
        r = c.post("/api/v1/auth/login", json={"login": user, "password": DEMO_PASSWORD})
        assert r.status_code == 200, r.text
        clients.append(c)
        return c

    yield make
    for c in clients:
        c.close()


def _entities(c) -> dict[str, dict]:
    apps = c.get("/api/v1/auth/me/access").json()["apps"]
    assert [a["name"] for a in apps] == ["sales_erp"]
    return {e["name"]: e for e in apps[0]["entities"]}


def test_the_page_and_its_files_are_served_without_signing_in(app):
    anon = TestClient(app)
    page = anon.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert '<script type="module" src="/static/app/main.js">' in page.text
    assert page.headers["cache-control"] == "no-cache" and page.headers["x-frame-options"] == "DENY"
    js = anon.get("/static/app/main.js")
    assert js.status_code == 200 and "javascript" in js.headers["content-type"]
    assert js.headers["cache-control"] == "no-cache"  # the app's own files: revalidated, so an upgrade shows at once
    vendored = anon.get("/static/vendor/vue@3.5.45/dist/vue.global.prod.js")
    assert vendored.status_code == 200 and "immutable" in vendored.headers["cache-control"]
    assert anon.get("/static/app/nothing.js").status_code == 404
    assert anon.get("/api/v1/auth/me/access").status_code == 401  # the data behind it is not


def test_access_says_what_each_user_may_do(login):
    rep = _entities(login("rep_east1"))
    assert rep["customer"]["actions"] == {"create": True, "read": True, "update": True, "delete": True,
                                          "export": False, "import": False, "print": False}
    assert rep["customer"]["hidden"] == ["credit_limit"]
    manager = _entities(login("manager_east"))
    assert manager["lead"]["actions"]["import"] and manager["customer"]["actions"]["export"]
    assert not manager["customer"]["actions"]["import"]  # no import grant on customers
    warehouse = _entities(login("warehouse1"))
    assert not warehouse["customer"]["actions"]["read"] and warehouse["customer"]["hidden"] == []
    assert warehouse["product"]["hidden"] == ["cost"]
    admin = _entities(login("admin_user"))  # the platform admin's explicit bypass
    assert all(all(e["actions"].values()) and e["hidden"] == [] for e in admin.values())


def test_an_entity_for_the_pages_has_value_types_columns_and_no_hidden_field(login):
    rep = login("rep_east1")
    m = rep.get("/api/v1/ui/entities/sales_erp/customer").json()
    names = [f["name"] for f in m["fields"]]
    assert "credit_limit" not in names and m["hidden"] == ["credit_limit"]
    assert m["list_columns"] == ["name", "code", "level", "status", "industry", "region"]  # the layout's order
    assert m["field_order"][:6] == m["list_columns"] and "credit_limit" not in m["field_order"]
    assert m["actions"]["create"] and not m["actions"]["export"]
    assert m["label"] == {"zh": "客户", "en": "Customer"} and m["searchable"] == ["name", "code", "phone"]

    opp = {f["name"]: f for f in rep.get("/api/v1/ui/entities/sales_erp/opportunity").json()["fields"]}
    level = opp["customer_level"]  # a lookup of a select: its options come along
    assert (level["type"], level["value_type"]) == ("lookup", "select")
    assert [o["value"] for o in level["value_def"]["options"]] == ["A", "B", "C"]
    assert opp["probability"]["value_type"] == "percent" and opp["amount"]["value_type"] == "money"
    assert opp["customer"]["relation_to"] == "customer" and opp["customer"]["relation_label"]["zh"] == "客户"
    assert opp["stage"]["sortable"] and "in" in opp["stage"]["filter_ops"]
    assert not opp["lines"]["sortable"] and not opp["proposal_doc"]["sortable"]
    tabs = rep.get("/api/v1/ui/entities/sales_erp/opportunity").json()
    assert tabs["list_columns"] == ["number", "name", "customer", "contact", "customer_level", "stage"]  # from tabs

    manager = login("manager_east").get("/api/v1/ui/entities/sales_erp/customer").json()
    assert "credit_limit" in [f["name"] for f in manager["fields"]] and manager["actions"]["export"]
    assert login("rep_east1").get("/api/v1/ui/entities/sales_erp/invoice").status_code == 404
