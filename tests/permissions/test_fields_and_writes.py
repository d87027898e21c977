"""Field permissions (hidden and read-only), write scopes, and handover."""
from __future__ import annotations

import json

import sqlalchemy as sa

from .test_read_matrix import BASE, _ids_by_code, _user

PLANTED = "7654321.98"  # a credit limit no response to a rep may contain, anywhere


def test_a_hidden_field_never_appears_in_any_response(erp, login):
    admin = login("erp_admin")
    ids = _ids_by_code(erp)
    hw = ids["C0001"]
    assert admin.patch(f"{BASE}/customer/{hw}", json={"credit_limit": PLANTED}).status_code == 200
    assert PLANTED in admin.get(f"{BASE}/customer/{hw}").text  # the admin role shows it

    rep = login("rep_east1")
    bodies = [
        rep.get(f"{BASE}/customer/{hw}"),
        rep.get(f"{BASE}/customer", params={"page_size": 100}),
        rep.get(f"{BASE}/customer", params={"q": "华为"}),
        rep.get(f"{BASE}/customer/picker", params={"q": "华为"}),
        rep.get(f"{BASE}/customer/{hw}/history"),
        rep.get(f"{BASE}/contact", params={"page_size": 100}),
        rep.get(f"{BASE}/contact/picker"),
    ]
    for r in bodies:
        assert r.status_code == 200, r.text
        assert PLANTED not in r.text and "credit_limit" not in r.text, r.url
    # nor can it be probed by filtering or sorting on it, directly or through a relation
    for params in ({"filter": json.dumps({"credit_limit": {"gt": 7000000}})}, {"sort": "-credit_limit"}):
        assert rep.get(f"{BASE}/customer", params=params).status_code == 422
    probe = rep.get(f"{BASE}/contact", params={"filter": json.dumps({"customer.credit_limit": {"gt": 1}})})
    assert probe.status_code == 422


def test_read_only_and_hidden_fields_cannot_be_written(erp, login):
    rep = login("rep_east1")
    hw = _ids_by_code(erp)["C0001"]
    r = rep.patch(f"{BASE}/customer/{hw}", json={"code": "X-1", "credit_limit": 1, "phone": "1"})
    assert r.status_code == 403
    assert sorted(d["path"] for d in r.json()["details"]) == ["code", "credit_limit"]
    assert rep.get(f"{BASE}/customer/{hw}").json()["phone"] != "1"  # nothing was written
    ok = rep.patch(f"{BASE}/customer/{hw}", json={"phone": "0755-0000"})
    assert ok.status_code == 200 and ok.json()["phone"] == "0755-0000"
    made = rep.post(f"{BASE}/customer", json={"name": "新客户", "credit_limit": 5})
    assert made.status_code == 403 and made.json()["details"][0]["path"] == "credit_limit"


def test_write_scopes(erp, login):
    ids = _ids_by_code(erp)
    rep = login("rep_east1")
    # another rep's customer: not found (its existence is not revealed), and nothing changes
    assert rep.patch(f"{BASE}/customer/{ids['C0002']}", json={"phone": "x"}).status_code == 404
    assert rep.delete(f"{BASE}/customer/{ids['C0002']}").status_code == 404
    # finance reads every customer but may change only credit-related fields
    fin = login("finance1")
    assert fin.patch(f"{BASE}/customer/{ids['C0002']}", json={"credit_limit": 10}).status_code == 200
    r = fin.patch(f"{BASE}/customer/{ids['C0002']}", json={"name": "改名"})
    assert r.status_code == 403 and r.json()["details"][0]["path"] == "name"
    assert fin.post(f"{BASE}/customer", json={"name": "财务新建"}).status_code == 403
    # the warehouse sees no customer at all, and creates products
    wh = login("warehouse1")
    assert wh.get(f"{BASE}/customer").json()["total"] == 0
    assert wh.post(f"{BASE}/product", json={"code": "W-1", "name": "仓库新品", "price": 1}).status_code == 201
    # a rep's new customer is theirs, in their department: their manager sees it, the other manager not
    made = rep.post(f"{BASE}/customer", json={"name": "张伟的新客户"})
    assert made.status_code == 201
    assert made.json()["owner"] == _user(erp, "rep_east1")
    east = login("manager_east").get(f"{BASE}/customer", params={"q": "张伟的新客户"}).json()
    south = login("manager_south").get(f"{BASE}/customer", params={"q": "张伟的新客户"}).json()
    assert east["total"] == 1 and south["total"] == 0


def test_an_expression_scope_filters_rows(erp, login):
    """Reps read products where `active` holds (roles.yaml: read: "active")."""
    rep = login("rep_east1")
    codes = {i["code"] for i in rep.get(f"{BASE}/product", params={"page_size": 100}).json()["items"]}
    assert "P-3002" not in codes and "P-1001" in codes  # P-3002 is not on sale


def test_handover_moves_every_owned_record_and_deactivates(erp, login):
    leaver, heir = _user(erp, "rep_east1"), _user(erp, "rep_east2")
    admin = login("admin_user")
    r = admin.post(f"/api/v1/admin/users/{leaver}/handover", json={"to_user": heir})
    assert r.status_code == 200, r.text
    assert r.json()["moved"]["sales_erp.customer"] == 2
    with erp.connect() as c:
        for name in ("customer", "contact", "product"):
            t = erp.table("sales_erp", name)
            assert c.execute(sa.select(sa.func.count()).where(t.c.owner == leaver)).scalar() == 0
    heir_client = login("rep_east2")
    assert {i["code"] for i in heir_client.get(f"{BASE}/customer").json()["items"]} == {"C0001", "C0002", "C0003"}
    hw = _ids_by_code(erp)["C0001"]
    hist = heir_client.get(f"{BASE}/customer/{hw}/history").json()["items"]
    assert hist[-1]["changes"]["owner"] == {"old": leaver, "new": heir}
    # the leaver can no longer sign in
    from fastapi.testclient import TestClient

    with TestClient(heir_client.app) as c:
        r = c.post("/api/v1/auth/login", json={"login": "rep_east1", "password": "jimu-demo-2026"})
        assert r.status_code == 401
    events = admin.get("/api/v1/admin/events", params={"kind": "handover"}).json()["items"]
    assert events and events[0]["target"] == f"user:{leaver}"


def test_bad_input_from_a_user_is_a_422_with_every_problem(login):
    rep = login("rep_east1")
    r = rep.post(f"{BASE}/customer", json={"level": "Z", "first_deal_on": "2026-13-01", "bogus": 1})
    assert r.status_code == 422
    assert sorted(d["path"] for d in r.json()["details"]) == ["bogus", "first_deal_on", "level", "name"]


def test_a_relation_to_an_unreadable_record_is_refused_as_missing(erp, login):
    ids = _ids_by_code(erp)
    rep = login("rep_east1")
    other = rep.post(f"{BASE}/contact", json={"customer": ids["C0002"], "name": "探测"})  # rep_east2's customer
    missing = rep.post(f"{BASE}/contact", json={"customer": 999999, "name": "探测"})
    assert other.status_code == missing.status_code == 422
    for r in (other, missing):  # the same answer as for an id that does not exist at all
        assert [(d["path"], d["code"]) for d in r.json()["details"]] == [("customer", "relation")]
    assert rep.post(f"{BASE}/contact", json={"customer": ids["C0001"], "name": "自己的"}).status_code == 201
