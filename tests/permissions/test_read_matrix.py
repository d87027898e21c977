"""The permission matrix over the sales roles: every read path shows a user exactly the rows their
roles admit — get, list, keyword search, the relation picker, history, and titles of related
records. The demo organisation: 华东销售组 (manager_east; rep_east1 owns C0001 and C0003, rep_east2
owns C0002), 华南销售组 (manager_south owns C0005; rep_south1 owns C0004), the director owns C0006."""
from __future__ import annotations

import json

import pytest

BASE = "/api/v1/records/sales_erp"
ALL = {"C0001", "C0002", "C0003", "C0004", "C0005", "C0006"}
VISIBLE = {
    "rep_east1": {"C0001", "C0003"},
    "rep_east2": {"C0002"},
    "rep_south1": {"C0004"},
    "manager_east": {"C0001", "C0002", "C0003"},
    "manager_south": {"C0004", "C0005"},
    "director": ALL,
    "finance1": ALL,
    "warehouse1": set(),
    "erp_admin": ALL,
}


def _ids_by_code(erp) -> dict[str, int]:
    import sqlalchemy as sa

    t = erp.table("sales_erp", "customer")
    with erp.connect() as c:
        return dict(c.execute(sa.select(t.c.code, t.c.id)).all())


@pytest.mark.parametrize("user", sorted(VISIBLE))
def test_each_read_path_shows_exactly_the_admitted_customers(erp, login, user):
    c = login(user)
    expected = VISIBLE[user]
    ids = _ids_by_code(erp)

    listed = c.get(f"{BASE}/customer", params={"page_size": 100}).json()
    assert {i["code"] for i in listed["items"]} == expected and listed["total"] == len(expected)

    for code, rid in ids.items():
        status = c.get(f"{BASE}/customer/{rid}").status_code
        assert status == (200 if code in expected else 404), (user, code)
        hist = c.get(f"{BASE}/customer/{rid}/history").status_code
        assert hist == (200 if code in expected else 404), (user, code, "history")

    found = c.get(f"{BASE}/customer", params={"q": "C000", "page_size": 100}).json()  # searchable: code
    assert {i["code"] for i in found["items"]} == expected

    picked = c.get(f"{BASE}/customer/picker", params={"page_size": 100}).json()
    assert {i["id"] for i in picked["items"]} == {ids[k] for k in expected}

    # a filter through a relation cannot reach customers the user may not read
    contacts = c.get(f"{BASE}/contact", params={"filter": json.dumps({"customer.code": {"in": sorted(ALL)}}),
                                                "page_size": 100})
    if contacts.status_code == 200:
        seen = {i["customer"]["title"] for i in contacts.json()["items"] if i["customer"]["title"]}
        names = {i["name"] for i in listed["items"]}
        assert seen <= names, (user, seen - names)


def test_a_rep_sees_contacts_of_their_own_customers_only(login):
    c = login("rep_east1")
    items = c.get(f"{BASE}/contact", params={"page_size": 100}).json()["items"]
    assert sorted(i["name"] for i in items) == ["张伟", "李娜", "陈静"]
    assert {i["customer"]["title"] for i in items} == {"华为技术有限公司", "永辉超市"}


def test_a_manager_sees_the_department_tree_and_a_director_everything(login):
    for user, codes in (("manager_east", {"C0001", "C0002", "C0003"}), ("director", ALL)):
        got = login(user).get(f"{BASE}/customer", params={"page_size": 100}).json()
        assert {i["code"] for i in got["items"]} == codes


def test_related_titles_of_unreadable_records_are_withheld(erp, login):
    """A contact a manager may read, of a customer they may not: its title stays hidden."""
    admin = login("erp_admin")
    cmb = _ids_by_code(erp)["C0004"]  # rep_south1's customer
    made = admin.post(f"{BASE}/contact", json={"customer": cmb, "name": "跨区联系人", "owner": _user(erp, "rep_east1")})
    assert made.status_code == 201, made.text
    c = login("manager_east")
    items = {i["name"]: i for i in c.get(f"{BASE}/contact", params={"page_size": 100}).json()["items"]}
    assert items["跨区联系人"]["customer"] == {"id": cmb, "title": None}
    assert "招商银行" not in c.get(f"{BASE}/contact", params={"page_size": 100}).text


def _user(erp, login_name: str) -> int:
    import sqlalchemy as sa

    u = erp.db.core["user"]
    with erp.connect() as c:
        return c.execute(sa.select(u.c.id).where(u.c.login == login_name)).scalar_one()
