"""What the record form reads besides records: the fields a user may not write (``locked`` in
/ui/entities, so the form shows them read-only instead of offering an input the server refuses with a
403), and the form state of a new record as the form first asks for it (no rows yet)."""
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
API = "/api/v1/records/sales_erp"


@pytest.fixture
def login(db_url):
    rt = open_runtime(db_url)
    install_bundle(rt, SALES_ERP, demo=True)
    with rt.transaction() as c:
        Org(rt, rt.db.system_user_id).create_user(c, "admin_user", "平台管理员", is_admin=True,
                                              password_hash=hash_password(DEMO_PASSWORD))
    app = create_app(rt)
    clients = []

    def make(user: str) -> TestClient:
        c = TestClient(app)
        r = c.post("/api/v1/auth/login", json={"login": user, "password": DEMO_PASSWORD})
        assert r.status_code == 200, r.text
        c.headers["X-CSRF-Token"] = r.json()["csrf_token"]
        clients.append(c)
        return c

    yield make
    for c in clients:
        c.close()
    rt.db.dispose()


def _locked(c, entity: str) -> dict:
    r = c.get(f"/api/v1/ui/entities/sales_erp/{entity}")
    assert r.status_code == 200, r.text
    return r.json()["locked"]


def test_locked_fields_are_the_ones_the_server_refuses_to_write(login):
    rep = login("rep_east1")
    assert _locked(rep, "customer") == {"create": ["code", "credit_limit"], "update": ["code", "credit_limit"]}
    refused = rep.post(f"{API}/customer", json={"name": "只读编号", "code": "X-1"})
    assert refused.status_code == 403 and [d["path"] for d in refused.json()["details"]] == ["code"]
    assert rep.post(f"{API}/customer", json={"name": "只读编号"}).status_code == 201

    finance = login("finance1")  # keeps credit limits; may not rename or reclassify customers
    locked = _locked(finance, "customer")
    assert set(locked["update"]) == {"name", "code", "level", "industry", "region", "status"}
    assert "credit_limit" not in locked["update"]
    assert set(locked["create"]) >= {"name", "credit_limit"}  # finance creates no customers at all

    assert _locked(login("admin_user"), "customer") == {"create": [], "update": []}


def test_the_form_state_of_a_new_record_without_rows_answers_with_its_defaults_and_options(login):
    rep = login("rep_east1")
    r = rep.post(f"{API}/opportunity/form-state", json={"values": {}})
    assert r.status_code == 200, r.text
    state = r.json()
    assert state["values"]["stage"] == "contact" and state["values"]["lines"] == []
    assert state["fields"]["stage"]["options"] == ["contact", "needs"]  # where a new record may start
    assert {e["path"] for e in state["errors"]} == {"name", "customer"}
    yonghui = rep.get(f"{API}/customer", params={"q": "永辉"}).json()["items"][0]["id"]
    state = rep.post(f"{API}/opportunity/form-state", json={"values": {"customer": yonghui}}).json()
    assert state["fields"]["contact"]["filter"] == {"customer": yonghui}  # the contact picker's filter
