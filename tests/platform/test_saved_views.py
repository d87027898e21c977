"""Saved list views over REST (/api/v1/views): a user's named filter, sort and columns per entity,
checked as the list endpoint would check them for that user, and kept exactly (decimals included)."""
from __future__ import annotations

from decimal import Decimal

import simplejson

VIEWS = "/api/v1/views"


def _view(**over):
    return {"app": "sales_erp", "entity": "customer", "name": "重点客户",
            "filters": {"level": {"in": ["A"]}}, "sort": ["-name"], "columns": ["name", "level"], **over}


def test_create_list_get_update_and_delete_a_view(sign_in):
    c = sign_in("director")
    r = c.post(VIEWS, json=_view())
    assert r.status_code == 201, r.text
    v = r.json()
    assert {k: v[k] for k in ("app", "entity", "name", "filters", "sort", "columns")} == _view()
    c.post(VIEWS, json=_view(entity="contact", name="全部联系人", filters={}, sort=[], columns=[]))
    assert [x["name"] for x in c.get(VIEWS, params={"app": "sales_erp", "entity": "customer"}).json()["items"]] \
        == ["重点客户"]
    assert len(c.get(VIEWS).json()["items"]) == 2
    assert c.get(f"{VIEWS}/{v['id']}").json()["name"] == "重点客户"

    r = c.patch(f"{VIEWS}/{v['id']}", json={"name": "A 类", "sort": ["name"]})
    assert r.status_code == 200, r.text
    assert (r.json()["name"], r.json()["sort"], r.json()["filters"]) == ("A 类", ["name"], {"level": {"in": ["A"]}})
    assert c.delete(f"{VIEWS}/{v['id']}").status_code == 200
    assert c.get(f"{VIEWS}/{v['id']}").status_code == 404
    assert [x["name"] for x in c.get(VIEWS).json()["items"]] == ["全部联系人"]


def test_filter_numbers_come_back_exact(sign_in):
    c = sign_in("director")
    limit = Decimal("1234567890123.45")
    body = simplejson.dumps(_view(filters={"credit_limit": {"gte": limit}}), use_decimal=True)
    r = c.post(VIEWS, content=body, headers={"Content-Type": "application/json"})
    assert r.status_code == 201, r.text
    got = simplejson.loads(c.get(f"{VIEWS}/{r.json()['id']}").text, use_decimal=True)
    assert got["filters"] == {"credit_limit": {"gte": limit}}


def test_a_name_is_unique_per_user_and_list(sign_in):
    c = sign_in("director")
    assert c.post(VIEWS, json=_view()).status_code == 201
    dup = c.post(VIEWS, json=_view(filters={}))
    assert dup.status_code == 409 and dup.json()["code"] == "view.E409"
    assert c.post(VIEWS, json=_view(entity="contact", filters={}, columns=[])).status_code == 201  # another list
    assert sign_in("manager_east").post(VIEWS, json=_view()).status_code == 201  # another user
    other = c.post(VIEWS, json=_view(name="另一个")).json()
    assert c.patch(f"{VIEWS}/{other['id']}", json={"name": "重点客户"}).status_code == 409


def test_every_problem_of_a_view_is_a_422_with_its_path(sign_in):
    c = sign_in("director")
    r = c.post(VIEWS, json=_view(name=" ", filters=[], sort="name", columns="name", colour="red"))
    assert r.status_code == 422
    assert {d["path"] for d in r.json()["details"]} == {"name", "filters", "sort", "columns", "colour"}
    r = c.post(VIEWS, json=_view(filters={"level": {"gte": "A", "near": 1}}))
    assert r.status_code == 422 and r.json()["code"] == "view.E002"
    r = c.post(VIEWS, json=_view(sort=["-nonsense"]))
    assert r.status_code == 422 and r.json()["code"] == "view.E002"
    r = c.post(VIEWS, json=_view(columns=["name", "nonsense"]))
    assert r.status_code == 422 and r.json()["details"][0]["path"] == "columns[1]"
    r = c.post(VIEWS, json=_view(entity="invoice"))
    assert r.status_code == 422 and r.json()["details"][0]["path"] == "entity"
    r = c.post(VIEWS, json={"name": "x"})
    assert r.status_code == 422 and {d["path"] for d in r.json()["details"]} == {"app", "entity"}
    assert c.get(VIEWS).json()["items"] == []
