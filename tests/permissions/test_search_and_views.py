"""Global search and saved views join the permission matrix: search shows a user exactly the records
their roles admit (a rep never finds another rep's customer), and a saved view is its owner's alone —
to anyone else, platform admins included, it does not exist."""
from __future__ import annotations

import json

import pytest

from .test_read_matrix import VISIBLE, _ids_by_code

SEARCH = "/api/v1/search"
VIEWS = "/api/v1/views"


def _found(c, q: str, entity: str = "customer") -> set[int]:
    r = c.get(SEARCH, params={"q": q, "per_entity": 20})
    assert r.status_code == 200, r.text
    groups = [g for g in r.json()["items"] if g["entity"] == entity]
    if not groups:
        return set()
    assert groups[0]["total"] == len(groups[0]["hits"])
    return {h["id"] for h in groups[0]["hits"]}


@pytest.mark.parametrize("user", sorted(VISIBLE))
def test_global_search_finds_exactly_the_admitted_customers(erp, login, user):
    c = login(user)
    ids = _ids_by_code(erp)
    assert _found(c, "C000") == {ids[k] for k in VISIBLE[user]}  # every customer code matches


def test_a_rep_never_finds_another_reps_customer_or_what_hangs_off_it(login):
    rep = login("rep_east1")
    assert _found(rep, "华为")  # their own
    for q in ("海尔", "招商", "C0002", "0532-88939999"):  # another rep's and the south team's, by name, code, phone
        r = rep.get(SEARCH, params={"q": q}).json()
        assert r["items"] == [] and r["total"] == 0, q
    assert _found(rep, "海尔", "opportunity") == set()  # nor their opportunity


def test_search_asks_for_a_keyword(login):
    c = login("rep_east1")
    for params in ({}, {"q": "  "}, {"q": "x" * 101}, {"q": "华", "per_entity": 0}):
        assert c.get(SEARCH, params=params).status_code == 422, params


def test_a_saved_view_is_its_owners_alone(login):
    rep = login("rep_east1")
    v = rep.post(VIEWS, json={"app": "sales_erp", "entity": "customer", "name": "我的A类",
                              "filters": {"level": "A"}, "sort": [], "columns": []}).json()
    url = f"{VIEWS}/{v['id']}"
    for other in ("rep_east2", "manager_east", "director", "erp_admin", "admin_user"):
        c = login(other)
        assert c.get(url).status_code == 404, other
        assert c.patch(url, json={"name": "改名"}).status_code == 404, other
        assert c.delete(url).status_code == 404, other
        assert c.get(VIEWS).json()["items"] == [], other
    assert rep.get(url).json()["name"] == "我的A类"  # untouched


def test_a_view_cannot_filter_sort_or_show_a_field_hidden_from_its_owner(login):
    rep = login("rep_east1")  # credit_limit is hidden from reps
    base = {"app": "sales_erp", "entity": "customer", "name": "额度"}
    tries = ({"filters": {"credit_limit": {"gte": 1}}}, {"sort": ["-credit_limit"]}, {"columns": ["credit_limit"]})
    for extra in tries:
        r = rep.post(VIEWS, json={**base, **extra})
        assert r.status_code == 422, extra
    r = login("manager_east").post(VIEWS, json={**base, "filters": {"credit_limit": {"gte": 1}}})
    assert r.status_code == 201  # managers see the credit limit


def test_a_view_filters_within_what_its_user_may_read(erp, login):
    rep = login("rep_east1")
    every = sorted(VISIBLE["director"])
    v = rep.post(VIEWS, json={"app": "sales_erp", "entity": "customer", "name": "全部编号",
                              "filters": {"code": {"in": every}}, "sort": ["code"], "columns": []}).json()
    listed = rep.get("/api/v1/records/sales_erp/customer",
                     params={"filter": json.dumps(v["filters"]), "sort": ",".join(v["sort"])}).json()
    assert [i["code"] for i in listed["items"]] == sorted(VISIBLE["rep_east1"])
