"""Issue 11 item 9: the unique check tells a rep a customer name is taken, without saying whose —
but only so often. Each conflict with a record the user may not read spends a probe; after the
budget (20 within 15 minutes) every write that needs a unique check is refused with a 429, whatever
its values, so nothing more is learnt. Conflicts with readable records and free values cost nothing."""
from __future__ import annotations

import dataclasses

import sqlalchemy as sa

from engine.identity.probes import ProbeSettings

from .test_read_matrix import BASE, _user

BUDGET = ProbeSettings().max_probes
HIDDEN = [f"别人的客户{i:02d}" for i in range(50)]


def _plant(erp, login) -> None:
    """50 customers of rep_east2, whom rep_east1 may not read."""
    owner = _user(erp, "rep_east2")
    r = login("admin_user").post(f"{BASE}/customer/bulk", json=[{"name": n, "owner": owner} for n in HIDDEN])
    assert r.status_code == 201, r.text


def _customers(erp) -> int:
    t = erp.table("sales_erp", "customer")
    with erp.connect() as c:
        return c.execute(sa.select(sa.func.count()).select_from(t)).scalar()


def test_item9_fifty_names_in_one_bulk_call_get_a_429(erp, login):
    _plant(erp, login)
    before = _customers(erp)
    rep = login("rep_east1")
    r = rep.post(f"{BASE}/customer/bulk", json=[{"name": n} for n in HIDDEN])
    assert r.status_code == 429 and r.json()["code"] == "unique.E429", r.text
    assert not any(n in r.text for n in HIDDEN) and "[" not in "".join(d["path"] for d in r.json()["details"])
    # the budget is spent: a free name is refused the same way, so a refusal tells nothing
    free = rep.post(f"{BASE}/customer", json={"name": "一个全新的名字"})
    assert free.status_code == 429 and free.json()["code"] == "unique.E429"
    assert _customers(erp) == before


def test_item9_fifty_form_state_calls_get_a_429_after_the_budget(erp, login):
    _plant(erp, login)
    rep = login("rep_east1")
    answers = [rep.post(f"{BASE}/customer/form-state", json={"values": {"name": n}}) for n in HIDDEN]
    assert [a.status_code for a in answers] == [200] * BUDGET + [429] * (len(HIDDEN) - BUDGET)
    assert all([e["code"] for e in a.json()["errors"]] == ["unique"] for a in answers[:BUDGET])
    assert answers[-1].json()["code"] == "unique.E429"
    assert rep.post(f"{BASE}/customer/form-state", json={"values": {"name": "一个全新的名字"}}).status_code == 429
    # someone else's budget is their own
    other = login("rep_south1").post(f"{BASE}/customer/form-state", json={"values": {"name": HIDDEN[0]}})
    assert other.status_code == 200 and not other.json()["valid"]


def test_item9_free_values_and_readable_duplicates_cost_nothing(erp, login):
    _plant(erp, login)
    mgr = login("manager_east")  # reads rep_east2's customers: a duplicate of them is no secret
    for _ in range(2):
        r = mgr.post(f"{BASE}/customer/bulk", json=[{"name": n} for n in HIDDEN])
        assert r.status_code == 422 and len(r.json()["details"]) == len(HIDDEN)
    rep = login("rep_east1")
    for i in range(BUDGET + 5):  # free names, and the rep's own customer's name, again and again
        free = rep.post(f"{BASE}/customer/form-state", json={"values": {"name": f"新名字{i}"}})
        assert free.status_code == 200 and free.json()["valid"], free.text
        own = rep.post(f"{BASE}/customer/form-state", json={"values": {"name": "华为技术有限公司"}})
        assert own.status_code == 200 and not own.json()["valid"]
    assert rep.post(f"{BASE}/customer/bulk", json=[{"name": f"批量新客户{i}"} for i in range(100)]).status_code == 201


def test_item9_an_import_spends_one_probe_per_conflicting_row(erp, login):
    _plant(erp, login)
    grants = erp.apps["sales_erp"].grants["customer"]
    grants["sales_rep"] = dataclasses.replace(grants["sales_rep"], import_=True)
    rep = login("rep_east1")

    def dry_run(names):
        content = ("客户名称\r\n" + "".join(f"{n}\r\n" for n in names)).encode("utf-8-sig")
        return rep.post(f"{BASE}/customer/import", files={"file": ("c.csv", content)}, data={"dry_run": "true"})

    first = dry_run(HIDDEN[:BUDGET - 5])  # reported row by row, as a dry run should
    assert first.status_code == 200 and first.json()["counts"]["problem_rows"] == BUDGET - 5
    assert dry_run([f"新客户{i}" for i in range(200)]).json()["ok"]  # free rows cost nothing
    over = dry_run(HIDDEN[BUDGET:])
    assert over.status_code == 429 and over.json()["code"] == "unique.E429"
